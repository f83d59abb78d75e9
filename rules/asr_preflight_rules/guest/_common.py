"""Shared by the in-guest rules (ASR3xx): when they apply, and how to read the guest facts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from asr_preflight.api import Finding, MissingFact, RuleContext, skipped, unknown
from asr_preflight.guest.endpoints import Endpoint, required_endpoints
from asr_preflight.snapshot import GuestFacts, VirtualMachine

#: SHA-256 fingerprints of the roots Azure's TLS endpoints chain to (Azure CA details, 2023-11).
DIGICERT_GLOBAL_ROOT_G2 = "CB3CCBB76031E5E0138F8DD39A23F9DE47FFC35E43C1144CEA27D46A5AB1CB5F"
MICROSOFT_RSA_ROOT_2017 = "C741F70F4B2A8D88BF2E71C14122EF53EF10EBA0CFA5E64CFA20F418853073E0"
BALTIMORE_CYBERTRUST_ROOT = "16AF57A9F676B0AB126095AA5EBADEF22AB31119D644AC95CD4B93DBF3F26AEB"
OTHER_AZURE_ROOTS = {
    "4348A0E9444C78CB265E058D5E8944B4D84F9662BD26DB257F8934A443C70161": "DigiCert Global Root CA",
    "31AD6648F8104138C738F39EA4320133393E3A18CC02296EF97C2AC9EF6731D0": "DigiCert Global Root G3",
    "358DF39D764AF9E1B766E9C972DF352EE15CFAC227AF6AD1D70E8E4A6EDCBA02": (
        "Microsoft ECC Root Certificate Authority 2017"
    ),
}


def applicable(
    ctx: RuleContext, vm: VirtualMachine, os_type: Literal["Linux", "Windows"] | None = None
) -> Finding | None:
    """A skip Finding when the in-guest rules do not apply to ``vm``, else None."""
    if ctx.snapshot.collection.guest_skipped:
        return skipped(vm, f"{vm.name}: in-guest checks were skipped (--no-guest)")
    if ctx.plan.guest is None:
        return skipped(vm, f"{vm.name}: the plan has no [guest] section, so guests were not probed")
    if os_type is not None and vm.os_type is not None and vm.os_type != os_type:
        return skipped(vm, f"{vm.name} runs {vm.os_type}; this check applies to {os_type} only")
    return None


def probe_missing(
    facts: GuestFacts, vm: VirtualMachine, probe: str, what: str, hint: str | None = None
) -> MissingFact:
    """The ``unknown`` for a guest that answered but whose ``probe`` reported nothing (``hint``:
    what to do about the probe's error, when the rule knows better than the generic one)."""
    why = facts.probe_errors.get(probe)
    if why:
        return MissingFact(
            f"{vm.name}: {what} could not be read in the guest ({probe} probe: {why})",
            hint or "check that the probe user can read the files involved (see docs/guest.md)",
        )
    return MissingFact(
        f"{vm.name}: {what} was not reported by the guest", "re-run `asr-preflight collect`"
    )


#: The hint when a whole probe failed (exit status, timeout, output that is no JSON object).
PROBE_FAILED_HINT = (
    "re-run `asr-preflight collect`; if the {probe} probe fails again, run it by hand in the "
    "guest to see why (asr_preflight_checks/linux/{probe}.sh with sh, or windows/{probe}.ps1; "
    "see docs/guest.md)"
)


def unprobed_endpoints(
    ctx: RuleContext, vm: VirtualMachine, facts: GuestFacts, what: str
) -> Finding | None:
    """The ``unknown`` when the guest reported no ``what`` for some required endpoint, else None.

    The required endpoints are the ones the collector probes for this VM (``required_endpoints``:
    login, site_recovery, service_bus, and the blob endpoint of the cache account for the VM's
    region when one is planned or in the snapshot); they are compared by name, host and port, so
    a probe list that stopped early, or that probed another region's account, never reads as a
    full pass.
    """
    region = vm.location.replace(" ", "").lower()
    required = ctx.cached(f"guest-required-endpoints:{region}", lambda: _required(ctx, vm))
    if isinstance(required, str):
        return unknown(
            vm,
            f"{vm.name}: the required endpoints are not known ({required})",
            hint="fix [guest.endpoints] in the plan",
        )
    probed = {(e.name, e.host.lower(), e.port) for e in facts.endpoints or ()}
    absent = [
        f"{e.name} ({e.host}:{e.port})" for e in required if (e.name, e.host, e.port) not in probed
    ]
    if not absent:
        return None
    return unknown(
        vm,
        f"{vm.name}: the guest reported no {what} for {plural(absent)}; every required endpoint "
        f"must be probed{storage_note(ctx, vm)}",
        hint="re-run `asr-preflight collect`; check the endpoints probe's errors in the snapshot",
    )


def storage_note(ctx: RuleContext, vm: VirtualMachine) -> str:
    """Why no cache storage endpoint is required of this VM, when the plan names cache accounts
    per region but none for the VM's region (ASR210 judges that); else empty."""
    target = ctx.plan.target
    if not target.cache_storage_accounts or target.cache_account_for(vm.location) is not None:
        return ""
    overrides = ctx.plan.guest.endpoints if ctx.plan.guest is not None else None
    if overrides is not None and overrides.storage:
        return ""
    return (
        f" (no cache storage endpoint required: the plan names no cache storage account for"
        f" {vm.location}, the VM's region; ASR210 judges that)"
    )


def _required(ctx: RuleContext, vm: VirtualMachine) -> tuple[Endpoint, ...] | str:
    try:
        return required_endpoints(ctx.plan, ctx.snapshot, vm)
    except ValueError as exc:
        return str(exc)


def reference_time(ctx: RuleContext, facts: GuestFacts | None = None) -> datetime:
    """When "now" is for expiry checks: the snapshot's time (rules read no clock)."""
    for value in (ctx.snapshot.created_at, facts.collected_at if facts else None):
        parsed = parse_time(value)
        if parsed is not None:
            return parsed
    return datetime(1970, 1, 1, tzinfo=UTC)


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def plural(items: list[str] | tuple[str, ...]) -> str:
    return ", ".join(items)
