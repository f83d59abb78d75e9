from asr_preflight.api import Finding, Outcome, RuleContext, skipped, vm_rule
from asr_preflight.snapshot import VirtualMachine

from .._facts import Tally, leaf


@vm_rule(code="ASR108", name="placement-mappable", severity="warn")
def placement_mappable(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """A VM in an availability set, proximity placement group or zone has a target placement.

    ## What it checks
    For a VM in an availability set: the plan maps that set to a target set (`[target]
    availability_sets = { "<source set id>" = "<target set id>" }`); otherwise the set is
    named (warn) and ASR would create one in the target resource group. For a VM in a proximity
    placement group: the plan names a target group (`[target] proximity_placement_group`);
    otherwise the group is named (warn). A zonal VM passes: ASR places it in the planned
    `[target] zone`, or in the same zone number of a zonal target region. An availability set
    together with a planned target zone warns (a VM is either in a set or in a zone). Skipped for
    a VM in none of them. The placement references are part of the VM model, so this rule is
    never unknown.

    ## Why it matters
    When the target placement is missing or invalid, enable replication or failover fails
    (error 150373), typically because a created availability set or proximity placement group
    cannot hold the target size, or automation (Terraform, PowerShell) passed no target
    placement.

    ## How to fix
    Create the target availability set or proximity placement group in the target region (and
    target resource group), and name it in the plan's `[target]` section; choose the same when
    you enable replication.

    ## References
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-how-to-enable-replication
    - https://learn.microsoft.com/azure/site-recovery/how-to-enable-replication-proximity-placement-groups
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-troubleshoot-errors
    """
    target = ctx.plan.target
    if not (vm.availability_set_id or vm.proximity_placement_group_id or vm.zone):
        return skipped(
            vm, f"{vm.name} is in no availability set, proximity placement group or zone"
        )
    tally = Tally(vm)
    notes: list[str] = []
    if vm.availability_set_id:
        sets = {k.lower(): v for k, v in target.availability_sets.items()}
        mapped = sets.get(vm.availability_set_id.lower())
        name = leaf(vm.availability_set_id)
        if mapped is None:
            tally.add(
                Outcome.WARN,
                f"availability set {name} has no target set in [target] availability_sets "
                "(ASR would create one)",
                "create the target availability set and map it in [target] availability_sets.",
            )
        else:
            notes.append(f"availability set {name} -> {leaf(mapped)}")
        if target.zone is not None:
            tally.add(
                Outcome.WARN,
                f"availability set {name} with a planned target zone {target.zone} (a VM is "
                "either in an availability set or in a zone)",
                "drop [target] zone for this VM's protection, or plan a zonal target.",
            )
    if vm.proximity_placement_group_id:
        name = leaf(vm.proximity_placement_group_id)
        if target.proximity_placement_group is None:
            tally.add(
                Outcome.WARN,
                f"proximity placement group {name} has no target in [target] "
                "proximity_placement_group",
                "create a proximity placement group in the target region and name it in "
                "[target] proximity_placement_group.",
            )
        else:
            notes.append(
                f"proximity placement group {name} -> {leaf(target.proximity_placement_group)}"
            )
    if vm.zone:
        notes.append(f"zone {vm.zone} -> zone {target.zone or vm.zone}")
    return tally.finding(
        f"{vm.name}'s placement has no valid target (error 150373)",
        f"{vm.name} has a target placement: {'; '.join(notes)}",
    )
