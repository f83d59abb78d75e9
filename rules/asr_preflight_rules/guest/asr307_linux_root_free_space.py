from asr_preflight.api import Finding, RuleContext, failed, passed, vm_rule
from asr_preflight.snapshot import VirtualMachine

from ._common import applicable, probe_missing

MIN_FREE_BYTES = 1024**3  # the agent installer's MIN_ROOT_FREESPACE_KB = 1048576


@vm_rule(code="ASR307", name="linux-root-free-space", severity="fail")
def linux_root_free_space(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """A Linux guest has at least 1 GiB free on its root file system.

    ## What it checks
    The space available to unprivileged users on `/` (`df -Pk /`, the column the mobility
    agent's installer reads) is at least 1 GiB. Windows VMs are skipped.

    ## Why it matters
    The Site Recovery mobility agent installs under `/usr/local/ASR` and its pre-requisite check
    refuses to install with less than 1 GiB free on `/`
    (`ASRMobilityServiceFreeSpaceOnRootNotSufficient`), so enable replication fails.

    ## How to fix
    Free space on `/` (old kernels, logs, package caches) or grow the OS disk and the root
    file system, then retry.

    ## References
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-troubleshoot-errors
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-support-matrix
    """
    if (skip := applicable(ctx, vm, "Linux")) is not None:
        return skip
    facts = ctx.guest(vm)
    if facts.root_free_bytes is None:
        raise probe_missing(facts, vm, "facts", "the free space on /")
    free = facts.root_free_bytes
    shown = f"{free / 1024**3:.2f} GiB" if free >= 1024**2 else f"{free // 1024} KiB"
    if free < MIN_FREE_BYTES:
        return failed(
            vm,
            f"{vm.name}: {shown} free on /; the mobility agent needs at least 1 GiB",
            hint="free space on / or grow the root file system",
        )
    return passed(vm, f"{vm.name}: {shown} free on / (at least 1 GiB needed)")
