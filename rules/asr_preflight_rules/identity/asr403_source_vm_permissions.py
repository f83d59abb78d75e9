from asr_preflight.api import Finding, RuleContext, vm_rule
from asr_preflight.snapshot import VirtualMachine

from ._permissions import SOURCE_VM_ACTIONS, Need, judge


@vm_rule(code="ASR403", name="source-vm-permissions", severity="fail")
def source_vm_permissions(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """The operating principal may read the source VM and install the Site Recovery extension.

    ## What it checks
    On the source VM, the principal is allowed `Microsoft.Compute/virtualMachines/read` and
    `Microsoft.Compute/virtualMachines/extensions/write`, through role assignments at the VM or
    any scope above it (directly or through a group), with no deny assignment blocking them.

    ## Why it matters
    Enable replication installs the Site Recovery Mobility extension on the source VM. A
    principal that may not write VM extensions (or a deny assignment, e.g. from a managed
    application or a deployment stack, that blocks it) makes the enable-replication job fail
    for that VM.

    ## How to fix
    Assign **Virtual Machine Contributor** (or Contributor) on the VM, its resource group or the
    subscription. If a deny assignment blocks extension writes, its owner must exclude the
    principal, or the VM must be protected by an identity the deny assignment excludes.

    ## References
    - https://learn.microsoft.com/azure/site-recovery/site-recovery-role-based-linked-access-control
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-how-to-enable-replication
    - https://learn.microsoft.com/azure/role-based-access-control/deny-assignments
    """
    need = Need(f"VM {vm.name}", vm.id, SOURCE_VM_ACTIONS)
    return judge(
        ctx, vm, [need], what=f"install the Site Recovery extension on {vm.name}", target=vm.id
    )
