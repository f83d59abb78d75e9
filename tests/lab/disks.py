"""Real block devices for the lab guests: loop devices with a real MBR partition table, blank
ones, and real LVM2 metadata (a physical volume, a volume group, logical volumes), so that the
storage probe's `lvs`, `blkid -p` and LUN links meet what a guest really exposes.

What a guest sees is shaped by files in its own mount namespace, as on a real VM:
- ``/dev/disk/azure/scsi1/lunN`` (and ``lunN-part1``) links, in an overlay over ``/dev``,
  pointing at the loop devices (what the Azure udev rules create);
- ``/etc/lvm/lvm.conf`` with a device filter that accepts the guest's own loop device only (the
  loop devices are global, the filter keeps guests from seeing each other's volumes);
- optionally ``/run/udev/data/b7:N`` entries, as udev's blkid builtin records a disk;
- ``/etc/sudoers.d`` allowing the probe user ``sudo -n lvs``, and membership of group ``disk``.

The host keeps no state: LVM runs with backups, archives and hints off; the loop devices are
detached by :func:`detach` (by the prefix in their backing file's name).

Device-mapper is not needed: the logical volumes are written as metadata (``vgcfgrestore``)
and never activated, which is all ``lvs`` reads.
"""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

SECTOR = 512
IMAGE_BYTES = 32 * 1024 * 1024
EXTENT_SECTORS = 8192  # 4 MiB


@dataclass
class GuestDisks:
    """What one guest got: its loop devices by LUN, its PV, and the files for its namespace."""

    loops: dict[int, str] = field(default_factory=dict)  # LUN -> /dev/loopN
    pv: str | None = None
    dev_upper: Path | None = None  # the /dev overlay's upper directory
    udev: dict[str, str] = field(default_factory=dict)  # "b7:N" -> udev database entry
    lvm_conf: str = ""


def _run(*args: str, input: str | None = None) -> str:
    done = subprocess.run(args, input=input, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:3])}: exit {done.returncode}: {done.stderr[:300]}")
    return done.stdout


def _mbr_image(path: Path) -> None:
    """A disk image with a DOS partition table and one Linux partition (sectors 2048..end-2048)."""
    sectors = IMAGE_BYTES // SECTOR
    entry = bytearray(16)
    entry[4] = 0x83  # Linux
    entry[8:12] = (2048).to_bytes(4, "little")
    entry[12:16] = (sectors - 4096).to_bytes(4, "little")
    mbr = bytearray(SECTOR)
    mbr[440:444] = (0x5A17F00D).to_bytes(4, "little")  # disk signature
    mbr[446:462] = entry
    mbr[510:512] = b"\x55\xaa"
    with path.open("wb") as f:
        f.write(mbr)
        f.truncate(IMAGE_BYTES)


def _loop(image: Path, partitions: bool) -> str:
    args = ["losetup", "--find", "--show", *(["--partscan"] if partitions else []), str(image)]
    return _run(*args).strip()


def _lvm_config(device: str) -> str:
    return (
        f'devices {{ filter = [ "a|^{device}$|", "r|.*|" ] obtain_device_list_from_udev = 0 '
        'hints = "none" } backup { backup = 0 archive = 0 } '
        "activation { udev_sync = 0 udev_rules = 0 monitoring = 0 }"
    )


