from asr_preflight.api import Finding, RuleContext, failed, passed, vm_rule
from asr_preflight.snapshot import VirtualMachine

from .._facts import vm_fact_missing

MANAGED_MAX_HOURS = 15 * 24  # "15 days with Managed disk"
UNMANAGED_MAX_HOURS = 3 * 24  # "three days with Unmanaged disk"


def _days(hours: int) -> str:
    return f"{hours} h ({hours / 24:g} days)"


@vm_rule(code="ASR006", name="retention-in-range", severity="fail")
def retention_in_range(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """The replication policy's recovery point retention is within Site Recovery's limits.

    ## What it checks
    `[policy] retention_hours` is at most 15 days (360 h) when all of the VM's disks are managed,
    and at most 3 days (72 h) when the VM has an unmanaged (VHD) disk. 0 keeps only the latest
    recovery point and is allowed.

    ## Why it matters
    "The oldest recovery point that you can use is 15 days with Managed disk and three days with
    Unmanaged disk." A policy outside the range cannot be created or applied to the VM.

    ## How to fix
    Lower `retention_hours` (the portal default is 24 h), or convert the VM's unmanaged disks
    to managed disks before protecting it with a longer retention.

    ## References
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-common-questions
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-how-to-enable-replication
    """
    hours = ctx.plan.policy.retention_hours
    if hours > MANAGED_MAX_HOURS:
        return failed(
            vm,
            f"retention of {_days(hours)} for {vm.name} exceeds the 15-day maximum",
            hint="set [policy] retention_hours to 360 or less",
        )
    if hours <= UNMANAGED_MAX_HOURS:
        return passed(vm, f"retention of {_days(hours)} for {vm.name} is within the limits")
    if vm.os_disk is None:
        raise vm_fact_missing(ctx, vm, "the disks (managed or unmanaged)")
    unmanaged = [d.name for d in (vm.os_disk, *vm.data_disks) if not d.managed]
    if unmanaged:
        return failed(
            vm,
            f"retention of {_days(hours)} exceeds the 3-day maximum for {vm.name}, which has "
            f"unmanaged disks ({', '.join(unmanaged)})",
            hint="set [policy] retention_hours to 72 or less, or convert the disks to managed",
        )
    return passed(
        vm, f"retention of {_days(hours)} is within the 15-day limit for {vm.name}'s managed disks"
    )
