from asr_preflight.api import Finding, RuleContext, failed, passed, vm_rule, warned
from asr_preflight.sizing import Choice
from asr_preflight.snapshot import VirtualMachine
from asr_preflight_rules.capacity._common import capacity_plan, unresolved_size


@vm_rule(code="ASR101", name="size-available-in-target", severity="fail")
def size_available_in_target(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """The VM's size (or the closest substitute) is available in the target region.

    ## What it checks
    The target region's resource SKUs, as offered to the target subscription: the source VM's
    size, or the size pinned for it in the plan's `[target] sizes`, must be listed with no
    `Location` restriction (reason `NotAvailableForSubscription` or `QuotaId`). When a target
    zone is planned (`[target] zone`), the size must also be offered in that zone with no `Zone`
    restriction for it; zone restrictions are ignored otherwise.

    When the source size is not available, the checker names the size Site Recovery would fall
    back to ("the same size or the closest possible size"). Microsoft does not publish that
    algorithm; ours is:

    1. Hard requirements: available as above; at least the source size's vCPUs, memory,
       `MaxNetworkInterfaces` and `MaxDataDiskCount` (and the VM's own NIC and data-disk
       counts); Premium IO when the source size has it or the VM has a Premium/Ultra disk;
       accelerated networking when the source size supports it; every Hyper-V generation the
       source size supports.
    2. Preference: the same VM family (e.g. `standardDSv3Family`), then the same series and
       generation (e.g. `Dads_v5` for `D4s_v5`), then the same series, then any series.
    3. Smallest excess within a preference: fewest vCPUs, then least memory, then the same
       feature letters (`s` for `D4s_v3` rather than `as` or `ds`), then the newest
       generation, then the name.

    The source size's capabilities come from the target region's list (even when restricted
    there), else from any other region in the snapshot (the source region's SKUs).

    Outcomes: **pass** when the source (or pinned) size is available; **warn** when a substitute
    exists (the message names it and why); **fail** when no size qualifies or the pinned size is
    unavailable; **unknown** when the SKU list could not be read or the source size's
    capabilities are unknown.

    ## Why it matters
    Enable replication fails with error 150097 when no suitable target size exists, and a
    deployment of a restricted size fails with `SkuNotAvailable`. A substitute replicates, but
    the failover VM then differs from the source in cost, performance or quota family, which
    is worth confirming before a disaster rather than during one.

    ## How to fix
    - Restricted for the subscription (`NotAvailableForSubscription`, `QuotaId`): ask for the
      size to be enabled in the target region (a support request of type "Service and
      subscription limits (quotas)"), or choose a region where it is offered.
    - Zone restriction: plan another zone or no zone.
    - Or accept the named substitute, or pin a size you have checked in the plan:
      `[target] sizes = { "vm-db-01" = "Standard_E8s_v5" }`.

    ## References
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-troubleshoot-errors
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-how-to-enable-replication
    - https://learn.microsoft.com/azure/azure-resource-manager/troubleshooting/error-sku-not-available
    - https://learn.microsoft.com/rest/api/compute/resource-skus/list
    """
    choice = capacity_plan(ctx).choice(vm)
    where = choice.region + (f" zone {ctx.plan.target.zone}" if ctx.plan.target.zone else "")
    sub = f"subscription {choice.subscription}"
    if choice.kind is Choice.UNKNOWN:
        raise unresolved_size(ctx, choice)
    if choice.kind is Choice.SAME:
        return passed(
            vm, f"{vm.name}: {vm.size} is offered in {where} to {sub} without restriction"
        )
    if choice.kind is Choice.PINNED:
        return passed(
            vm, f"{vm.name}: the pinned size {choice.requested} is offered in {where} to {sub}"
        )
    if choice.kind is Choice.SUBSTITUTE:
        assert choice.size is not None
        return warned(
            vm,
            f"{vm.name}: {vm.size} is {choice.blocked}; Site Recovery would fall back to the "
            f"closest size {choice.size.name} ({choice.why})",
            hint=f"confirm {choice.size.name} (or pin a size in [target] sizes), or ask for "
            f"{vm.size} to be enabled in {choice.region} for {sub}",
        )
    if choice.requested != vm.size:  # a pinned size that is not available
        if choice.suggestion is None:
            other = f"no available size matches the source size {vm.size}"
        elif choice.suggestion.name == vm.size:
            other = f"the source size {vm.size} is offered"
        else:
            other = f"the closest available size to {vm.size} is {choice.suggestion.name}"
        return failed(
            vm,
            f"{vm.name}: the pinned target size {choice.requested} is {choice.blocked}",
            hint=f"pin another size or remove the pin ({other})",
        )
    return failed(
        vm,
        f"{vm.name}: {vm.size} is {choice.blocked} and no available size can replace it "
        f"({choice.why})",
        hint=f"ask for {vm.size} to be enabled in {choice.region} for {sub}, plan another zone "
        "or region, or resize the source VM",
    )