def _volume_group(device: str, vg: str, lvs: tuple[str, ...], work: Path) -> None:
    """PV + VG on ``device`` and the LVs as metadata only (1 extent each, never activated)."""
    config = _lvm_config(device)
    _run("pvcreate", "-q", "--config", config, device)
    _run("vgcreate", "-q", "--config", config, "-s", "4m", vg, device)
    backup = work / f"{vg}.vg"
    _run("vgcfgbackup", "-q", "--config", config, "-f", str(backup), vg)
    text = backup.read_text()
    volumes = []
    for number, name in enumerate(lvs):
        volumes.append(
            f"""
\t\t{name} {{
\t\t\tid = "asrlab-{number:04d}-{number:04d}-{number:04d}-{number:04d}-{number:04d}-{number:06d}"
\t\t\tstatus = ["READ", "WRITE", "VISIBLE"]
\t\t\tflags = []
\t\t\tsegment_count = 1
\t\t\tsegment1 {{
\t\t\t\tstart_extent = 0
\t\t\t\textent_count = 1
\t\t\t\ttype = "striped"
\t\t\t\tstripe_count = 1
\t\t\t\tstripes = [
\t\t\t\t\t"pv0", {number}
\t\t\t\t]
\t\t\t}}
\t\t}}"""
        )
    section = "\n\tlogical_volumes {" + "".join(volumes) + "\n\t}\n"
    end = text.rindex("}")
    backup.write_text(text[:end] + section + text[end:])
    _run("vgcfgrestore", "-q", "--config", config, "-f", str(backup), vg)


def _majmin(device: str) -> str:
    name = device.rsplit("/", 1)[1]
    return Path(f"/sys/class/block/{name}/dev").read_text().strip()


def make(
    work: Path,
    prefix: str,
    guest: str,
    luns: dict[int, str] | None,
    lvm: dict[str, tuple[str, ...]],
    udev: bool,
) -> GuestDisks:
    """Build a guest's disks. ``luns``: LUN -> "mbr" (partitioned), "blank" or "pv" (the disk
    holding the volume group); None = no /dev/disk/azure at all. ``lvm``: VG -> LV names (on the
    "pv" LUN, or on a disk of its own outside the LUN links when no LUN is "pv")."""
    out = GuestDisks()
    work.mkdir(parents=True, exist_ok=True)
    kinds = dict(luns or {})
    if lvm and "pv" not in kinds.values():
        kinds[-1] = "pv"  # the OS disk's PV: not a data disk, no LUN link
    for lun, kind in sorted(kinds.items()):
        image = work / f"{prefix}-{guest}-{'os' if lun < 0 else f'lun{lun}'}.img"
        if kind == "mbr":
            _mbr_image(image)
        else:
            with image.open("wb") as f:
                f.truncate(IMAGE_BYTES)
        device = _loop(image, partitions=kind == "mbr")
        out.loops[lun] = device
        if kind == "pv":
            out.pv = device
            for vg, volumes in lvm.items():
                _volume_group(device, vg, volumes, work)
        if udev:
            entry = {"mbr": "E:ID_PART_TABLE_TYPE=dos\n", "pv": "E:ID_FS_TYPE=LVM2_member\n"}
            out.udev[f"b{_majmin(device)}"] = "I:1\n" + entry.get(kind, "")
    accept = f'"a|^{out.pv}$|", ' if out.pv else ""
    out.lvm_conf = (
        "# asr-preflight lab: this guest's own physical volume only\n"
        f'devices {{\n\tglobal_filter = [ {accept}"r|.*|" ]\n'
        "\tobtain_device_list_from_udev = 0\n}\n"
    )
    if luns is not None:
        upper = work / "dev"
        links = upper / "disk" / "azure" / "scsi1"
        (upper / "disk" / "azure").mkdir(parents=True, exist_ok=True)
        for lun, device in out.loops.items():
            if lun < 0:
                continue
            links.mkdir(parents=True, exist_ok=True)
            name = device.rsplit("/", 1)[1]
            (links / f"lun{lun}").symlink_to(f"../../../{name}")
            if kinds[lun] == "mbr":
                (links / f"lun{lun}-part1").symlink_to(f"../../../{name}p1")
        out.dev_upper = upper
    return out


def detach(prefix: str) -> None:
    """Detach every loop device whose backing file carries ``prefix`` (this lab's, or a dead
    one's)."""
    listing = subprocess.run(
        ["losetup", "--json", "--list"], capture_output=True, text=True, timeout=30
    )
    with contextlib.suppress(ValueError):
        for dev in json.loads(listing.stdout or "{}").get("loopdevices", []):
            if re.search(rf"/{re.escape(prefix)}-[^/]*\.img", dev.get("back-file") or ""):
                subprocess.run(["losetup", "--detach", dev["name"]], timeout=30, check=False)
