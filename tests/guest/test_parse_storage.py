"""The storage probe's JSON (Linux: GRUB LVs, lvs, LUN links; Windows: Get-Disk) and the
Windows facts' build, architecture and hotfixes, parsed into guest facts."""

from __future__ import annotations

import json

from asr_preflight.guest.parse import decode, parse_facts, parse_storage
from asr_preflight.snapshot import GuestDisk

LINUX = {
    "grub_files": ["/etc/default/grub", "/boot/loader/entries/abc-5.14.0.conf"],
    "grub_lvm_volumes": ["rootvg/rootlv", "/dev/mapper/data--vg-log--lv", "rootvg/rootlv"],
    "logical_volumes": ["rootvg/rootlv", "data-vg/log-lv", "not a volume"],
    "lun_dir": "/dev/disk/azure/scsi1",
    "luns": [
        {"lun": 1, "device": "/dev/sdd", "partitions": 0, "pttype": "", "fstype": ""},
        {"lun": 0, "device": "/dev/sdc", "partitions": 1, "pttype": "gpt", "fstype": ""},
        {"lun": 2, "device": "/dev/sde", "partitions": 0, "pttype": None, "fstype": None,
         "detail": "/dev/sde is not readable by the probe user and udev has no record of it"},
        {"lun": "x"},
    ],
}  # fmt: skip


def test_linux_storage() -> None:
    facts = parse_storage(decode(json.dumps(LINUX)), windows=False)
    assert facts.grub_lvm_volumes == ("rootvg/rootlv", "data-vg/log-lv")  # dm names decoded
    assert facts.logical_volumes == ("data-vg/log-lv", "rootvg/rootlv")
    assert facts.data_disks == (
        GuestDisk(0, "/dev/sdc", 1, "gpt", ""),
        GuestDisk(1, "/dev/sdd", 0, "", ""),
        GuestDisk(2, "/dev/sde", 0, None, None, detail=LINUX["luns"][2]["detail"]),
    )
    assert facts.errors == {}


def test_linux_storage_errors_name_the_part_that_failed() -> None:
    data = {
        "grub_files": None,
        "grub_lvm_volumes": None,
        "logical_volumes": None,
        "lvs_error": "lvs needs root and sudo -n refused: sudo: a password is required",
        "luns": None,
        "luns_error": "no /dev/disk/azure directory",
    }
    facts = parse_storage(data, windows=False)
    assert facts.grub_lvm_volumes is None and facts.logical_volumes is None
    assert facts.data_disks is None
    assert facts.errors == {"lvs": data["lvs_error"], "disks": data["luns_error"]}


def test_no_data_disks_is_an_empty_list_not_an_error() -> None:
    facts = parse_storage({"grub_lvm_volumes": [], "logical_volumes": [], "luns": []}, False)
    assert facts.data_disks == () and facts.errors == {}


# Get-Disk on a Gen2 VM: OS disk and temporary disk on adapter 0, data disks on adapter 1;
# ConvertTo-Json writes a one-element array as the element itself (see the second case)
WINDOWS = {
    "disks": [
        {"number": 0, "lun": 0, "adapter": "0:0", "partition_style": "GPT", "is_boot": True,
         "is_system": True, "is_offline": False, "partitions": 4},
        {"number": 1, "lun": 1, "adapter": "0:0", "partition_style": "MBR", "is_boot": False,
         "is_system": False, "is_offline": False, "partitions": 1},
        {"number": 2, "lun": 0, "adapter": "1:0", "partition_style": "RAW", "is_boot": False,
         "is_system": False, "is_offline": False, "partitions": 0},
        {"number": 3, "lun": 1, "adapter": "1:0", "partition_style": "GPT", "is_boot": False,
         "is_system": False, "is_offline": True, "partitions": 2},
    ]
}  # fmt: skip


def test_windows_data_disks_are_the_ones_off_the_boot_controller() -> None:
    facts = parse_storage(WINDOWS, windows=True)
    assert facts.data_disks == (
        GuestDisk(0, "Disk 2", 0, "RAW", offline=False),
        GuestDisk(1, "Disk 3", 2, "GPT", offline=True),
    )
    single = parse_storage({"disks": WINDOWS["disks"][0]}, windows=True)
    assert single.data_disks == ()


def test_windows_facts_carry_build_architecture_and_hotfixes() -> None:
    data = {
        "os_release": {"ID": "windows", "NAME": "Microsoft Windows Server 2008 R2 Datacenter",
                       "VERSION_ID": "6.1.7601", "PRODUCT_TYPE": "3", "ARCHITECTURE": "64-bit"},
        "kernel": "6.1.7601",
        "hotfixes": "kb4474419",  # one element: ConvertTo-Json unwraps it
        "services": [],
    }  # fmt: skip
    facts = parse_facts(data, windows=True)
    assert facts.hotfixes == ("KB4474419",)
    assert facts.os_release["ARCHITECTURE"] == "64-bit"
    assert parse_facts({**data, "hotfixes": None}, windows=True).hotfixes == ()
    assert parse_facts({k: v for k, v in data.items() if k != "hotfixes"}, True).hotfixes is None
    assert parse_facts(data, windows=False).hotfixes is None


def test_hostile_storage_answers_stay_bounded_to_what_they_say() -> None:
    data = {
        "grub_lvm_volumes": ["vg/lv\x1b[2Jx"],
        "logical_volumes": ["vg/lv\x1b[2Jx", "vg/ok"],
        "luns": [
            {"lun": True, "partitions": 1},  # a boolean is not a LUN
            {"lun": 3, "device": "/dev/sd\x07x", "partitions": False, "pttype": "gpt"},
        ],
    }
    facts = parse_storage(data, windows=False)
    assert facts.grub_lvm_volumes == ("vg/lv?[2Jx",)  # kept (it cannot exist), made printable
    assert facts.logical_volumes == ("vg/ok",)  # lvs answers are names or nothing
    [disk] = facts.data_disks
    assert disk.lun == 3 and disk.device == "/dev/sd?x" and disk.partitions is None
