from asr_preflight.api import Finding, RuleContext, failed, passed, vm_rule
from asr_preflight.snapshot import VirtualMachine

from .._facts import vm_fact_missing

SITE_RECOVERY_PUBLISHER = "Microsoft.Azure.RecoveryServices.SiteRecovery"


@vm_rule(code="ASR504", name="no-stale-asr-extension", severity="fail")
def no_stale_asr_extension(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """No Site Recovery extension is left over from an earlier protection.

    ## What it checks
    None of the VM's extensions is published by `Microsoft.Azure.RecoveryServices.SiteRecovery`
    (the Mobility service extension of Azure-to-Azure replication).

    ## Why it matters
    A VM that is about to be protected should carry no Site Recovery extension. One that does
    either is still protected (possibly by a vault that was deleted) or kept stale configuration
    when replication was disabled; enabling replication then fails with error 150226
    ("Replication not enabled on VM with stale resources") and the VM is not listed in the vault.

    ## How to fix
    If the VM is protected by another vault, disable replication there. Otherwise remove the
    stale configuration with Microsoft's `Cleanup-Stale-ASR-Config-Azure-VM.ps1` script (it
    deletes the extension and the stale links), then check again.

    ## References
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-virtual-machine-errors
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-troubleshoot-errors
    """
    if vm.extensions is None:
        raise vm_fact_missing(ctx, vm, "the extensions")
    stale = [e for e in vm.extensions if e.publisher.lower() == SITE_RECOVERY_PUBLISHER.lower()]
    if not stale:
        return passed(vm, f"{vm.name} carries no Site Recovery extension")
    listed = ", ".join(f"{e.name} ({e.type}{', ' + e.version if e.version else ''})" for e in stale)
    return failed(
        vm,
        f"{vm.name} already carries the Site Recovery extension {listed}; expected none before "
        "enabling replication",
        hint="disable replication in the vault that protects it, or run "
        "Cleanup-Stale-ASR-Config-Azure-VM.ps1 to remove the stale configuration",
    )
