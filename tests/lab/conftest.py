"""The guest lab as a session fixture: built once, torn down by a finalizer (and by the next
session if this process is killed). Without root or the Debian packages it skips loudly; with
CI=true it must run, so a lab that cannot start fails the session instead."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import netguard

sys.path.insert(0, str(Path(__file__).parent))

from lab import DEBIAN, RHEL, UBUNTU, Lab, VmSpec, missing_prerequisites

VM_PASSWORD = "Canary-VmPass-7f3a9c"
PROXY_PASSWORD = "Canary-ProxyPass-2b8e41"
IN_CI = os.environ.get("CI", "").lower() == "true"
LVM_GRUB = (
    'GRUB_CMDLINE_LINUX="root=/dev/mapper/rootvg-root rd.lvm.lv=rootvg/root '
    'rd.lvm.lv=rootvg/swap{extra} console=ttyS0"\n'
)
#: the data disks ARM attaches to each lab guest (LUNs), for ASR313
DATA_LUNS = {"lvmroot": (0, 1), "lvmstale": (0, 1), "nosudo": (0,)}


def scenario(lab_proxy: str, open_proxy: str) -> list[VmSpec]:
    """One guest per verdict the end-to-end test expects."""
    auth_host = lab_proxy.split("://", 1)[1]
    return [
        VmSpec("healthy", UBUNTU, luns={}, sudo_lvs=True),  # no data disks, no LVM
        VmSpec("stale", DEBIAN, bundle="stale", grub='GRUB_CMDLINE_LINUX="resume=/dev/sdb2"\n'),
        VmSpec(
            "authproxy",
            RHEL,
            layout="rhel",
            resolve_azure=False,
            environment=(f"https_proxy=http://labuser:{PROXY_PASSWORD}@{auth_host}",),
            files={
                "yum.conf": f"[main]\ngpgcheck=1\nproxy={lab_proxy}\nproxy_username=labuser\n"
                f"proxy_password={PROXY_PASSWORD}\n"
            },
        ),
        VmSpec(
            "firewalled",
            UBUNTU,
            resolve_azure=False,
            drop_ports=(20004,),
            environment=(f'https_proxy="{open_proxy}/"', "no_proxy=localhost,127.0.0.1"),
        ),
        VmSpec("sapdb", UBUNTU, listen_20004=True),
        VmSpec("rekeyed", UBUNTU, wrong_known_host_key=True),
        # LVM and data disks (tests/lab/disks.py): real loop devices, real LVM2 metadata
        VmSpec(
            "lvmroot",
            RHEL,
            layout="rhel",
            grub=LVM_GRUB.format(extra=""),
            lvm={"rootvg": ("root", "swap")},
            luns={0: "mbr", 1: "pv"},  # the PV disk is known from udev's record only
            udev=True,
            sudo_lvs=True,
        ),
        VmSpec(
            "lvmstale",
            RHEL,
            layout="rhel",
            grub=LVM_GRUB.format(extra=" rd_LVM_LV=oldvg/lv_root"),
            lvm={"rootvg": ("root",)},
            luns={0: "pv", 1: "blank"},  # azureuser may read the disks: blkid -p
            sudo_lvs=True,
            disk_group=True,
        ),
        VmSpec(
            "nosudo",
            RHEL,
            layout="rhel",
            grub=LVM_GRUB.format(extra=""),
            lvm={"rootvg": ("root", "swap")},
            luns={0: "blank"},  # unreadable, and no udev record
        ),
    ]


@pytest.fixture(scope="session")
def guest_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    reason = missing_prerequisites()
    if reason is not None:
        if IN_CI:
            pytest.fail(f"CI=true but the guest lab cannot start: {reason}", pytrace=False)
        pytest.skip(f"GUEST LAB SKIPPED: {reason}")
    lab = Lab(tmp_path_factory.mktemp("guestlab"), VM_PASSWORD, PROXY_PASSWORD)
    netguard.allow_network(lab.subnet)
    try:
        lab.up(scenario(lab.auth_proxy, lab.open_proxy))
    except Exception as exc:  # noqa: BLE001 - report why, with the lab's logs
        message = f"the guest lab could not start: {exc}\n{lab.log_tail()}"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(f"GUEST LAB SKIPPED: {message}")
    try:
        yield lab
    finally:
        lab.down()
