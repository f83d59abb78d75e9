from asr_preflight.api import Finding, RuleContext, failed, passed, vm_rule
from asr_preflight.snapshot import VirtualMachine


@vm_rule(code="ASR505", name="no-ephemeral-os-disk", severity="fail")
def no_ephemeral_os_disk(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """The VM's OS disk is not an ephemeral OS disk.

    ## What it checks
    The OS disk's `diffDiskSettings.option` is not `Local`: the VM does not run from an ephemeral
    OS disk placed on the host's cache or temporary disk.

    ## Why it matters
    An ephemeral OS disk lives on the host and is not a managed disk that can be replicated.
    Microsoft lists Azure Site Recovery among the features ephemeral OS disks do not support, so
    enable replication fails for such a VM.

    ## How to fix
    Protect the workload another way (redeploy from image or scale set in the target region), or
    recreate the VM with a managed OS disk (`diffDiskSettings` absent) and then enable replication.

    ## References
    - https://learn.microsoft.com/azure/virtual-machines/ephemeral-os-disks (Unsupported features)
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-support-matrix
    """
    if vm.os_disk is None:
        raise ctx.missing("vms", vm.id, f"the OS disk of {vm.name}")
    if vm.os_disk.ephemeral:
        return failed(
            vm, f"{vm.name}: OS disk {vm.os_disk.name} is ephemeral; ASR cannot replicate it"
        )
    return passed(vm, f"{vm.name}: OS disk {vm.os_disk.name} is a managed, non-ephemeral disk")
