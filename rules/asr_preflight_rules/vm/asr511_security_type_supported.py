from datetime import UTC, date, datetime

from asr_preflight.api import Finding, RuleContext, failed, passed, vm_rule
from asr_preflight.regions import normalize
from asr_preflight.snapshot import VirtualMachine
from asr_preflight.trusted_launch import trusted_launch_limits

from .._facts import vm_fact_missing


def created_on(value: str) -> date | None:
    """The UTC date of ARM's ``timeCreated`` (ISO 8601, up to 7 fractional digits), or None."""
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).date()


@vm_rule(code="ASR511", name="security-type-supported", severity="fail")
def security_type_supported(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """The VM's security type (Standard, trusted launch, confidential) can be replicated.

    ## What it checks
    The VM's `securityProfile.securityType`. A Confidential VM fails. A trusted launch VM fails
    when it runs Linux and was created (`timeCreated`) before 2024-04-01, when it runs Linux and
    its source or target region is one the trusted-VM page excludes for Linux (UAE North), or
    when one of the two regions is a US Gov region and the other a US DoD region. Other trusted
    launch VMs and Standard VMs pass. The dates and regions come from a data table shipped with
    asr-preflight (`data/trusted_launch.json`: the trusted-VM page of 2025-03-04, read
    2026-12-04; each result names the date it was read). A trusted launch Linux VM whose
    creation time ARM did not report is unknown.

    ## Why it matters
    Site Recovery supports trusted launch VMs (Windows generally available, Linux in preview
    with the limits above) but not Confidential VMs; enable replication fails for them.

    ## How to fix
    For a Confidential VM, protect the workload by other means (application-level replication
    to a Confidential VM in the target region). For a trusted launch Linux VM created before
    2024-04-01, rebuild it as a new trusted launch VM (or protect it by other means). For the
    region limits, choose another target region (or keep Gov and DoD pairs apart).

    ## References
    - https://learn.microsoft.com/azure/site-recovery/concepts-trusted-vm
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-support-matrix
    - https://learn.microsoft.com/azure/virtual-machines/trusted-launch
    """
    kind = (vm.security_type or "Standard").strip()
    lowered = kind.lower()
    if lowered == "confidentialvm":
        return failed(
            vm,
            f"{vm.name} is a Confidential VM; Site Recovery does not replicate Confidential VMs",
            hint="protect the workload by other means (application-level replication).",
        )
    if lowered == "standard":
        return passed(vm, f"{vm.name} has security type Standard, which Site Recovery supports")
    if lowered != "trustedlaunch":
        raise vm_fact_missing(ctx, vm, f"support for security type {kind!r}")
    limits = trusted_launch_limits()
    source, target = normalize(vm.location), normalize(ctx.plan.target.region)
    problems: list[str] = []
    groups = (limits.government_group(source), limits.government_group(target))
    if all(groups) and groups[0] != groups[1]:
        problems.append(
            f"source {source} is a {groups[0]} region and target {target} a {groups[1]} region "
            "(both must be US Gov or both US DoD)"
        )
    if vm.os_type is None:
        raise vm_fact_missing(ctx, vm, "the operating system type")
    if vm.os_type == "Linux":
        excluded = sorted({source, target} & limits.linux_excluded_regions)
        if excluded:
            problems.append(f"trusted launch Linux VMs are not supported in {', '.join(excluded)}")
        if vm.time_created is None:
            if not problems:
                raise vm_fact_missing(ctx, vm, "the creation time (timeCreated)")
        else:
            created = created_on(vm.time_created)
            if created is None:
                raise vm_fact_missing(ctx, vm, f"a readable creation time ({vm.time_created!r})")
            if created < limits.linux_created_after:
                problems.append(
                    f"it was created on {created.isoformat()}, before "
                    f"{limits.linux_created_after.isoformat()}, and only trusted launch Linux "
                    "VMs created after that date are supported"
                )
    if problems:
        return failed(
            vm,
            f"{vm.name} is a trusted launch {vm.os_type} VM that Site Recovery cannot protect: "
            + "; ".join(problems)
            + f" (trusted-VM page read {limits.read})",
            hint="rebuild it as a new trusted launch VM, choose another target region, or "
            "protect the workload by other means.",
        )
    return passed(
        vm,
        f"{vm.name} is a trusted launch {vm.os_type} VM within Site Recovery's limits "
        f"(trusted-VM page read {limits.read})",
    )
