"""ASR311 (os-supported), ASR312 (linux-lvm-root-present), ASR313 (data-disks-initialized) with
crafted GuestFacts: pass, fail, unknown and skip for each."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from asr_preflight.api import Outcome
from asr_preflight.snapshot import CollectionInfo, Disk, FactError, GuestDisk, GuestFacts
from asr_preflight.testing import evaluate_rule, make_plan, make_snapshot, make_vm
from asr_preflight_rules.guest.asr311_os_supported import os_supported
from asr_preflight_rules.guest.asr312_linux_lvm_root_present import linux_lvm_root_present
from asr_preflight_rules.guest.asr313_data_disks_initialized import data_disks_initialized

GUEST_PLAN = make_plan(guest={"linux": {"user": "azureuser"}})
DATA = (Disk("data0", lun=0, size_gb=128), Disk("data1", lun=1, size_gb=256))
LINUX = make_vm("vm-lin-01", data_disks=DATA)
WINDOWS = make_vm("vm-win-01", os_type="Windows", data_disks=DATA)
WIN2019 = {"ID": "windows", "NAME": "Microsoft Windows Server 2019 Datacenter",
           "VERSION_ID": "10.0.17763", "PRODUCT_TYPE": "3", "ARCHITECTURE": "64-bit"}  # fmt: skip


def healthy(vm: Any = LINUX, **fields: Any) -> GuestFacts:
    windows = vm.os_type == "Windows"
    base = GuestFacts(
        vm_id=vm.id,
        transport="winrm" if windows else "ssh",
        os_release=WIN2019 if windows else {"ID": "rhel", "VERSION_ID": "9.4"},
        kernel="10.0.17763" if windows else "5.14.0-427.22.1.el9_4.x86_64",
        hotfixes=() if windows else None,
        grub_files=None if windows else ("/etc/default/grub", "/boot/grub2/grubenv"),
        grub_lvm_volumes=None if windows else ("rootvg/rootlv", "rootvg/swaplv"),
        logical_volumes=None if windows else ("rootvg/homelv", "rootvg/rootlv", "rootvg/swaplv"),
        data_disks=(
            (
                GuestDisk(0, "Disk 2", 1, "GPT", offline=False),
                GuestDisk(1, "Disk 3", 2, "MBR", offline=False),
            )
            if windows
            else (
                GuestDisk(0, "/dev/sdc", 1, "gpt", ""),
                GuestDisk(1, "/dev/sdd", 0, "", "LVM2_member"),
            )
        ),
        collected_at="2026-11-25T00:00:00Z",
    )
    return replace(base, **fields)


def run(rule: Any, facts: GuestFacts | None = None, vm: Any = LINUX, plan: Any = GUEST_PLAN,
        **snap: Any):  # fmt: skip
    guests = [facts] if facts is not None else []
    [result] = evaluate_rule(rule, make_snapshot(vms=[vm], plan=plan, guests=guests, **snap))
    return result


RULES = [os_supported, linux_lvm_root_present, data_disks_initialized]


# -- common ------------------------------------------------------------------------------------


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_skip_without_guest_section_or_with_no_guest(rule: Any) -> None:
    assert run(rule, healthy(), plan=make_plan()).outcome == Outcome.SKIP
    skipped = run(rule, collection=CollectionInfo(source="test", guest_skipped=True))
    assert skipped.outcome == Outcome.SKIP and "--no-guest" in skipped.message


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_unknown_when_the_guest_was_unreachable(rule: Any) -> None:
    error = FactError("guest", LINUX.id, "refused: host key mismatch for 10.0.0.4:22", "verify")
    result = run(rule, errors=(error,))
    assert result.outcome == Outcome.UNKNOWN and "host key mismatch" in result.message


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_healthy_guests_pass(rule: Any) -> None:
    assert run(rule, healthy()).outcome == Outcome.PASS
    windows = run(rule, healthy(WINDOWS), vm=WINDOWS)
    assert windows.outcome == (Outcome.SKIP if rule is linux_lvm_root_present else Outcome.PASS)


# -- ASR311 ------------------------------------------------------------------------------------


def test_asr311_pass_names_the_agent_and_the_table_date() -> None:
    result = run(os_supported, healthy())
    assert "RHEL 9.4" in result.message and "2025-06-13" in result.message


def test_asr311_fails_a_kernel_below_the_matrix_minimum() -> None:
    facts = healthy(os_release={"ID": "rhel", "VERSION_ID": "8.5"},
                    kernel="4.18.0-348.2.1.el8_5.x86_64")  # fmt: skip
    result = run(os_supported, facts)
    assert result.outcome == Outcome.FAIL and "4.18.0-348.5.1" in result.message


def test_asr311_unknown_for_a_kernel_newer_than_the_table() -> None:
    facts = healthy(os_release={"ID": "ubuntu", "VERSION_ID": "22.04"}, kernel="6.8.0-1099-azure")
    result = run(os_supported, facts)
    assert result.outcome == Outcome.UNKNOWN
    assert "not in the support table dated 2025-06-13" in result.message
    assert "support_matrix update" in result.hint


def test_asr311_fails_windows_2008_r2_without_sha2_updates() -> None:
    release = {**WIN2019, "NAME": "Microsoft Windows Server 2008 R2 Standard",
               "VERSION_ID": "6.1.7601"}  # fmt: skip
    failed = run(os_supported, healthy(WINDOWS, os_release=release, hotfixes=("KB4490628",)),
                 vm=WINDOWS)  # fmt: skip
    assert failed.outcome == Outcome.FAIL and "KB4474419" in failed.message
    assert "KB4490628" not in failed.message.split("lacks")[1]
    fine = run(os_supported, healthy(WINDOWS, os_release=release,
                                     hotfixes=("KB4474419", "KB4490628")), vm=WINDOWS)  # fmt: skip
    assert fine.outcome == Outcome.PASS
    unread = run(os_supported, healthy(WINDOWS, os_release=release, hotfixes=None), vm=WINDOWS)
    assert unread.outcome == Outcome.UNKNOWN


def test_asr311_unknown_when_os_release_was_not_read() -> None:
    facts = healthy(os_release={}, probe_errors={"facts": "exit status 1: Permission denied"})
    result = run(os_supported, facts)
    assert result.outcome == Outcome.UNKNOWN and "Permission denied" in result.message


# -- ASR312 ------------------------------------------------------------------------------------


def test_asr312_fails_a_volume_grub_names_but_lvs_does_not_list() -> None:
    facts = healthy(logical_volumes=("rootvg/rootlv",))
    result = run(linux_lvm_root_present, facts)
    assert result.outcome == Outcome.FAIL
    assert "rootvg/swaplv" in result.message and "rootvg/rootlv" in result.message


def test_asr312_skips_when_grub_names_no_volume() -> None:
    result = run(linux_lvm_root_present, healthy(grub_lvm_volumes=(), logical_volumes=None))
    assert result.outcome == Outcome.SKIP and "rd.lvm.lv" in result.message


def test_asr312_unknown_when_lvs_may_not_run() -> None:
    why = "lvs needs root and sudo -n refused: sudo: a password is required"
    facts = healthy(logical_volumes=None, probe_errors={"lvs": why})
    result = run(linux_lvm_root_present, facts)
    assert result.outcome == Outcome.UNKNOWN and "a password is required" in result.message


def test_asr312_unknown_without_the_sudo_opt_in_says_how_to_enable_it() -> None:
    why = "lvs needs root: the probe user is not root and sudo is off ([guest.linux] sudo = false)"
    facts = healthy(logical_volumes=None, probe_errors={"lvs": why})
    result = run(linux_lvm_root_present, facts)
    assert result.outcome == Outcome.UNKNOWN and "sudo is off" in result.message
    assert result.hint is not None and "[guest.linux] sudo = true" in result.hint
    assert "NOPASSWD: /usr/sbin/lvs" in result.hint


def test_asr312_unknown_without_grub_files() -> None:
    facts = healthy(grub_lvm_volumes=None, grub_files=None)
    assert run(linux_lvm_root_present, facts).outcome == Outcome.UNKNOWN


# -- ASR313 ------------------------------------------------------------------------------------


def test_asr313_skips_vms_without_data_disks_and_nvme_vms() -> None:
    bare = make_vm("vm-lin-01")
    assert run(data_disks_initialized, healthy(bare), vm=bare).outcome == Outcome.SKIP
    nvme = replace(LINUX, disk_controller="NVMe")
    result = run(data_disks_initialized, healthy(nvme), vm=nvme)
    assert result.outcome == Outcome.SKIP and "ASR508" in result.message


@pytest.mark.parametrize(
    ("disks", "words"),
    [
        ((GuestDisk(0, "/dev/sdc", 1, "gpt", ""),), "LUN 1: not seen in the guest"),
        ((GuestDisk(0, "/dev/sdc", 1, "gpt", ""), GuestDisk(1, "/dev/sdd", 0, "", "")),
         "LUN 1 (/dev/sdd): blank"),
    ],
)  # fmt: skip
def test_asr313_fails_a_lun_missing_or_blank_on_linux(disks: Any, words: str) -> None:
    result = run(data_disks_initialized, healthy(data_disks=disks))
    assert result.outcome == Outcome.FAIL and words in result.message


@pytest.mark.parametrize(
    ("disk", "words"),
    [
        (GuestDisk(1, "Disk 3", 0, "RAW", offline=False), "not initialized (RAW)"),
        (GuestDisk(1, "Disk 3", 1, "GPT", offline=True), "offline"),
    ],
)
def test_asr313_fails_raw_or_offline_windows_disks(disk: GuestDisk, words: str) -> None:
    disks = (GuestDisk(0, "Disk 2", 1, "GPT", offline=False), disk)
    result = run(data_disks_initialized, healthy(WINDOWS, data_disks=disks), vm=WINDOWS)
    assert result.outcome == Outcome.FAIL and words in result.message


def test_asr313_unknown_when_a_disk_could_not_be_read() -> None:
    unread = GuestDisk(1, "/dev/sdd", 0, None, None, detail="/dev/sdd is not readable")
    result = run(data_disks_initialized, healthy(data_disks=(healthy().data_disks[0], unread)))
    assert result.outcome == Outcome.UNKNOWN and "not readable" in result.message


def test_asr313_unknown_without_the_lun_links() -> None:
    why = "no /dev/disk/azure/scsi1 or /dev/disk/azure/data/by-lun directory"
    result = run(data_disks_initialized, healthy(data_disks=None, probe_errors={"disks": why}))
    assert result.outcome == Outcome.UNKNOWN and "scsi1" in result.message


@pytest.mark.parametrize("vm", [LINUX, WINDOWS])
def test_asr313_unknown_names_the_storage_probes_own_error_when_it_failed(vm: Any) -> None:
    why = "exit status 2: storage.sh: 1: Syntax error: end of file unexpected"
    facts = healthy(vm, data_disks=None, probe_errors={"storage": why})
    result = run(data_disks_initialized, facts, vm=vm)
    assert result.outcome == Outcome.UNKNOWN
    assert f"storage probe: {why}" in result.message, result.message
    assert "disks" not in result.message.split("(", 1)[1]  # no "disks probe" that never ran
    assert result.hint is not None and "storage probe fails again" in result.hint


def test_asr313_a_failure_wins_over_an_unreadable_disk() -> None:
    disks = (GuestDisk(1, "/dev/sdd", 0, None, None, detail="not readable"),)
    result = run(data_disks_initialized, healthy(data_disks=disks))
    assert result.outcome == Outcome.FAIL and "LUN 0: not seen" in result.message


# -- ASR312: partial GRUB reads and exact names (review) ---------------------------------------

PARTIAL = {"grub": "not readable by the probe user: /boot/grub2/grubenv, /boot/efi/"}


def test_asr312_volume_names_are_case_sensitive() -> None:
    # LVM (and dracut's rd.lvm.lv=) treat RootVG and rootvg as different volume groups
    facts = healthy(grub_lvm_volumes=("RootVG/rootlv",))
    result = run(linux_lvm_root_present, facts)
    assert result.outcome == Outcome.FAIL and "RootVG/rootlv" in result.message


@pytest.mark.parametrize("grub", [("rootvg/rootlv",), ()], ids=["would-pass", "would-skip"])
def test_asr312_unknown_when_some_grub_files_were_unreadable(grub: Any) -> None:
    facts = healthy(grub_lvm_volumes=grub, probe_errors=PARTIAL)
    result = run(linux_lvm_root_present, facts)
    assert result.outcome == Outcome.UNKNOWN and "/boot/grub2/grubenv" in result.message


def test_asr312_a_missing_volume_fails_even_on_a_partial_read() -> None:
    facts = healthy(logical_volumes=("rootvg/rootlv",), probe_errors=PARTIAL)
    assert run(linux_lvm_root_present, facts).outcome == Outcome.FAIL


# -- ASR313: two guest disks at one LUN (review) -----------------------------------------------


@pytest.mark.parametrize("raw_first", [True, False])
def test_asr313_two_disks_at_one_lun_never_pass_on_the_ready_one(raw_first: bool) -> None:
    # e.g. a Gen1 temporary disk (NTFS, LUN 0 on another IDE port) and the RAW data disk at LUN 0
    temp = GuestDisk(0, "Disk 1", 1, "MBR", offline=False)
    raw = GuestDisk(0, "Disk 2", 0, "RAW", offline=False)
    pair = (raw, temp) if raw_first else (temp, raw)
    disks = (*pair, GuestDisk(1, "Disk 3", 1, "GPT", offline=False))
    result = run(data_disks_initialized, healthy(WINDOWS, data_disks=disks), vm=WINDOWS)
    assert result.outcome == Outcome.UNKNOWN and "2 guest disks report it" in result.message


def test_asr313_two_ready_disks_at_one_lun_pass() -> None:
    disks = (
        GuestDisk(0, "Disk 1", 1, "MBR", offline=False),
        GuestDisk(0, "Disk 2", 1, "GPT", offline=False),
        GuestDisk(1, "Disk 3", 1, "GPT", offline=False),
    )
    result = run(data_disks_initialized, healthy(WINDOWS, data_disks=disks), vm=WINDOWS)
    assert result.outcome == Outcome.PASS
