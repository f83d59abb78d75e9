from asr_preflight.api import Finding, MissingFact, RuleContext, failed, passed, unknown, vm_rule
from asr_preflight.snapshot import VirtualMachine
from asr_preflight.support_matrix import judge, load

from ._common import applicable, probe_missing


@vm_rule(code="ASR311", name="os-supported", severity="fail")
def os_supported(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """The guest's operating system and running kernel are on ASR's support matrix.

    ## What it checks
    The guest's distribution and version (`/etc/os-release` `ID` and `VERSION_ID`) and running
    kernel (`uname -r`), or on Windows the edition and build (`Win32_OperatingSystem`), against
    the support table shipped with this version: support table dated 2025-06-13, generated from
    the Azure-to-Azure support matrix page (each row names its page section and date; `python -m
    asr_preflight.support_matrix show` prints it). Windows Server 2008 R2 and Windows 7 also need
    the servicing stack update KB4490628 and the SHA-2 code signing update KB4474419.

    - **fail**: a release the matrix lists as not supported (Debian 9.0), a kernel below the
      minimum the matrix states for the release (RHEL 8.4 to 8.6), a 2008 R2 / 7 guest without
      the two updates, a 32-bit Windows client (the matrix lists x64 only).
    - **pass**: the release is listed and its kernel is one the table lists for some mobility
      agent version (exact, "and higher", or SUSE's stock `-default` kernels), or the table
      lists no kernels for that release and the kernel looks like the distribution's own
      (`.el8` for RHEL 8, `-default` for SUSE, …).
    - **unknown**: a release or kernel the table does not list (a newer release, a kernel
      published after the table's date, a custom kernel, a distribution the page does not
      mention). The matrix changes every few weeks and ASR adds new kernels by hotfix within
      about 30 days, so absence from an older table is not a failure.

    ## Why it matters
    The mobility agent's kernel driver is built per distribution and kernel: on an unlisted
    kernel the extension fails to install (`ASRMobilityServiceKernelNotSupported`) and enable
    replication fails; an unsupported OS is refused as `A2AOperatingSystemNotSupported`. Without
    SHA-2 code signing support, Windows 2008 R2 / 7 cannot load the agent's signed drivers.

    ## How to fix
    Move to a supported release or a stock kernel the matrix lists (update and reboot); on
    Windows Server 2008 R2 / 7 install KB4490628 and KB4474419. If the verdict is unknown, look
    the release and kernel up in the current matrix; to refresh the shipped table, save the
    page's Markdown and run `python -m asr_preflight.support_matrix update PAGE.md`.

    ## References
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-support-matrix#replicated-machine-operating-systems
    - https://learn.microsoft.com/troubleshoot/azure/site-recovery/azure-to-azure-troubleshoot-errors
    - https://aka.ms/SHA-2KB
    """
    if (skip := applicable(ctx, vm)) is not None:
        return skip
    facts = ctx.guest(vm)
    windows = facts.transport == "winrm" or vm.os_type == "Windows"
    if not facts.os_release:
        raise probe_missing(facts, vm, "facts", "the operating system release")
    verdict = judge(load(), facts.os_release, facts.kernel, windows, facts.hotfixes)
    message = f"{vm.name}: {verdict.message}"
    if verdict.outcome == "pass":
        return passed(vm, message)
    if verdict.outcome == "fail":
        return failed(vm, message, hint=verdict.hint)
    if verdict.hint:
        return unknown(vm, message, hint=verdict.hint)
    raise MissingFact(message, "re-run `asr-preflight collect`")
