from asr_preflight.api import Finding, RuleContext, failed, passed, vm_rule
from asr_preflight.snapshot import VirtualMachine

from .._facts import vm_fact_missing

_HINTS = {
    "failed": "find the failed operation in the VM's activity log and redeploy or repair the VM "
    "(contact Azure support if it stays Failed)",
    "updating": "wait for the running operation to finish, then check again",
}


@vm_rule(code="ASR501", name="vm-provisioning-succeeded", severity="fail")
def vm_provisioning_succeeded(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """The VM's provisioning state is Succeeded.

    ## What it checks
    The VM's `provisioningState` is `Succeeded` (not `Failed`, `Updating`, `Creating`…).

    ## Why it matters
    Site Recovery refuses to enable replication for a VM whose provisioning state is not valid
    (error 150019, "VM provisioning state isn't valid"): the extension it installs cannot be
    deployed while the VM is failed or in the middle of another operation.

    ## How to fix
    `Updating`: wait until the operation ends. `Failed`: find the failed operation in the
    activity log, then redeploy or repair the VM (for example re-apply its model); contact
    support if it stays failed.

    ## References
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-virtual-machine-errors
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-troubleshoot-errors
    """
    state = vm.provisioning_state
    if state is None:
        raise vm_fact_missing(ctx, vm, "the provisioning state")
    if state.lower() == "succeeded":
        return passed(vm, f"{vm.name}'s provisioning state is Succeeded")
    return failed(
        vm,
        f"{vm.name}'s provisioning state is {state}; expected Succeeded",
        hint=_HINTS.get(state.lower(), _HINTS["failed"]),
    )
