"""The facts behind ASR108 and ASR511-ASR515 (locks, disk encryption sets, target-group disks,
security profile, disk features) and the status-only list's gaps, collected with the real SDK
against the fake ARM, then judged by the real engine."""

from __future__ import annotations

import pytest

from arm.conftest import SUB_A, SUB_B, TARGET, options
from arm.helpers import assert_read_only, outcomes, run
from asr_preflight.api import Outcome
from asr_preflight.collect import collect
from asr_preflight.plan import Plan, parse_plan
from asr_preflight.snapshot import Listing, Snapshot
from fakes.arm import FakeAzure
from fakes.estate import EstateBuilder, VmSpec, rid

RG = "rg-vmrules"
AVSET = rid(SUB_A, RG, "Microsoft.Compute", "availabilitySets", "avset-app")
PPG = rid(SUB_A, RG, "Microsoft.Compute", "proximityPlacementGroups", "ppg-app")
TARGET_PPG = rid(SUB_A, "rg-dr", "Microsoft.Compute", "proximityPlacementGroups", "ppg-westus2")


def plan_text(extra: str = "") -> str:
    vault = f"/subscriptions/{SUB_A}/resourceGroups/rg-dr/providers/Microsoft.RecoveryServices"
    return f"""
[azure]
subscriptions = ["{SUB_A}", "{SUB_B}"]
[select]
resource_groups = ["{RG}"]
[target]
region = "{TARGET}"
vault = "{vault}/vaults/rv-dr-westus2"
{extra}
"""


@pytest.fixture
def estate(fake: FakeAzure) -> EstateBuilder:
    b = EstateBuilder(fake.estate)
    des_east = b.disk_encryption_set(SUB_A, RG, "des-east", "eastus")
    b.disk_encryption_set(SUB_A, "rg-dr", "des-west", TARGET)
    des_b = b.disk_encryption_set(SUB_B, RG, "des-erp-east", "eastus")
    b.vm(SUB_A, VmSpec("vm-plain-01", RG))
    b.vm(SUB_A, VmSpec("vm-cmk-01", RG, disk_encryption_set=des_east))
    b.vm(SUB_B, VmSpec("vm-cmk-02", RG, disk_encryption_set=des_b))  # SUB_B has none in westus2
    b.vm(SUB_A, VmSpec("vm-tl-old", RG, security_type="TrustedLaunch", time_created="2023-05-02"))
    b.vm(SUB_A, VmSpec("vm-tl-win", RG, security_type="TrustedLaunch", os_type="Windows"))
    b.vm(SUB_A, VmSpec("vm-cvm-01", RG, security_type="ConfidentialVM", os_type="Windows"))
    b.vm(SUB_A, VmSpec("vm-shared-01", RG, shared_data_disk=True))
    b.vm(SUB_A, VmSpec("vm-zrs-01", RG, disk_sku="StandardSSD_ZRS", encryption_at_host=True))
    b.vm(SUB_A, VmSpec("vm-avset-01", RG, availability_set=AVSET, proximity_placement_group=PPG))
    b.vm(SUB_B, VmSpec("vm-locked-01", RG))
    b.vm(SUB_B, VmSpec("vm-warn-01", RG, eligibility_warnings=(("A2AWarn", "heads up"),)))
    vm_a = rid(SUB_A, RG, "Microsoft.Compute", "virtualMachines", "vm-plain-01")
    vm_b = rid(SUB_B, RG, "Microsoft.Compute", "virtualMachines", "vm-locked-01")
    b.lock(SUB_B, vm_b, "no-changes", "ReadOnly")
    b.lock(SUB_A, f"/subscriptions/{SUB_A}/resourceGroups/{RG}", "keep", "CanNotDelete")
    b.lock(SUB_A, f"/subscriptions/{SUB_A}/resourceGroups/rg-other", "other", "ReadOnly")
    b.lock(SUB_A, vm_a.replace("vm-plain-01", "vm-not-selected"), "elsewhere", "ReadOnly")
    b.loose_disk(SUB_A, f"{RG}-asr", "vm-shared-01-osdisk-ASRReplica", TARGET)
    b.loose_disk(SUB_A, f"{RG}-asr", "unrelated-disk", TARGET)
    for sub in (SUB_A, SUB_B):
        b.resource_group(sub, RG, "eastus")
    b.resource_group(SUB_A, f"{RG}-asr", TARGET)
    return b


