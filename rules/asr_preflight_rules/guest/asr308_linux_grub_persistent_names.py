import re

from asr_preflight.api import Finding, MissingFact, RuleContext, failed, passed, vm_rule
from asr_preflight.snapshot import VirtualMachine

from ._common import applicable, probe_missing

#: Kernel device names that can change between boots (or on the recovery VM).
_UNSTABLE = re.compile(r"^/dev/(sd[a-z]+|hd[a-z]+|vd[a-z]+|xvd[a-z]+|nvme\d+n\d+)(p?\d+)?$")


@vm_rule(code="ASR308", name="linux-grub-persistent-names", severity="fail")
def linux_grub_persistent_names(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """GRUB names the root and resume devices persistently, not as /dev/sdX.

    ## What it checks
    The `root=` and `resume=` kernel parameters in `/boot/grub/menu.lst`,
    `/boot/grub/grub.cfg`, `/boot/grub2/grub.cfg`, `/etc/default/grub` and EFI `grub.cfg`
    files use `UUID=`, `LABEL=`, `PARTUUID=`, `/dev/disk/by-*` or LVM/device-mapper names, not
    kernel names such as `/dev/sda1`. Windows VMs are skipped; a VM with no GRUB file is
    unknown.

    ## Why it matters
    Device names like `/dev/sdb1` can change on the recovered VM, which then fails to boot.
    Site Recovery's prerequisite check rejects such a configuration with error 151126.

    ## How to fix
    Replace each device name with its UUID (`blkid`), e.g. `root=UUID=…` in
    `/etc/default/grub`, then regenerate the GRUB configuration (`update-grub` or
    `grub2-mkconfig -o /boot/grub2/grub.cfg`).

    ## References
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-troubleshoot-errors
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-protection-errors
    """
    if (skip := applicable(ctx, vm, "Linux")) is not None:
        return skip
    facts = ctx.guest(vm)
    if facts.grub_device_names is None:
        if facts.probe_errors.get("facts"):
            raise probe_missing(facts, vm, "facts", "the GRUB configuration")
        raise MissingFact(
            f"{vm.name}: no GRUB configuration file was found in the guest",
            "the probe reads /boot/grub*/, /etc/default/grub and EFI grub.cfg; are they readable?",
        )
    unstable = [n for n in facts.grub_device_names if _UNSTABLE.match(n.split("=", 1)[-1])]
    files = ", ".join(facts.grub_files or ()) or "the GRUB files"
    if unstable:
        return failed(
            vm,
            f"{vm.name}: {files} use {', '.join(sorted(set(unstable)))}; root= and resume= must "
            "use UUID, LABEL or LVM names",
            hint="replace the device names with UUID=… (blkid) and regenerate grub.cfg",
        )
    names = ", ".join(sorted(set(facts.grub_device_names))) or "no root=/resume= parameter"
    return passed(vm, f"{vm.name}: {files} use persistent names ({names})")
