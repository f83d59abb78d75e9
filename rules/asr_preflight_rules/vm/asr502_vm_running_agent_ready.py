from asr_preflight.api import Finding, RuleContext, failed, passed, vm_rule
from asr_preflight.snapshot import VirtualMachine

from .._facts import vm_fact_missing


def power_state(vm: VirtualMachine) -> str | None:
    """``running``, ``deallocated``… (``PowerState/running`` normalised), or None."""
    if vm.power_state is None:
        return None
    return vm.power_state.rsplit("/", 1)[-1].lower()


@vm_rule(code="ASR502", name="vm-running-agent-ready", severity="fail")
def vm_running_agent_ready(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """The VM is running and its Azure VM agent reports Ready.

    ## What it checks
    The VM's power state is `running` and the guest agent status in its instance view is
    `Ready`.

    ## Why it matters
    Site Recovery installs its Mobility service as a VM extension, through the VM agent: "VMs
    must be on in order to replicate. We use an extension to the VM agent for replication, so the
    agent must be running." A stopped or deallocated VM, or one whose agent is not ready, fails
    enable replication.

    ## How to fix
    Start the VM. If the agent is not ready, repair or reinstall the Azure VM agent (waagent on
    Linux, WindowsAzureGuestAgent on Windows) and make sure it can reach the wire server
    (168.63.129.16).

    ## References
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-support-matrix
    - https://learn.microsoft.com/azure/virtual-machines/extensions/agent-linux
    - https://learn.microsoft.com/azure/virtual-machines/extensions/agent-windows
    """
    power = power_state(vm)
    if power is None:
        raise vm_fact_missing(ctx, vm, "the power state")
    if power != "running":
        return failed(
            vm,
            f"{vm.name} is {power}; it must be running with its VM agent Ready",
            hint="start the VM before enabling replication",
        )
    agent = vm.agent_status
    if agent is None:
        raise vm_fact_missing(ctx, vm, "the VM agent status")
    if agent.lower() != "ready":
        return failed(
            vm,
            f"{vm.name} is running but its VM agent reports {agent!r}; expected Ready",
            hint="repair or reinstall the Azure VM agent in the guest",
        )
    version = f" (agent {vm.agent_version})" if vm.agent_version else ""
    return passed(vm, f"{vm.name} is running and its VM agent is Ready{version}")
