from asr_preflight.api import Finding, RuleContext, failed, passed, skipped, vm_rule
from asr_preflight.snapshot import VirtualMachine

from ._common import PROBE_FAILED_HINT, applicable, probe_missing


def _lvs_hint(ctx: RuleContext) -> str:
    linux = ctx.plan.guest.linux if ctx.plan.guest is not None else None
    user = linux.user if linux is not None else "<user>"
    return (
        "probe as root, or set `[guest.linux] sudo = true` in the plan and allow the probe user "
        f"exactly `sudo -n lvs`: `{user} ALL=(root) NOPASSWD: /usr/sbin/lvs` in /etc/sudoers.d/ "
        "(see docs/guest.md)"
    )


@vm_rule(code="ASR312", name="linux-lvm-root-present", severity="fail")
def linux_lvm_root_present(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """Every LVM logical volume GRUB's kernel line names exists.

    ## What it checks
    The logical volumes named by `rd.lvm.lv=VG/LV` and `rd_LVM_LV=VG/LV` in the GRUB files
    (`/etc/default/grub`, `/boot/grub*/grub.cfg`, `grubenv`, EFI `grub.cfg`, BLS entries under
    `/boot/loader/entries/`) are all listed by `lvs`. The probe runs `lvs --readonly` as root;
    for another user only when the plan opts in with `[guest.linux] sudo = true`, through
    `sudo -n lvs` (which never prompts; without the opt-in the probe never calls sudo, whose
    refusals would show as failed authentications in the guest's logs, and the verdict is
    unknown). Windows VMs are skipped, and so
    is a guest whose GRUB names no logical volume; when `lvs` is missing or may not run, or a
    GRUB file (or a directory holding one, such as a root-only `/boot/efi`) cannot be read by
    the probe user, the verdict is unknown unless a readable file already names a missing
    volume. Volume names are compared exactly (LVM names are case-sensitive).

    ## Why it matters
    Site Recovery's installer reads the devices on the kernel line; one that does not exist (a
    renamed volume group, a removed swap LV) stops protection with error 151124 ("GRUB device
    doesn't exist", `ASRMobilityServiceDeviceNotExist`), and the recovered VM may not boot.

    ## How to fix
    Correct the `rd.lvm.lv=` entries in `/etc/default/grub` (or remove the stale ones) to the
    volumes `lvs` shows, regenerate the GRUB configuration (`grub2-mkconfig -o
    /boot/grub2/grub.cfg`, or `grubby --update-kernel=ALL --args/--remove-args` on BLS systems)
    and retry. To let a non-root probe user read the volumes, set `[guest.linux] sudo = true`
    in the plan and allow it that one command in `/etc/sudoers.d/`:
    `azureuser ALL=(root) NOPASSWD: /usr/sbin/lvs`.

    ## References
    - https://learn.microsoft.com/troubleshoot/azure/site-recovery/azure-to-azure-troubleshoot-errors
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-protection-errors
    """
    if (skip := applicable(ctx, vm, "Linux")) is not None:
        return skip
    facts = ctx.guest(vm)
    if facts.grub_lvm_volumes is None:
        raise probe_missing(
            facts,
            vm,
            "storage",
            "the GRUB configuration (for rd.lvm.lv=)",
            PROBE_FAILED_HINT.format(probe="storage") if "storage" in facts.probe_errors else None,
        )
    # volumes read from some GRUB files only (others unreadable): a failure stands, nothing else
    partial = "grub" in facts.probe_errors
    if not facts.grub_lvm_volumes:
        if partial:
            raise probe_missing(facts, vm, "grub", "every GRUB file (for rd.lvm.lv=)")
        files = ", ".join(facts.grub_files or ()) or "the GRUB files"
        return skipped(vm, f"{vm.name}: {files} name no LVM logical volume (rd.lvm.lv=)")
    if facts.logical_volumes is None:
        raise probe_missing(facts, vm, "lvs", "the logical volumes (lvs)", _lvs_hint(ctx))
    present = set(facts.logical_volumes)  # LVM names are case-sensitive, and so is dracut
    missing = [v for v in facts.grub_lvm_volumes if v not in present]
    named = ", ".join(facts.grub_lvm_volumes)
    if missing:
        have = ", ".join(facts.logical_volumes) or "none"
        return failed(
            vm,
            f"{vm.name}: GRUB names {', '.join(missing)}, which lvs does not list "
            f"(volumes: {have})",
            hint="fix rd.lvm.lv= in /etc/default/grub and regenerate grub.cfg",
        )
    if partial:
        raise probe_missing(facts, vm, "grub", "every GRUB file (for rd.lvm.lv=)")
    return passed(vm, f"{vm.name}: the logical volumes GRUB names exist ({named})")
