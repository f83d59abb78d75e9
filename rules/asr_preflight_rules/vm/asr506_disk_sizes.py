from asr_preflight.api import Finding, Outcome, RuleContext, vm_rule
from asr_preflight.snapshot import VirtualMachine

from .._facts import Tally, vm_fact_missing

OS_MAX_GIB = 4095
MANAGED_DATA_MIN_GIB = 1
MANAGED_DATA_MAX_GIB = 32 * 1024
UNMANAGED_DATA_MAX_GIB = 4 * 1024


@vm_rule(code="ASR506", name="disk-sizes", severity="fail")
def disk_sizes(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """The VM's disks are within the sizes Site Recovery replicates.

    ## What it checks
    The OS disk is at most 4095 GiB; each managed data disk is between 1 GiB and 32 TiB; each
    unmanaged data disk is at most 4 TiB. A disk whose size was not reported makes the result
    unknown (unless another disk already fails).

    ## Why it matters
    These are the support matrix limits; a disk outside them cannot be protected. A managed data
    disk under 1 GiB fails enable replication with error 150172 ("…lesser than the minimum
    supported size 1024 MB").

    ## How to fix
    Resize or replace the disk (move data off an oversized disk, grow a tiny one to at least
    1 GiB), or exclude the data disk from replication.

    ## References
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-support-matrix
      (Replicated machines - storage)
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-troubleshoot-errors
    """
    if vm.os_disk is None:
        raise vm_fact_missing(ctx, vm, "the disks")
    tally = Tally(vm)
    hint = "re-run collect with read access to the VM's disks"
    os_disk = vm.os_disk
    if os_disk.size_gb is None:
        tally.add(Outcome.UNKNOWN, f"OS disk {os_disk.name} size not reported", hint)
    elif os_disk.size_gb > OS_MAX_GIB:
        tally.add(
            Outcome.FAIL, f"OS disk {os_disk.name} is {os_disk.size_gb} GiB (max {OS_MAX_GIB})"
        )
    for disk in vm.data_disks:
        size = disk.size_gb
        if size is None:
            tally.add(Outcome.UNKNOWN, f"data disk {disk.name} size not reported", hint)
        elif disk.managed and not MANAGED_DATA_MIN_GIB <= size <= MANAGED_DATA_MAX_GIB:
            tally.add(
                Outcome.FAIL,
                f"managed data disk {disk.name} is {size} GiB (1 GiB to 32 TiB allowed)",
            )
        elif not disk.managed and size > UNMANAGED_DATA_MAX_GIB:
            tally.add(Outcome.FAIL, f"unmanaged data disk {disk.name} is {size} GiB (max 4 TiB)")
    count = 1 + len(vm.data_disks)
    return tally.finding(
        f"{vm.name} has disks outside the supported sizes",
        f"all {count} disks of {vm.name} are within the supported sizes",
    )
