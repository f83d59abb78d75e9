from asr_preflight.api import Finding, RuleContext, failed, passed, skipped, vm_rule
from asr_preflight.plan import Group
from asr_preflight.snapshot import VirtualMachine

MAX_GROUP_SIZE = 16


def group_size(ctx: RuleContext, group: Group) -> int:
    """Distinct VMs the group names; a name and the same VM's resource id count once."""
    keys = set()
    for ref in group.vms:
        vm = ctx.vm_named(ref)
        keys.add(vm.id.lower() if vm is not None else ref.lower())
    return len(keys)


def _membership(ctx: RuleContext) -> dict[str, tuple[Group, int]]:
    """Selected VM id -> (its group, the group's size), computed once per run."""
    out: dict[str, tuple[Group, int]] = {}
    for group, members in ctx.groups():
        size = group_size(ctx, group)
        for member in members:
            out[member.id.lower()] = (group, size)
    return out


@vm_rule(code="ASR008", name="replication-group-size", severity="fail")
def replication_group_size(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """The VM's multi-VM consistency group has at most 16 VMs.

    ## What it checks
    The `[[groups]]` entry that contains the VM names at most 16 distinct VMs (selected or not).
    VMs in no group are skipped. The plan is the only input, so this rule never says unknown.

    ## Why it matters
    A replication group (multi-VM consistency) holds at most 16 VMs; Site Recovery refuses to
    enable replication for a larger group.

    ## How to fix
    Split the group into groups of 16 or fewer VMs that really need shared crash- and
    app-consistent recovery points (multi-VM consistency is CPU intensive; use it only for VMs of
    one workload).

    ## References
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-common-questions
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-tutorial-enable-replication
    """
    found = ctx.cached("asr008-membership", lambda: _membership(ctx)).get(vm.id.lower())
    if found is None:
        return skipped(vm, f"{vm.name} is not in a multi-VM consistency group")
    group, size = found
    if size > MAX_GROUP_SIZE:
        return failed(
            vm,
            f"group {group.name!r} of {vm.name} has {size} VMs; at most {MAX_GROUP_SIZE} allowed",
            hint=f"split group {group.name!r} into groups of {MAX_GROUP_SIZE} VMs or fewer",
        )
    return passed(
        vm, f"group {group.name!r} of {vm.name} has {size} VMs (at most {MAX_GROUP_SIZE})"
    )
