import re

from asr_preflight.api import Finding, MissingFact, RuleContext, failed, passed, vm_rule
from asr_preflight.snapshot import VirtualMachine

from ._common import applicable, probe_missing

#: Kernel device names that can change between boots (or on the recovery VM).
_UNSTABLE = re.compile(r"^/dev/(sd[a-z]+|hd[a-z]+|vd[a-z]+|xvd[a-z]+|nvme\d+n\d+)(p?\d+)?$")


_ROOT_HINT = "probe as root to read every GRUB file (see docs/guest.md)"


@vm_rule(code="ASR308", name="linux-grub-persistent-names", severity="fail")
def linux_grub_persistent_names(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """GRUB names the root and resume devices persistently, not as /dev/sdX.

    ## What it checks
    The `root=` and `resume=` kernel parameters in `/boot/grub/menu.lst`,
    `/boot/grub/grub.cfg`, `/boot/grub2/grub.cfg`, `grubenv`, `/etc/default/grub`, EFI
    `grub.cfg` files and BLS entries under `/boot/loader/entries/` use `UUID=`, `LABEL=`,
    `PARTUUID=`, `/dev/disk/by-*` or LVM/device-mapper names, not kernel names such as
    `/dev/sda1`. Windows VMs are skipped; a VM with no GRUB file is unknown, and so is one where
    a GRUB file (or a directory holding one, such as a root-only `/boot/efi`; RHEL's `grub.cfg`
    and `grubenv` are readable by root only) cannot be read by the probe user, unless a readable
    file already names a device by its kernel name.

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
    # names read from some GRUB files only (others unreadable): a failure stands, nothing else
    partial = "grub" in facts.probe_errors
    if facts.grub_device_names is None:
        if facts.probe_errors.get("facts"):
            raise probe_missing(facts, vm, "facts", "the GRUB configuration")
        if partial:
            raise probe_missing(facts, vm, "grub", "the GRUB configuration", _ROOT_HINT)
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
    if partial:
        raise probe_missing(facts, vm, "grub", "every GRUB file (for root=/resume=)", _ROOT_HINT)
    names = ", ".join(sorted(set(facts.grub_device_names))) or "no root=/resume= parameter"
    return passed(vm, f"{vm.name}: {files} use persistent names ({names})")
