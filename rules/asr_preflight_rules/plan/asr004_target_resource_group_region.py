from asr_preflight.api import Finding, RuleContext, failed, passed, unknown, vm_rule
from asr_preflight.snapshot import ResourceGroup, VirtualMachine

from .._facts import same_region, zone_to_zone


def target_resource_group(ctx: RuleContext, vm: VirtualMachine) -> tuple[str, str]:
    """(subscription, name) of the resource group the VM's replica goes to."""
    name = ctx.plan.target.resource_group or f"{vm.resource_group}-asr"
    return ctx.target_subscription(vm), name


def _find(ctx: RuleContext, subscription: str, name: str) -> ResourceGroup | None:
    index = ctx.cached(
        "asr004-resource-groups",
        lambda: {
            (rg.subscription_id.lower(), rg.name.lower()): rg for rg in ctx.snapshot.resource_groups
        },
    )
    return index.get((subscription.lower(), name.lower()))


@vm_rule(code="ASR004", name="target-resource-group-region", severity="fail")
def target_resource_group_region(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """The target resource group is not in the VM's region.

    ## What it checks
    The resource group that will hold the failover resources (`[target] resource_group`, by
    default `<source resource group>-asr`, in the target subscription): if it exists, its location
    differs from the source VM's region; if it does not exist, Site Recovery creates it in the
    target region, which passes when that region is not the source region. Zone-to-zone DR
    (target region = source region with a `[target] zone`) allows a group in the source region.

    ## Why it matters
    "The location of the target resource group can be any Azure region, except the region in
    which the source VMs are hosted." Enable replication refuses a target resource group in the
    source region for cross-region disaster recovery.

    ## How to fix
    Name a resource group located outside the source region in `[target] resource_group`, or
    create a new one in the target region (or let Site Recovery create `<source rg>-asr`).

    ## References
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-how-to-enable-replication
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-tutorial-enable-replication
    """
    subscription, name = target_resource_group(ctx, vm)
    scope = f"/subscriptions/{subscription}/resourceGroups/{name}"
    rg = _find(ctx, subscription, name)
    if rg is None:
        gap = ctx.missing("resource_groups", scope, f"target resource group {name}")
        return unknown(vm, gap.message, target=scope, hint=gap.hint)
    zonal = zone_to_zone(ctx, vm)
    if not rg.exists:
        region = ctx.plan.target.region
        if same_region(region, vm.location) and not zonal:
            return failed(
                vm,
                f"target resource group {name} does not exist and would be created in {region}, "
                f"the region of {vm.name}; expected another region",
                target=rg.id,
            )
        return passed(
            vm,
            f"target resource group {name} does not exist yet; Site Recovery creates it in "
            f"the target region {region}",
            target=rg.id,
        )
    if rg.location is None:
        gap = ctx.missing("resource_groups", scope, f"location of target resource group {name}")
        return unknown(vm, gap.message, target=rg.id, hint=gap.hint)
    if same_region(rg.location, vm.location) and not zonal:
        return failed(
            vm,
            f"target resource group {name} is in {rg.location}, the region of {vm.name}; "
            "it must be in another region",
            target=rg.id,
        )
    return passed(
        vm,
        f"target resource group {name} is in {rg.location}, outside {vm.name}'s region "
        f"{vm.location}",
        target=rg.id,
    )
