from asr_preflight.api import Finding, MissingFact, RuleContext, failed, passed, skipped, vm_rule
from asr_preflight.snapshot import GuestDisk, VirtualMachine

from ._common import PROBE_FAILED_HINT, applicable, probe_missing


def _state(disk: GuestDisk, windows: bool) -> str | None:
    """Why ``disk`` is not ready ("" when it is), or None when that could not be read."""
    if windows:
        if disk.offline:
            return "offline"
        style = (disk.partition_table or "").upper()
        if style == "RAW":
            return "not initialized (RAW)"
        return "" if style in ("GPT", "MBR") else None
    if disk.partitions:
        return ""
    if disk.partition_table or disk.filesystem:
        return ""
    if disk.partition_table == "" and disk.filesystem == "" and disk.partitions == 0:
        return "blank: no partition table, no file system or LVM signature"
    return None


@vm_rule(code="ASR313", name="data-disks-initialized", severity="fail")
def data_disks_initialized(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """Every data disk ARM attaches is seen in the guest at its LUN, and initialized.

    ## What it checks
    For each data disk of the VM's storage profile, by LUN:
    - Linux: `/dev/disk/azure/scsi1/lunN` (or `/dev/disk/azure/data/by-lun/N`) exists, and the
      disk carries a partition table (`lunN-partM` links or partitions in `/sys/class/block`)
      or a whole-disk signature (a file system, an LVM physical volume, a RAID member), read
      with `blkid -p` when the probe may read the device, else from the udev database through
      `lsblk`. A disk that could not be read is unknown, never ready.
    - Windows: `Get-Disk` shows a disk at that LUN (on the data-disk controller) that is online
      and whose partition style is GPT or MBR, not RAW.
    VMs without data disks are skipped, and so are VMs with an NVMe disk controller (ASR508).

    ## Why it matters
    Site Recovery maps each Azure data disk to the disk the guest reports at the same LUN; a
    disk the guest does not report, or an uninitialized one, stops enable replication with
    error 150039 ("Azure data disk … was not mapped to a corresponding disk being reported from
    within the VM").

    ## How to fix
    Initialize the disk in the guest (Windows: Disk Management or `Initialize-Disk`, then bring
    it online; Linux: create a partition table or a file system / LVM physical volume), or
    detach the disk if it is not used. If the LUN link is missing on Linux, check that the
    Azure udev rules (WALinuxAgent or azure-vm-utils) are installed, and rescan the SCSI bus.

    ## References
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-virtual-machine-errors
    - https://learn.microsoft.com/troubleshoot/azure/site-recovery/azure-to-azure-troubleshoot-errors
    - https://learn.microsoft.com/azure/virtual-machines/linux/azure-to-guest-disk-mapping
    """
    if (skip := applicable(ctx, vm)) is not None:
        return skip
    luns = sorted({d.lun for d in vm.data_disks if d.lun is not None})
    if not vm.data_disks:
        return skipped(vm, f"{vm.name} has no data disks")
    if (vm.disk_controller or "").upper() == "NVME":
        return skipped(vm, f"{vm.name} uses an NVMe disk controller (see ASR508)")
    if len(luns) != len(vm.data_disks):
        raise MissingFact(
            f"{vm.name}: the storage profile names a data disk without a LUN",
            "re-run `asr-preflight collect`",
        )
    facts = ctx.guest(vm)
    if facts.data_disks is None:
        if "disks" not in facts.probe_errors and facts.probe_errors.get("storage"):
            # the whole storage probe failed: its error, not the disks part's (there is none)
            hint = PROBE_FAILED_HINT.format(probe="storage")
            raise probe_missing(facts, vm, "storage", "the data disks", hint)
        raise probe_missing(facts, vm, "disks", "the data disks")
    windows = facts.transport == "winrm" or vm.os_type == "Windows"
    seen: dict[int, list[GuestDisk]] = {}
    for guest_disk in facts.data_disks:
        seen.setdefault(guest_disk.lun, []).append(guest_disk)
    problems: list[str] = []
    unread: list[str] = []
    for lun in luns:
        at_lun = seen.get(lun)
        if not at_lun:
            problems.append(f"LUN {lun}: not seen in the guest")
            continue
        if len(at_lun) > 1:  # e.g. a temporary disk on another port: which one is the data disk?
            if {_state(d, windows) for d in at_lun} != {""}:
                devices = ", ".join(d.device or "?" for d in at_lun)
                unread.append(
                    f"LUN {lun}: {len(at_lun)} guest disks report it ({devices}) and not all "
                    "are initialized, so the data disk among them cannot be told"
                )
            continue
        disk = at_lun[0]
        state = _state(disk, windows)
        where = f"LUN {lun} ({disk.device})" if disk.device else f"LUN {lun}"
        if state is None:
            unread.append(f"{where}: {disk.detail or 'its state could not be read'}")
        elif state:
            problems.append(f"{where}: {state}")
    if problems:
        return failed(
            vm,
            f"{vm.name}: " + "; ".join(problems),
            hint="initialize (and bring online) each data disk in the guest, or detach it",
        )
    if unread:
        raise MissingFact(
            f"{vm.name}: " + "; ".join(unread),
            "probe as root, or let the probe user run blkid/read the disks (see docs/guest.md)",
        )
    return passed(vm, f"{vm.name}: data disks at LUN {', '.join(map(str, luns))} are initialized")
