from asr_preflight.api import Finding, RuleContext, passed, vm_rule, warned
from asr_preflight.snapshot import VirtualMachine

from .._facts import managed_disks, require_listing, vm_fact_missing

REPLICA_SUFFIX = "-ASRReplica"


@vm_rule(code="ASR514", name="no-target-leftovers", severity="warn")
def no_target_leftovers(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """The target resource group holds no replica disk left by an earlier protection.

    ## What it checks
    The managed disks already in the VM's target resource group (`[target] resource_group`, or
    the default `<source group>-asr`, in the target subscription), listed once per subscription:
    none is named like a replica of one of this VM's disks (`<disk name>-ASRReplica`, any case).
    A target group that does not exist yet holds nothing. Unknown when the target group's disks
    were not listed.

    ## Why it matters
    Site Recovery names the replica of each disk `<disk>-ASRReplica`. A replica disk left behind
    by an earlier protection (disabled, or interrupted) makes enable protection fail ("Protection
    not enabled if replica managed disk exists").

    ## How to fix
    Make sure the disk is not in use by another protection, then delete it (or choose another
    target resource group).

    ## References
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-protection-errors
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-troubleshoot-errors
    """
    if vm.os_disk is None:
        raise vm_fact_missing(ctx, vm, "the disks")
    sub = ctx.target_subscription(vm)
    group = ctx.plan.target.resource_group or f"{vm.resource_group}-asr"
    group_id = f"/subscriptions/{sub}/resourceGroups/{group}"
    require_listing(ctx, "target_disks", group_id, f"the disks of target resource group {group}")
    wanted = {f"{d.name}{REPLICA_SUFFIX}".lower(): d.name for d in managed_disks(vm)}
    leftovers = sorted(
        t.name
        for t in ctx.snapshot.target_disks
        if t.subscription_id.lower() == sub.lower()
        and t.resource_group.lower() == group.lower()
        and t.name.lower() in wanted
    )
    if leftovers:
        return warned(
            vm,
            f"target resource group {group} already holds replica disks of {vm.name}: "
            f"{', '.join(leftovers)}; enable protection fails while they exist",
            hint=f"check that no protection uses them, then delete them from {group}.",
        )
    return passed(vm, f"target resource group {group} holds no replica disk of {vm.name}")
