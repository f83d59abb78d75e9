from asr_preflight.api import Finding, RuleContext, failed, passed, skipped, unknown, vm_rule
from asr_preflight.sizing import Choice
from asr_preflight.snapshot import VirtualMachine
from asr_preflight_rules.capacity._common import capacity_plan, unresolved_size


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
    choice = capacity_plan(ctx).choice(vm)
    if choice.kind is Choice.UNKNOWN:
        raise unresolved_size(ctx, choice)
    if choice.size is None:
        return skipped(vm, f"{vm.name}: no available target size to compare (see ASR101)")
    size, count = choice.size, len(vm.data_disks)
    disks = f"{count} data disk{'s' if count != 1 else ''}"
    if size.max_data_disks is None:
        return unknown(
            vm,
            f"{vm.name}: the SKU list gives no MaxDataDiskCount for {size.name}",
            hint="re-run collect; if it persists, check the size's limits in the docs",
        )
    text = f"{vm.name} has {disks}; target size {size.name} supports {size.max_data_disks}"
    if size.max_data_disks < count:
        return failed(
            vm,
            text,
            hint=f"pin a size with at least {count} data disks, or exclude disks from replication",
        )
    return passed(vm, text)
