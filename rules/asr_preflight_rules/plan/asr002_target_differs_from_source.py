from asr_preflight.api import Finding, RuleContext, failed, passed, vm_rule
from asr_preflight.snapshot import VirtualMachine

from .._facts import same_region


@vm_rule(code="ASR002", name="target-differs-from-source", severity="fail")
def target_differs_from_source(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """The target region differs from the VM's region (or the plan is a valid zone-to-zone DR).

    ## What it checks
    `[target] region` is not the source VM's region. When it is the same region and the plan sets
    `[target] zone` (zone-to-zone disaster recovery), the VM must be zonal and in another zone
    than the target zone.

    ## Why it matters
    Azure-to-Azure disaster recovery replicates a VM to another region; within one region only
    zone-to-zone replication exists, and it needs a zonal VM replicated to a different zone.
    "Non-zonal VMs cannot be replicated within a region", and a plan that names the source region
    as target without a zone cannot be enabled.

    ## How to fix
    Set `[target] region` to another region (for example the source region's pair), or, for
    zone-to-zone DR, set `[target] zone` to a zone other than the VM's own.

    ## References
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-how-to-enable-replication
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-common-questions
    """
    target = ctx.plan.target.region
    if not same_region(target, vm.location):
        return passed(vm, f"{vm.name} replicates from {vm.location} to another region, {target}")
    zone = ctx.plan.target.zone
    if zone is None:
        return failed(
            vm,
            f"the target region {target} is {vm.name}'s own region; expected another region "
            "(or a [target] zone for zone-to-zone DR)",
        )
    if vm.zone is None:
        return failed(
            vm,
            f"{vm.name} is not zonal, so it cannot replicate to zone {zone} of its own region "
            f"{vm.location}; expected another target region",
        )
    if vm.zone == zone:
        return failed(
            vm,
            f"{vm.name} already runs in zone {zone} of {vm.location}; zone-to-zone DR needs "
            "another target zone",
        )
    return passed(
        vm, f"{vm.name} replicates from zone {vm.zone} to zone {zone} within {vm.location}"
    )
