"""ASR501-ASR510: VM state, extensions, disks, size and placement, through the real engine."""

from __future__ import annotations

from typing import Any

import pytest

from asr_preflight.api import Rule
from asr_preflight.engine import Result
from asr_preflight.snapshot import (
    Disk,
    Extension,
    FactError,
    RegionCapacity,
    VirtualMachine,
    VmSku,
)
from asr_preflight.testing import SUBSCRIPTION, evaluate_rule, make_snapshot, make_vm
from asr_preflight_rules.vm.asr501_vm_provisioning_succeeded import vm_provisioning_succeeded
from asr_preflight_rules.vm.asr502_vm_running_agent_ready import vm_running_agent_ready
from asr_preflight_rules.vm.asr503_no_failed_extensions import no_failed_extensions
from asr_preflight_rules.vm.asr504_no_stale_asr_extension import no_stale_asr_extension
from asr_preflight_rules.vm.asr505_no_ephemeral_os_disk import no_ephemeral_os_disk
from asr_preflight_rules.vm.asr506_disk_sizes import disk_sizes
from asr_preflight_rules.vm.asr507_data_disk_count import data_disk_count
from asr_preflight_rules.vm.asr508_supported_disk_types import supported_disk_types
from asr_preflight_rules.vm.asr509_minimum_vm_size import minimum_vm_size
from asr_preflight_rules.vm.asr510_not_on_dedicated_host import not_on_dedicated_host


def run(rule: Rule, vm: VirtualMachine, **fields: Any) -> Result:
    [result] = evaluate_rule(rule, make_snapshot([vm], **fields))
    return result


def outcome(rule: Rule, **vm_fields: Any) -> str:
    return str(run(rule, make_vm(**vm_fields)).outcome)


def data(name: str, size: int | None, **fields: Any) -> Disk:
    return Disk(name, lun=0, size_gb=size, **fields)


def ext(name: str, publisher: str = "Microsoft.Azure.Monitor", **fields: Any) -> Extension:
    return Extension(name, publisher, fields.pop("type", "AzureMonitorLinuxAgent"), **fields)


# -- ASR501 vm-provisioning-succeeded ----------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "expected"),
    [("Succeeded", "pass"), ("Failed", "fail"), ("Updating", "fail"), (None, "unknown")],
)
def test_asr501(state: str | None, expected: str) -> None:
    assert outcome(vm_provisioning_succeeded, provisioning_state=state) == expected


def test_asr501_hints_and_collector_cause() -> None:
    updating = run(vm_provisioning_succeeded, make_vm(provisioning_state="Updating"))
    assert "wait" in updating.hint
    vm = make_vm(provisioning_state=None)
    err = FactError("vms", vm.id, "instance view: 429 TooManyRequests", "retry later")
    result = run(vm_provisioning_succeeded, vm, errors=(err,))
    assert "429 TooManyRequests" in result.message
    assert result.hint == "retry later"


# -- ASR502 vm-running-agent-ready -------------------------------------------------------------


@pytest.mark.parametrize(
    ("power", "agent", "expected"),
    [
        ("running", "Ready", "pass"),
        ("PowerState/running", "Ready", "pass"),
        ("deallocated", None, "fail"),  # a stopped VM fails whatever its agent says
        ("PowerState/stopped", "Ready", "fail"),
        ("running", "Not Ready", "fail"),
        (None, "Ready", "unknown"),
        ("running", None, "unknown"),
    ],
)
def test_asr502(power: str | None, agent: str | None, expected: str) -> None:
    assert outcome(vm_running_agent_ready, power_state=power, agent_status=agent) == expected


def test_asr502_message_names_the_state() -> None:
    result = run(vm_running_agent_ready, make_vm(power_state="deallocated", agent_status=None))
    assert "vm-test-01 is deallocated" in result.message


# -- ASR503 no-failed-extensions / ASR504 no-stale-asr-extension -------------------------------

SITE_RECOVERY = ext(
    "SiteRecovery-Linux",
    "Microsoft.Azure.RecoveryServices.SiteRecovery",
    type="LinuxRHEL7",
    provisioning_state="Succeeded",
)


@pytest.mark.parametrize(
    ("extensions", "expected"),
    [
        ((), "pass"),
        ((ext("ama", provisioning_state="Succeeded"),), "pass"),
        ((ext("ama", provisioning_state="Failed", status="Provisioning failed"),), "fail"),
        ((ext("ama", provisioning_state="Succeeded", status_level="Error"),), "fail"),
        (None, "unknown"),
    ],
)
def test_asr503(extensions: tuple[Extension, ...] | None, expected: str) -> None:
    assert outcome(no_failed_extensions, extensions=extensions) == expected