def collected(fake: FakeAzure, extra: str = "") -> tuple[Snapshot, Plan]:
    plan = parse_plan(plan_text(extra))
    return collect(plan, options(fake)), plan


def test_collects_and_judges_the_vm_protection_facts(
    fake: FakeAzure, estate: EstateBuilder
) -> None:
    fake.page_size = 3  # every new list is paged
    snap, plan = collected(fake)
    # facts
    assert {(lock.name, lock.level) for lock in snap.management_locks} == {
        ("no-changes", "ReadOnly"),
        ("keep", "CanNotDelete"),
    }  # locks on unselected VMs and groups are left out
    assert {d.name for d in snap.disk_encryption_sets} == {"des-east", "des-west", "des-erp-east"}
    assert {d.name for d in snap.target_disks} == {
        "vm-shared-01-osdisk-ASRReplica",
        "unrelated-disk",
    }
    assert set(snap.listings) >= {
        Listing("locks", f"/subscriptions/{SUB_A}"),
        Listing("locks", f"/subscriptions/{SUB_B}"),
        Listing("disk_encryption_sets", f"/subscriptions/{SUB_A}"),
        Listing("target_disks", f"/subscriptions/{SUB_A}/resourceGroups/{RG}-asr"),
        Listing("target_disks", f"/subscriptions/{SUB_B}/resourceGroups/{RG}-asr"),
    }
    vms = {vm.name: vm for vm in snap.vms}
    old = vms["vm-tl-old"]
    assert (old.security_type, old.secure_boot_enabled, old.time_created) == (
        "TrustedLaunch",
        True,
        "2023-05-02",
    )
    assert vms["vm-zrs-01"].encryption_at_host and vms["vm-plain-01"].security_type is None
    shared = vms["vm-shared-01"]
    assert [d.max_shares for d in shared.data_disks] == [2] and shared.os_disk is not None
    assert shared.os_disk.max_shares == 1
    cmk = vms["vm-cmk-01"].os_disk
    assert cmk is not None and cmk.encryption_type == "EncryptionAtRestWithCustomerKey"
    warn = next(e for e in snap.eligibility if e.vm_id.endswith("/vm-warn-01"))
    assert [(e.code, e.status) for e in warn.errors] == [("A2AWarn", "Warning")]
    # verdicts
    evaluation = run(snap, plan)
    expected = {
        "ASR511": {"vm-tl-old": "fail", "vm-cvm-01": "fail", "vm-tl-win": "pass"},
        "ASR512": {"vm-cmk-01": "pass", "vm-cmk-02": "fail", "vm-plain-01": "skip"},
        "ASR513": {"vm-locked-01": "fail", "vm-plain-01": "warn", "vm-warn-01": "pass"},
        "ASR514": {"vm-shared-01": "warn", "vm-plain-01": "pass"},
        "ASR515": {"vm-shared-01": "fail", "vm-zrs-01": "warn", "vm-plain-01": "pass"},
        "ASR108": {"vm-avset-01": "warn", "vm-plain-01": "skip"},
        "ASR009": {"vm-warn-01": "warn", "vm-plain-01": "pass"},
    }
    for code, wanted in expected.items():
        got = outcomes(evaluation, code)
        assert {vm: str(got[vm]) for vm in wanted} == wanted, code
    mine = [r for r in evaluation.results if r.rule in expected or r.rule.startswith("ASR5")]
    assert len(mine) == 11 * 17  # ASR009, ASR108 and ASR501-ASR515, for each of the 11 VMs
    assert not [r for r in mine if r.outcome is Outcome.UNKNOWN], [
        (r.rule, r.vm, r.message) for r in mine if r.outcome is Outcome.UNKNOWN
    ]
    assert_read_only(fake)


