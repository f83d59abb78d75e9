from collections.abc import Iterator

from asr_preflight.api import Finding, RuleContext, estate_rule
from asr_preflight.snapshot import VirtualMachine
from asr_preflight_rules.capacity._common import capacity_plan, each_vm, judge_quota


@estate_rule(code="ASR104", name="vm-count-quota", severity="fail")
def vm_count_quota(ctx: RuleContext) -> Iterator[Finding]:
    """The target region's virtual machine count quota has room for the failover VMs.

    ## What it checks
    For each (target subscription, target region): the number of selected VMs that fail over
    there against the `virtualMachines` usage's `limit - currentValue`. Every selected VM
    counts, whether or not a target size is available for it. **Unknown** when the compute
    usages of the target region could not be read.

    ## Why it matters
    Besides vCPUs, a subscription has a per-region limit on the number of virtual machines; a
    failover that would exceed it cannot create all its VMs.

    ## How to fix
    Request a higher virtual machine quota for the target region and subscription (a support
    request of type "Service and subscription limits (quotas)"), delete unused VMs there, or
    split the failover across subscriptions.

    ## References
    - https://learn.microsoft.com/azure/virtual-machines/quotas
    - https://learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits
    """
    plan = capacity_plan(ctx)

    def judge(vm: VirtualMachine) -> Finding:
        scope = plan.scope_of(vm)
        return judge_quota(ctx, vm, scope, scope.vm_count, subject=vm.name, uncertain="")

    return each_vm(ctx, judge)
