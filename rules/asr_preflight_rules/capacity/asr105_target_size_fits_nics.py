from asr_preflight.api import Finding, RuleContext, vm_rule
from asr_preflight.sizing import SizeSpec
from asr_preflight.snapshot import VirtualMachine
from asr_preflight_rules.capacity._common import size_fits, target_size


@vm_rule(code="ASR105", name="target-size-fits-nics", severity="fail")
def target_size_fits_nics(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """The target VM size supports as many network interfaces as the source VM has.

    ## What it checks
    The `MaxNetworkInterfaces` capability of the VM's target size (ASR101: the source size, the
    size pinned in `[target] sizes`, or the closest substitute) is at least the number of NICs
    attached to the source VM. The chooser only picks substitutes that fit, so in practice this
    fails for a pinned size that is too small. **Skip** when no target size is available
    (ASR101 fails); **unknown** when the size's capabilities or the VM's NICs are unknown.

    ## Why it matters
    Site Recovery gives the failover VM one NIC per source NIC. "No suitable target VM size is
    found to match the source VM's network interface card (NIC) count" is one of the causes of
    enable-replication error 150097.

    ## How to fix
    Pin a target size whose `MaxNetworkInterfaces` covers the VM's NICs (Azure lists it per
    size: `az vm list-skus -l <region> --size <size>`), or detach the NICs the workload does not
    need from the source VM.

    ## References
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-troubleshoot-errors
    - https://learn.microsoft.com/azure/virtual-network/virtual-network-network-interface-vm
    - https://learn.microsoft.com/azure/virtual-machines/sizes
    """
    size = target_size(ctx, vm)
    if not isinstance(size, SizeSpec):
        return size
    if not vm.nic_ids:
        raise ctx.missing("vms", vm.id, f"{vm.name}'s network interfaces")
    count = len(vm.nic_ids)
    return size_fits(
        vm,
        size,
        count,
        size.max_nics,
        noun="NIC",
        capability="MaxNetworkInterfaces",
        hint=f"pin a size with at least {count} NICs, or detach unneeded NICs",
    )
