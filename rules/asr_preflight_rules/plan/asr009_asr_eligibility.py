from asr_preflight.api import Finding, RuleContext, failed, passed, skipped, vm_rule, warned
from asr_preflight.snapshot import EligibilityError, VirtualMachine


def is_warning(error: EligibilityError) -> bool:
    """An entry whose ``status`` marks a warning. The spec does not enumerate ``status``; any
    other value, or none, counts as an error (never a false pass)."""
    return (error.status or "").strip().lower() in ("warning", "warn")


@vm_rule(code="ASR009", name="asr-eligibility", severity="fail")
def asr_eligibility(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """Site Recovery's own eligibility check finds nothing that blocks the VM.

    ## What it checks
    The VM's `replicationEligibilityResults/default` (the check the portal runs before it lists
    a VM for replication) returns no errors. Each error code and message is shown, for example
    `A2AOperatingSystemNotSupported`. An entry whose `status` is `Warning` makes the result
    warn instead of fail; an entry with any other status (the API's example says `Error`), or
    none, is an error. Skipped when collection ran with `--no-eligibility`.

    ## Why it matters
    It is Site Recovery's own verdict, covering conditions asr-preflight cannot see (operating
    system and kernel support, existing protection, service-side limits). Any error it returns
    blocks enable replication.

    ## How to fix
    Follow the recommended action of each error (the message names it), then collect again. The
    operating principal needs read access to the VM (for example Reader) to call the API.

    ## References
    - https://learn.microsoft.com/cli/azure/site-recovery/replication-eligibility
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-troubleshoot-errors
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-support-matrix
    """
    if ctx.snapshot.collection.eligibility_skipped:
        return skipped(vm, "ASR eligibility was not collected (--no-eligibility)")
    index = ctx.cached(
        "asr009-eligibility", lambda: {e.vm_id.lower(): e for e in ctx.snapshot.eligibility}
    )
    result = index.get(vm.id.lower())
    if result is None:
        raise ctx.missing("eligibility", vm.id, f"ASR eligibility result of {vm.name}")
    if not result.errors:
        return passed(vm, f"Site Recovery's eligibility check returned no errors for {vm.name}")
    errors = [e for e in result.errors if not is_warning(e)]
    shown = errors or list(result.errors)
    listed = "; ".join(f"{e.code}: {e.message}" for e in shown)
    actions = dict.fromkeys(e.recommended_action for e in shown if e.recommended_action)
    hint = " ".join(a for a in actions if a)
    if not errors:
        return warned(
            vm, f"Site Recovery's eligibility check warns about {vm.name}: {listed}", hint=hint
        )
    return failed(vm, f"Site Recovery's eligibility check rejects {vm.name}: {listed}", hint=hint)