def test_asr503_lists_each_failed_extension() -> None:
    exts = (
        ext("ama", provisioning_state="Failed", status="Provisioning failed"),
        ext("ok", provisioning_state="Succeeded"),
        ext("cse", "Microsoft.Azure.Extensions", type="CustomScript", provisioning_state="Failed"),
    )
    result = run(no_failed_extensions, make_vm(extensions=exts))
    assert "ama (Microsoft.Azure.Monitor.AzureMonitorLinuxAgent: Provisioning failed)" in (
        result.message
    )
    assert "cse (Microsoft.Azure.Extensions.CustomScript: Failed)" in result.message
    assert "ok (" not in result.message


@pytest.mark.parametrize(
    ("extensions", "expected"),
    [
        ((ext("ama"),), "pass"),
        ((ext("ama"), SITE_RECOVERY), "fail"),
        ((ext("x", "microsoft.azure.recoveryservices.siterecovery"),), "fail"),
        (None, "unknown"),
    ],
)
def test_asr504(extensions: tuple[Extension, ...] | None, expected: str) -> None:
    assert outcome(no_stale_asr_extension, extensions=extensions) == expected


def test_asr504_message_names_the_extension() -> None:
    result = run(no_stale_asr_extension, make_vm(extensions=(SITE_RECOVERY,)))
    assert "SiteRecovery-Linux (LinuxRHEL7)" in result.message
    assert "Cleanup-Stale-ASR-Config-Azure-VM.ps1" in result.hint


# -- ASR505 no-ephemeral-os-disk ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("os_disk", "expected"),
    [
        (Disk("os", size_gb=30), "pass"),
        (Disk("os", size_gb=30, ephemeral=True), "fail"),
        (None, "unknown"),
    ],
)
def test_asr505(os_disk: Disk | None, expected: str) -> None:
    assert outcome(no_ephemeral_os_disk, os_disk=os_disk) == expected


# -- ASR506 disk-sizes -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("os_size", "disks", "expected"),
    [
        (4095, (), "pass"),
        (4096, (), "fail"),
        (64, (data("d", 1), data("e", 32768)), "pass"),
        (64, (data("d", 0),), "fail"),
        (64, (data("d", 32769),), "fail"),
        (64, (data("d", 4096, managed=False),), "pass"),
        (64, (data("d", 4097, managed=False),), "fail"),
        (None, (), "unknown"),
        (64, (data("d", None),), "unknown"),
        (4096, (data("d", None),), "fail"),  # a known failure outranks an unknown size
    ],
)
def test_asr506(os_size: int | None, disks: tuple[Disk, ...], expected: str) -> None:
    vm = make_vm(os_disk=Disk("os", size_gb=os_size), data_disks=disks)
    assert run(disk_sizes, vm).outcome == expected


def test_asr506_lists_the_offending_disks_and_needs_the_storage_profile() -> None:
    vm = make_vm(data_disks=(data("tiny", 0), data("huge", 40000), data("fine", 128)))
    result = run(disk_sizes, vm)
    assert "tiny is 0 GiB" in result.message
    assert "huge is 40000 GiB" in result.message
    assert "fine" not in result.message
    assert outcome(disk_sizes, os_disk=None) == "unknown"


# -- ASR507 data-disk-count --------------------------------------------------------------------


@pytest.mark.parametrize(("count", "expected"), [(0, "pass"), (64, "pass"), (65, "fail")])
def test_asr507(count: int, expected: str) -> None:
    disks = tuple(Disk(f"d{i}", lun=i, size_gb=32) for i in range(count))
    assert outcome(data_disk_count, data_disks=disks) == expected


def test_asr507_unknown_without_storage_profile() -> None:
    assert outcome(data_disk_count, os_disk=None) == "unknown"


# -- ASR508 supported-disk-types ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected", "phrase"),
    [
        ({}, "pass", "uses no Ultra disk"),
        ({"data_disks": (data("log", 512, sku="UltraSSD_LRS"),)}, "fail", "Ultra disks log"),
        ({"ultra_ssd_enabled": True}, "fail", "Ultra disk compatibility is enabled"),
        ({"data_disks": (data("log", 256, write_accelerator=True),)}, "fail", "Write Accel"),
        ({"disk_controller": "NVMe"}, "fail", "NVMe disk controller"),
        ({"disk_controller": "SCSI"}, "pass", "uses no"),
        ({"data_disks": (data("v2", 256, sku="PremiumV2_LRS"),)}, "pass", "uses no"),
        ({"os_disk": None}, "unknown", "the disks of vm-test-01"),
    ],
)
def test_asr508(fields: dict[str, Any], expected: str, phrase: str) -> None:
    result = run(supported_disk_types, make_vm(**fields))
    assert result.outcome == expected
    assert phrase in result.message


