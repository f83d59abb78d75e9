from collections.abc import Iterator

from asr_preflight.api import Finding, RuleContext, estate_rule, skipped, unknown
from asr_preflight.sizing import Choice
from asr_preflight.snapshot import VirtualMachine
from asr_preflight_rules.capacity._common import (
    capacity_plan,
    each_vm,
    judge_quota,
    unresolved_size,
)


@estate_rule(code="ASR102", name="family-vcpu-quota", severity="fail")
def family_vcpu_quota(ctx: RuleContext) -> Iterator[Finding]:
    """The target region's VM-family vCPU quota has room for the failover VMs.

    ## What it checks
    For each (target subscription, target region) and each VM-size family: the vCPUs of the
    target sizes chosen for the selected VMs (see ASR101: the source size, the pinned size or
    the closest substitute, which charges its own family) are summed per family usage
    (`standardDSv3Family`, shown as "Standard DSv3 Family vCPUs") and compared with that usage's
    `limit - currentValue` in the target region. The target subscription is the plan's
    `[target] subscription`, else the VM's own.

    Every VM of an overflowing family fails, and the message gives the numbers ("needs 48
    Standard DSv3 Family vCPUs for 3 VMs; 20 of 100 free (short by 28)"). A VM with no
    available target size is **skipped** here (ASR101 fails it) and still counts in ASR103 and
    ASR104. **Unknown** when the usages or SKUs could not be read, or when another VM's target
    family is unknown and the known demand alone still fits.

    ## Why it matters
    Azure quotas have two tiers, total regional vCPUs and per-family vCPUs: "If either of those
    quotas are exceeded, the VM deployment will not be allowed." Site Recovery validates the
    target quota when replication is enabled (error 150097), and a failover that cannot create
    its VMs leaves the workload down.

    ## How to fix
    Request a family vCPU quota increase for the target region (portal: Quotas > Compute, or a
    support request), of at least the shortfall given in the message; or pin sizes from a family
    with headroom in `[target] sizes`; or protect fewer VMs into this subscription.

    ## References
    - https://learn.microsoft.com/azure/virtual-machines/quotas
    - https://learn.microsoft.com/azure/quotas/per-vm-quota-requests
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-troubleshoot-errors
    """
    plan = capacity_plan(ctx)

    def judge(vm: VirtualMachine) -> Finding:
        choice = plan.choice(vm)
        if choice.kind is Choice.UNKNOWN:
            raise unresolved_size(ctx, choice)
        if choice.kind is Choice.NONE or choice.size is None:
            return skipped(vm, f"{vm.name}: no available target size to charge (see ASR101)")
        family = choice.size.family
        if family is None:
            return unknown(
                vm,
                f"{vm.name}: the SKU list gives no family for {choice.size.name}, so its quota "
                "family is unknown",
                hint="re-run collect; if it persists, check the size's family in the portal",
            )
        scope = plan.scope_of(vm)
        return judge_quota(
            ctx,
            vm,
            scope,
            scope.families[family.lower()],
            subject=f"{vm.name} ({choice.size.name})",
            uncertain="the target family of",
        )

    return each_vm(ctx, judge)
