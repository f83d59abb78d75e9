from asr_preflight.api import Finding, RuleContext, failed, passed, vm_rule
from asr_preflight.snapshot import VirtualMachine

from .._facts import leaf


@vm_rule(code="ASR510", name="not-on-dedicated-host", severity="fail")
def not_on_dedicated_host(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """The VM is not placed on an Azure Dedicated Host.

    ## What it checks
    The VM model has neither a `host` nor a `hostGroup` reference. The placement is part of the
    VM model that every collection reads, so this rule never says unknown.

    ## Why it matters
    The support matrix lists Azure Dedicated Hosts as not supported for Azure-to-Azure disaster
    recovery.

    ## How to fix
    Protect the workload by other means (for example application-level replication to a VM
    in the target region), or move the VM off the dedicated host before enabling replication.

    ## References
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-support-matrix
      (Replicated machines - compute settings)
    - https://learn.microsoft.com/azure/virtual-machines/dedicated-hosts
    """
    placement = vm.dedicated_host_id or vm.dedicated_host_group_id
    if placement:
        kind = "dedicated host" if vm.dedicated_host_id else "dedicated host group"
        return failed(
            vm,
            f"{vm.name} runs on {kind} {leaf(placement)}; Site Recovery does not support "
            "VMs on Azure Dedicated Hosts",
            hint="move the VM off the dedicated host, or protect the workload by other means",
        )
    return passed(vm, f"{vm.name} is not placed on an Azure Dedicated Host")