# -- ASR509 minimum-vm-size --------------------------------------------------------------------


def capacity(region: str, *skus: tuple[str, dict[str, str]]) -> RegionCapacity:
    return RegionCapacity(
        SUBSCRIPTION,
        region,
        skus=tuple(VmSku(name, "standardFamily", capabilities=caps) for name, caps in skus),
    )


B1S = ("Standard_B1s", {"vCPUs": "1", "MemoryGB": "1"})
D2S = ("Standard_D2s_v3", {"vCPUs": "2", "MemoryGB": "8"})


@pytest.mark.parametrize(
    ("size", "regions", "expected"),
    [
        ("Standard_D2s_v3", (capacity("eastus", D2S, B1S),), "pass"),
        ("Standard_B1s", (capacity("eastus", D2S, B1S),), "warn"),
        (
            "Standard_B1ls",
            (capacity("eastus", ("Standard_B1ls", {"vCPUs": "2", "MemoryGB": "0.5"})),),
            "warn",
        ),
        # constrained-core size: 4 vCPUs on paper, 1 available
        (
            "Standard_E4-1s_v5",
            (
                capacity(
                    "eastus",
                    ("Standard_E4-1s_v5", {"vCPUs": "4", "vCPUsAvailable": "1", "MemoryGB": "32"}),
                ),
            ),
            "warn",
        ),
        # only the target region lists the size: its capabilities are used
        ("Standard_B1s", (capacity("westus2", B1S),), "warn"),
        ("Standard_B1s", (), "unknown"),
        ("Standard_B1s", (capacity("eastus", ("Standard_B1s", {"vCPUs": "1"})),), "unknown"),
    ],
)
def test_asr509(size: str, regions: tuple[RegionCapacity, ...], expected: str) -> None:
    assert run(minimum_vm_size, make_vm(size=size), regions=regions).outcome == expected


def test_asr509_prefers_the_source_region_and_names_the_size() -> None:
    # The same size name with different capabilities: the VM's own region wins.
    regions = (
        capacity("westus2", ("Standard_X", {"vCPUs": "8", "MemoryGB": "32"})),
        capacity("eastus", ("standard_x", {"vCPUs": "1", "MemoryGB": "2"})),
    )
    result = run(minimum_vm_size, make_vm(size="Standard_X"), regions=regions)
    assert result.outcome == "warn"
    assert "Standard_X (1 vCPU, 2 GB)" in result.message


def test_asr509_unknown_carries_the_sku_collectors_cause() -> None:
    err = FactError("skus", f"{SUBSCRIPTION}/eastus", "resource SKUs: 403", "needs Reader")
    result = run(minimum_vm_size, make_vm(), errors=(err,))
    assert (result.outcome, result.hint) == ("unknown", "needs Reader")
    assert "capabilities of size Standard_D2s_v3 could not be gathered" in result.message


# -- ASR510 not-on-dedicated-host --------------------------------------------------------------

HOST = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/hosts/providers/Microsoft.Compute/hostGroups/hg1"
)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, "pass"),
        ({"dedicated_host_id": f"{HOST}/hosts/host-1"}, "fail"),
        ({"dedicated_host_group_id": HOST}, "fail"),
        # placement is in the VM model: missing instance-view facts do not make it unknown
        ({"power_state": None, "provisioning_state": None, "os_disk": None}, "pass"),
    ],
)
def test_asr510(fields: dict[str, Any], expected: str) -> None:
    assert outcome(not_on_dedicated_host, **fields) == expected


def test_asr510_names_the_host() -> None:
    result = run(not_on_dedicated_host, make_vm(dedicated_host_id=f"{HOST}/hosts/host-1"))
    assert "dedicated host host-1" in result.message


def test_asr505_unknown_carries_the_collectors_cause() -> None:
    vm = make_vm(os_disk=None)
    err = FactError("vms", vm.id, "storage profile: 404", "re-run collect")
    result = run(no_ephemeral_os_disk, vm, errors=(err,))
    assert result.outcome == "unknown"
    assert "the OS disk of vm-test-01 could not be gathered: storage profile: 404" in result.message
