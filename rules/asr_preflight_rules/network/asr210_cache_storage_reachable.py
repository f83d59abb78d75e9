from __future__ import annotations

from asr_preflight.api import (
    OUTCOME_RANK,
    Finding,
    Outcome,
    RuleContext,
    passed,
    skipped,
    vm_rule,
)
from asr_preflight.snapshot import VirtualMachine
from asr_preflight_rules._facts import same_region

from ._common import placement


@vm_rule(code="ASR210", name="cache-storage-reachable", severity="fail")
def cache_storage_reachable(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """The cache storage account is usable by Site Recovery for this VM.

    ## What it checks
    For the cache storage account the plan names: it is in the same region as the source VM;
    blob soft delete is off; shared key access is not disabled; and if its firewall denies by
    default, it admits trusted Azure services (`bypass` includes `AzureServices`, fail otherwise)
    and the subnet of the VM's primary NIC (warn otherwise: the VM may still come in through an
    IP rule or a private endpoint). Skipped when the plan names no cache account (Site Recovery
    then creates one with suitable settings).

    ## Why it matters
    The mobility service writes changes to the cache account with a shared-key SAS; soft delete is
    not supported on it, and an account in another region or behind a firewall that refuses Site
    Recovery makes enable replication fail.

    ## How to fix
    Use a general-purpose v2 account in the source VM's region, turn blob soft delete off, allow
    shared key access (`allowSharedKeyAccess`), and in its networking settings allow trusted
    Microsoft services and the VMs' subnets (or all networks, as Microsoft recommends).

    ## References
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-support-matrix
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-about-networking
    """
    named = ctx.plan.target.cache_storage_account
    account = ctx.snapshot.cache_storage
    if account is None:
        if named:
            raise ctx.missing("cache_storage", named, "the cache storage account")
        return skipped(
            vm, f"{vm.name}: the plan names no cache storage account (Site Recovery creates one)"
        )
    problems: list[tuple[Outcome, str]] = []
    if not same_region(account.location, vm.location):
        problems.append((Outcome.FAIL, f"is in {account.location}, not {vm.location}"))
    if account.blob_soft_delete_enabled is None:
        problems.append((Outcome.UNKNOWN, "blob soft delete setting was not gathered"))
    elif account.blob_soft_delete_enabled:
        problems.append((Outcome.FAIL, "has blob soft delete on"))
    if account.allow_shared_key_access is None:
        problems.append((Outcome.UNKNOWN, "shared key access setting was not gathered"))
    elif not account.allow_shared_key_access:
        problems.append((Outcome.FAIL, "disallows shared key access"))
    if account.network_default_action is None:
        problems.append((Outcome.UNKNOWN, "firewall default action was not gathered"))
    elif account.network_default_action == "Deny":
        if not any(b.lower() == "azureservices" for b in account.network_bypass):
            problems.append((Outcome.FAIL, "firewall denies by default and does not admit trusted"
                             " Azure services (bypass AzureServices)"))  # fmt: skip
        subnet = placement(ctx, vm).subnet
        admitted = ctx.cached(
            "netsec.asr210.subnets",
            lambda: frozenset(s.lower() for s in account.virtual_network_subnet_ids),
        )
        if subnet.id.lower() not in admitted:
            problems.append(
                (
                    Outcome.WARN,
                    f"firewall denies by default and does not admit subnet {subnet.name}",
                )
            )
    if not problems:
        firewall = (
            "all networks"
            if account.network_default_action == "Allow"
            else "trusted services and the VM's subnet"
        )
        return passed(
            vm,
            f"{vm.name}: cache storage account {account.name} is in {vm.location}, blob soft delete"
            f" off, shared key access allowed, firewall admits {firewall}",
        )
    worst = max((o for o, _ in problems), key=OUTCOME_RANK.__getitem__)
    text = "; ".join(p for _, p in problems)
    hint = (
        "use an account in the VM's region with blob soft delete off, shared key access allowed"
        " and trusted Microsoft services (and the VM's subnet) allowed through its firewall"
    )
    return Finding(vm, worst, f"{vm.name}: cache storage account {account.name} {text}", hint=hint)
