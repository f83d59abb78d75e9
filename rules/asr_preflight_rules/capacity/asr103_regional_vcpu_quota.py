from collections.abc import Iterator

from asr_preflight.api import Finding, RuleContext, estate_rule
from asr_preflight.snapshot import VirtualMachine
from asr_preflight_rules.capacity._common import capacity_plan, each_vm, judge_quota


@estate_rule(code="ASR103", name="regional-vcpu-quota", severity="fail")
def regional_vcpu_quota(ctx: RuleContext) -> Iterator[Finding]:
    """The target region's total regional vCPU quota has room for the failover VMs.

    ## What it checks
    For each (target subscription, target region): the vCPUs of all selected VMs that fail over
    there, summed, against the `cores` usage ("Total Regional vCPUs") `limit - currentValue`.
    Each VM counts the vCPUs of its chosen target size (ASR101); a VM with no available target
    size counts its source size's vCPUs, since it still needs room once a size is found. Every
    VM of an overflowing scope fails with the numbers. **Unknown** when the usages could not be
    read, or when some VM's vCPUs are unknown and the known demand alone still fits (the
    message names those VMs).

    ## Why it matters
    Quotas have two tiers, total regional vCPUs and per-family vCPUs: "If either of those quotas
    are exceeded, the VM deployment will not be allowed." A family with headroom does not help
    when the regional total is exhausted; Site Recovery reports the shortfall as error 150097.

    ## How to fix
    Request a "Total Regional vCPUs" increase for the target region and subscription (portal:
    Quotas > Compute > Total Regional vCPUs) of at least the shortfall in the message, free
    vCPUs by deallocating or deleting unused VMs there, or fail over into another subscription.

    ## References
    - https://learn.microsoft.com/azure/virtual-machines/quotas
    - https://learn.microsoft.com/azure/quotas/regional-quota-requests
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-troubleshoot-errors
    """
    plan = capacity_plan(ctx)

    def judge(vm: VirtualMachine) -> Finding:
        scope = plan.scope_of(vm)
        return judge_quota(ctx, vm, scope, scope.cores, subject=vm.name, uncertain="the vCPUs of")

    return each_vm(ctx, judge)
