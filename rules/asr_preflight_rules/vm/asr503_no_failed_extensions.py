from asr_preflight.api import Finding, RuleContext, failed, passed, vm_rule
from asr_preflight.snapshot import Extension, VirtualMachine

from .._facts import vm_fact_missing


def is_failed(ext: Extension) -> bool:
    state = (ext.provisioning_state or "").lower()
    level = (ext.status_level or "").lower()
    return state == "failed" or level == "error"


@vm_rule(code="ASR503", name="no-failed-extensions", severity="fail")
def no_failed_extensions(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """No VM extension is in a failed state.

    ## What it checks
    None of the VM's extensions has provisioning state `Failed` or an instance-view status of
    level `Error`.

    ## Why it matters
    Enabling replication installs the Site Recovery extension; while another extension is failed
    the VM cannot take new extension operations, and the portal reports "Unable to select a VM
    for protection".

    ## How to fix
    Repair, reinstall or remove the failed extension (Extensions + applications blade, or
    `az vm extension delete`), make sure the VM agent is healthy, then check again.

    ## References
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-protection-errors
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-troubleshoot-errors
    """
    if vm.extensions is None:
        raise vm_fact_missing(ctx, vm, "the extensions")
    bad = [e for e in vm.extensions if is_failed(e)]
    if not bad:
        return passed(vm, f"none of {vm.name}'s {len(vm.extensions)} extensions has failed")
    listed = ", ".join(
        f"{e.name} ({e.publisher}.{e.type}: {e.status or e.provisioning_state})" for e in bad
    )
    return failed(
        vm,
        f"{vm.name} has failed extensions: {listed}; expected none",
        hint="repair, reinstall or remove the failed extensions",
    )
