from asr_preflight.api import Finding, RuleContext, failed, passed, vm_rule
from asr_preflight.snapshot import VirtualMachine

from .._facts import vm_fact_missing

MAX_DATA_DISKS = 64


@vm_rule(code="ASR507", name="data-disk-count", severity="fail")
def data_disk_count(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """The VM has at most 64 data disks.

    ## What it checks
    The number of data disks attached to the VM is at most 64. (Whether the target size takes
    that many is ASR106.)

    ## Why it matters
    Site Recovery replicates "up to 64" data disks per VM, within what the VM size supports.

    ## How to fix
    Consolidate data onto fewer, larger disks (or storage pools), or exclude data disks that do
    not need protection.

    ## References
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-support-matrix
      (Replicated machines - storage)
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-exclude-disks
    """
    if vm.os_disk is None:
        raise vm_fact_missing(ctx, vm, "the disks")
    count = len(vm.data_disks)
    if count > MAX_DATA_DISKS:
        return failed(
            vm,
            f"{vm.name} has {count} data disks; at most {MAX_DATA_DISKS} can be replicated",
            hint="consolidate or exclude data disks",
        )
    return passed(vm, f"{vm.name} has {count} data disks (at most {MAX_DATA_DISKS})")