def test_new_lists_are_read_once_per_subscription(fake: FakeAzure, estate: EstateBuilder) -> None:
    fake.page_size = 1000
    collected(fake)
    paths = [r.path.lower() for r in fake.arm_requests()]
    for family in ("microsoft.authorization/locks", "microsoft.compute/diskencryptionsets"):
        for sub in (SUB_A, SUB_B):
            assert paths.count(f"/subscriptions/{sub}/providers/{family}") == 1, (family, sub)
    # the target subscriptions are source subscriptions: their disk list is reused
    for sub in (SUB_A, SUB_B):
        assert paths.count(f"/subscriptions/{sub}/providers/microsoft.compute/disks") == 1


def test_plan_placement_and_encryption_sets(fake: FakeAzure, estate: EstateBuilder) -> None:
    des_b = rid(SUB_B, RG, "Microsoft.Compute", "diskEncryptionSets", "des-erp-east")
    target_des = rid(SUB_B, "rg-dr", "Microsoft.Compute", "diskEncryptionSets", "des-erp-west")
    target_set = rid(SUB_A, "rg-dr", "Microsoft.Compute", "availabilitySets", "avset-west")
    extra = (
        f'proximity_placement_group = "{TARGET_PPG}"\n'
        f'availability_sets = {{ "{AVSET}" = "{target_set}" }}\n'
        f'disk_encryption_sets = {{ "{des_b}" = "{target_des}" }}\n'
    )
    snap, plan = collected(fake, extra)
    evaluation = run(snap, plan)
    assert outcomes(evaluation, "ASR108")["vm-avset-01"] is Outcome.PASS
    # the planned target set was looked for in its subscription, and it does not exist
    asr512 = next(r for r in evaluation.results if (r.rule, r.vm) == ("ASR512", "vm-cmk-02"))
    assert asr512.outcome is Outcome.FAIL and "des-erp-west does not exist" in asr512.message
    EstateBuilder(fake.estate).disk_encryption_set(SUB_B, "rg-dr", "des-erp-west", TARGET)
    snap, plan = collected(fake, extra)
    assert outcomes(run(snap, plan), "ASR512")["vm-cmk-02"] is Outcome.PASS


@pytest.mark.parametrize(
    ("match", "code", "vm"),
    [
        ("/microsoft.authorization/locks", "ASR513", "vm-plain-01"),
        ("/microsoft.compute/diskencryptionsets", "ASR512", "vm-cmk-01"),
        ("/microsoft.compute/disks", "ASR514", "vm-plain-01"),
    ],
)
def test_a_refused_list_is_unknown_with_its_cause(
    fake: FakeAzure, estate: EstateBuilder, match: str, code: str, vm: str
) -> None:
    fake.fail(match, status=403, times=None)
    snap, plan = collected(fake)
    result = next(r for r in run(snap, plan).results if (r.rule, r.vm) == (code, vm))
    assert result.outcome is Outcome.UNKNOWN
    assert "403" in result.message or "AuthorizationFailed" in result.message, result.message
    # a VM without customer-managed keys does not need the sets: its ASR512 still skips
    assert outcomes(run(snap, plan), "ASR512")["vm-plain-01"] in (Outcome.SKIP, Outcome.UNKNOWN)


def test_status_list_without_extensions(fake: FakeAzure, estate: EstateBuilder) -> None:
    b = estate
    b.vm(SUB_A, VmSpec("vm-noext-01", RG, status_has_extensions=False))  # has extensions
    b.vm(SUB_A, VmSpec("vm-noext-02", RG, status_has_extensions=False, extensions=False))
    b.vm(SUB_A, VmSpec("vm-noext-03", RG, status_has_extensions=False, power="deallocated"))
    snap, plan = collected(fake)
    vms = {vm.name: vm for vm in snap.vms}
    views = sorted(
        r.path.rsplit("/", 2)[1]
        for r in fake.arm_requests()
        if r.path.lower().endswith("/instanceview")
    )
    assert views == ["vm-noext-01", "vm-noext-02"]  # running VMs only, one GET each
    assert vms["vm-noext-01"].extensions  # read from the VM's own instance view
    assert vms["vm-noext-02"].extensions == ()  # its own view lists none: none installed
    assert vms["vm-noext-03"].extensions is None  # never "no extensions"
    asr503 = outcomes(run(snap, plan), "ASR503")
    assert (asr503["vm-noext-02"], asr503["vm-noext-03"]) == (Outcome.PASS, Outcome.UNKNOWN)
