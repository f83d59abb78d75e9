from asr_preflight.api import Finding, Outcome, RuleContext, vm_rule
from asr_preflight.snapshot import ManagementLock, VirtualMachine

from .._facts import Tally, require_listing


def _where(lock: ManagementLock, vm: VirtualMachine) -> str | None:
    """What the lock covers, said for the VM: "the VM", "its resource group", "its subscription"."""
    scope = lock.scope.lower().rstrip("/")
    sub = f"/subscriptions/{vm.subscription_id}".lower()
    if scope == vm.id.lower():
        return "the VM"
    if scope == f"{sub}/resourcegroups/{vm.resource_group}".lower():
        return f"its resource group {vm.resource_group}"
    if scope == sub:
        return f"its subscription {vm.subscription_id}"
    return None


@vm_rule(code="ASR513", name="no-blocking-locks", severity="fail")
def no_blocking_locks(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """No management lock on the VM, its resource group or subscription gets in ASR's way.

    ## What it checks
    The management locks (`Microsoft.Authorization/locks`) of the VM's subscription, listed once
    per subscription: a `ReadOnly` lock on the VM, its resource group or its subscription fails;
    a `CanNotDelete` lock there warns. Unknown when the subscription's locks could not be listed
    (reading them needs `Microsoft.Authorization/locks/read`, part of Reader).

    ## Why it matters
    Enabling replication writes to the VM (the Site Recovery extension) and to its resource
    group; a ReadOnly lock blocks those writes. A CanNotDelete lock lets protection start, but
    disabling replication later cannot clean up and leaves stale links behind (error 150225),
    which block the next protection.

    ## How to fix
    Remove the ReadOnly lock (or move it to a narrower scope) before enabling replication; plan
    to lift CanNotDelete locks while disabling replication, or clean up afterwards with the
    stale-configuration script.

    ## References
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-virtual-machine-errors
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-troubleshoot-errors
    - https://learn.microsoft.com/azure/azure-resource-manager/management/lock-resources
    """
    sub_scope = f"/subscriptions/{vm.subscription_id}"
    require_listing(ctx, "locks", sub_scope, f"the management locks of subscription {sub_scope}")
    tally = Tally(vm)
    for lock in sorted(ctx.snapshot.management_locks, key=lambda item: item.id.lower()):
        where = _where(lock, vm)
        level = lock.level.lower()
        if where is None:
            continue
        if level == "readonly":
            tally.add(
                Outcome.FAIL,
                f"ReadOnly lock {lock.name} on {where}",
                "remove the ReadOnly lock (or narrow it) before enabling replication.",
            )
        elif level == "cannotdelete":
            tally.add(
                Outcome.WARN,
                f"CanNotDelete lock {lock.name} on {where} (disabling replication later would "
                "leave stale links)",
                "lift the CanNotDelete lock while disabling replication later.",
            )
    return tally.finding(
        f"{vm.name} is locked (error 150225)",
        f"no ReadOnly or CanNotDelete lock on {vm.name}, its resource group or subscription",
    )
