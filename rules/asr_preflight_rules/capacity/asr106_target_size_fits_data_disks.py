from asr_preflight.api import Finding, RuleContext, vm_rule
from asr_preflight.sizing import SizeSpec
from asr_preflight.snapshot import VirtualMachine
from asr_preflight_rules.capacity._common import size_fits, target_size


@vm_rule(code="ASR106", name="target-size-fits-data-disks", severity="fail")
def target_size_fits_data_disks(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """The target VM size supports as many data disks as the source VM has.

    ## What it checks
    The `MaxDataDiskCount` capability of the VM's target size (ASR101: the source size, the size
    pinned in `[target] sizes`, or the closest substitute) is at least the number of data disks
    attached to the source VM, all of which Site Recovery replicates by default. The chooser
    only picks substitutes that fit, so in practice this fails for a pinned size that is too
    small. **Skip** when no target size is available (ASR101 fails); **unknown** when the
    size's capabilities are unknown.

    ## Why it matters
    The failover VM must attach every replicated disk. The support matrix allows up to 64 data
    disks "in accordance with support for a specific Azure VM size"; a smaller target size
    cannot attach them and the failover VM cannot be created as replicated. (Microsoft states
    the NIC fit explicitly; the disk fit is inferred from the size limits.)

    ## How to fix
    Pin a target size whose `MaxDataDiskCount` covers the VM's data disks, or exclude the disks
    the workload does not need from replication (and from the source VM).

    ## References
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-support-matrix
    - https://learn.microsoft.com/azure/site-recovery/exclude-disks-replication
    - https://learn.microsoft.com/azure/virtual-machines/sizes
    """
    size = target_size(ctx, vm)
    if not isinstance(size, SizeSpec):
        return size
    count = len(vm.data_disks)
    return size_fits(
        vm,
        size,
        count,
        size.max_data_disks,
        noun="data disk",
        capability="MaxDataDiskCount",
        hint=f"pin a size with at least {count} data disks, or exclude disks from replication",
    )
