from asr_preflight.api import Finding, RuleContext, failed, passed, unknown, vm_rule
from asr_preflight.snapshot import VirtualMachine

from ._common import applicable, probe_missing

SERVICES = {"comsysapp": "COM+ System Application (COMSysApp)", "vss": "Volume Shadow Copy (VSS)"}


@vm_rule(code="ASR309", name="windows-vss-complus", severity="fail")
def windows_vss_complus(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """The COM+ System Application and Volume Shadow Copy services are not disabled.

    ## What it checks
    The start type of the Windows services `COMSysApp` (COM+ System Application) and `VSS`
    (Volume Shadow Copy) is not `Disabled` (Manual or Automatic are fine). Linux VMs are skipped.

    ## Why it matters
    The Site Recovery extension uses VSS for application-consistent recovery points; with either
    service disabled the extension fails to install (error 151025).

    ## How to fix
    Set both services to Manual or Automatic: `Set-Service -Name VSS -StartupType Manual` and
    `Set-Service -Name COMSysApp -StartupType Manual` (or via services.msc / Group Policy).

    ## References
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-troubleshoot-errors
    """
    if (skip := applicable(ctx, vm, "Windows")) is not None:
        return skip
    facts = ctx.guest(vm)
    if facts.services is None:
        raise probe_missing(facts, vm, "facts", "the Windows service configuration")
    found = {s.name.lower(): s for s in facts.services}
    # a service reported without a start type says nothing about whether it is disabled
    missing = [
        label for key, label in SERVICES.items() if key not in found or not found[key].start_type
    ]
    disabled = [
        label
        for key, label in SERVICES.items()
        if key in found and (found[key].start_type or "").lower() == "disabled"
    ]
    if disabled:
        return failed(
            vm,
            f"{vm.name}: {' and '.join(disabled)} {'is' if len(disabled) == 1 else 'are'} "
            "disabled; both must be Manual or Automatic",
            hint="Set-Service -Name VSS -StartupType Manual (and the same for COMSysApp)",
        )
    if missing:
        return unknown(
            vm,
            f"{vm.name}: the guest did not report the start type of {' and '.join(missing)}; "
            "both must be known to be Manual or Automatic",
        )
    states = ", ".join(f"{found[k].name} {found[k].start_type}" for k in SERVICES)
    return passed(
        vm, f"{vm.name}: COM+ System Application and Volume Shadow Copy are not disabled ({states})"
    )
