from asr_preflight.api import Finding, RuleContext, failed, passed, vm_rule
from asr_preflight.snapshot import VirtualMachine

MIN_HOURS = 1
MAX_HOURS = 12


@vm_rule(code="ASR007", name="app-consistent-frequency", severity="fail")
def app_consistent_frequency(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """The app-consistent snapshot frequency is off, or between 1 and 12 hours.

    ## What it checks
    `[policy] app_consistent_frequency_hours` is 0 (app-consistent snapshots off) or between 1
    and 12 hours. The plan is the only input, so this rule never says unknown.

    ## Why it matters
    Site Recovery takes app-consistent snapshots at a "minimum frequency of one hour"; the policy
    blade and API accept 1 to 12 hours. A value outside that range cannot be set on the
    replication policy. Crash-consistent points are always taken every 5 minutes.

    ## How to fix
    Set `app_consistent_frequency_hours` to 0 (off, the current default) or to a value from 1 to
    12. Linux VMs need custom pre/post scripts for app-consistency.

    ## References
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-common-questions
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-tutorial-enable-replication
    """
    hours = ctx.plan.policy.app_consistent_frequency_hours
    if hours == 0:
        return passed(vm, f"app-consistent snapshots are off for {vm.name}")
    if MIN_HOURS <= hours <= MAX_HOURS:
        return passed(
            vm, f"app-consistent snapshots for {vm.name} every {hours} h (1-12 h allowed)"
        )
    return failed(
        vm,
        f"app-consistent snapshot frequency of {hours} h for {vm.name} is outside the "
        f"{MIN_HOURS}-{MAX_HOURS} h range",
        hint="set [policy] app_consistent_frequency_hours to 0 (off) or 1-12",
    )
