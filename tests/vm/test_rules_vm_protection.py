"""ASR108 and ASR511-ASR515: security type, customer-managed keys, locks, leftovers, disk
features and placement, through the real engine."""

from __future__ import annotations

from typing import Any

import pytest

from asr_preflight.api import Rule
from asr_preflight.engine import Result
from asr_preflight.plan import Plan
from asr_preflight.snapshot import (
    Disk,
    DiskEncryptionSet,
    FactError,
    Listing,
    ManagementLock,
    TargetDisk,
    VirtualMachine,
)
from asr_preflight.testing import SUBSCRIPTION, evaluate_rule, make_plan, make_snapshot, make_vm
from asr_preflight.trusted_launch import trusted_launch_limits
from asr_preflight_rules.capacity.asr108_placement_mappable import placement_mappable
from asr_preflight_rules.vm.asr511_security_type_supported import (
    created_on,
    security_type_supported,
)
from asr_preflight_rules.vm.asr512_cmk_disk_encryption_set import cmk_disk_encryption_set
from asr_preflight_rules.vm.asr513_no_blocking_locks import no_blocking_locks
from asr_preflight_rules.vm.asr514_no_target_leftovers import no_target_leftovers
from asr_preflight_rules.vm.asr515_disk_features_supported import disk_features_supported

SUB = f"/subscriptions/{SUBSCRIPTION}"
RG = f"{SUB}/resourceGroups/prod-rg"
CMK = "EncryptionAtRestWithCustomerKey"
SOURCE_DES = f"{RG}/providers/Microsoft.Compute/diskEncryptionSets/des-east"
TARGET_DES = f"{SUB}/resourceGroups/dr-rg/providers/Microsoft.Compute/diskEncryptionSets/des-west"


def run(rule: Rule, vm: VirtualMachine, plan: Plan | None = None, **fields: Any) -> Result:
    [result] = evaluate_rule(rule, make_snapshot([vm], plan=plan, **fields))
    return result


def disk(name: str = "vm-test-01-osdisk", **fields: Any) -> Disk:
    base: dict[str, Any] = {
        "id": f"{RG}/providers/Microsoft.Compute/disks/{name}",
        "size_gb": 64,
        "sku": "Premium_LRS",
        "encryption_type": "EncryptionAtRestWithPlatformKey",
        "max_shares": 1,
    }
    base.update(fields)
    return Disk(name, **base)


# -- ASR511 security-type-supported ------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, "pass"),  # Standard
        ({"security_type": "ConfidentialVM"}, "fail"),
        ({"security_type": "TrustedLaunch", "os_type": "Windows"}, "pass"),
        ({"security_type": "TrustedLaunch", "time_created": "2024-09-01T10:00:00Z"}, "pass"),
        ({"security_type": "TrustedLaunch", "time_created": "2024-04-01T00:00:00+00:00"}, "pass"),
        ({"security_type": "TrustedLaunch", "time_created": "2024-03-31T23:00:00-02:00"}, "pass"),
        ({"security_type": "TrustedLaunch", "time_created": "2024-03-31T22:00:00Z"}, "fail"),
        ({"security_type": "TrustedLaunch", "time_created": None}, "unknown"),
        ({"security_type": "TrustedLaunch", "time_created": "yesterday"}, "unknown"),
        ({"security_type": "SomethingNew"}, "unknown"),
    ],
)
def test_asr511(fields: dict[str, Any], expected: str) -> None:
    assert str(run(security_type_supported, make_vm(**fields)).outcome) == expected


def test_asr511_region_limits_come_from_the_data_table() -> None:
    limits = trusted_launch_limits()
    assert "uaenorth" in limits.linux_excluded_regions and limits.read
    linux = make_vm(security_type="TrustedLaunch", time_created="2025-01-01T00:00:00Z")
    to_uae = make_plan(target={"region": "uaenorth"})
    result = run(security_type_supported, linux, plan=to_uae)
    assert result.outcome == "fail" and "uaenorth" in result.message
    assert limits.read in result.message
    windows = make_vm(security_type="TrustedLaunch", os_type="Windows")
    assert run(security_type_supported, windows, plan=to_uae).outcome == "pass"
    gov = make_vm(location="usgovvirginia", security_type="TrustedLaunch", os_type="Windows")
    to_dod = make_plan(target={"region": "usdodeast"})
    to_gov = make_plan(target={"region": "usgovtexas"})
    assert run(security_type_supported, gov, plan=to_dod).outcome == "fail"
    assert run(security_type_supported, gov, plan=to_gov).outcome == "pass"


def test_asr511_messages() -> None:
    old = make_vm(security_type="TrustedLaunch", time_created="2023-05-02T09:00:00.1234567+00:00")
    result = run(security_type_supported, old)
    assert "created on 2023-05-02, before 2024-04-01" in result.message
    assert created_on("2021-06-27T01:02:38.3138469+00:00") is not None  # ARM's 7 digits


# -- ASR512 cmk-disk-encryption-set ------------------------------------------------------------


def des(name: str, location: str, sub: str = SUBSCRIPTION, **fields: Any) -> DiskEncryptionSet:
    des_id = f"/subscriptions/{sub}/resourceGroups/dr-rg/providers/Microsoft.Compute/diskEncryptionSets/{name}"
    return DiskEncryptionSet(
        des_id, name, location, **{"provisioning_state": "Succeeded", **fields}
    )


CMK_VM = make_vm(os_disk=disk(encryption_type=CMK, disk_encryption_set_id=SOURCE_DES))
DES_LISTED = Listing("disk_encryption_sets", SUB)


@pytest.mark.parametrize(
    ("vm", "sets", "listings", "expected"),
    [
        (make_vm(os_disk=disk()), (), (), "skip"),  # platform keys: nothing to map
        (CMK_VM, (des("des-west", "westus2"),), (DES_LISTED,), "pass"),
        (CMK_VM, (des("des-east", "eastus"),), (DES_LISTED,), "fail"),  # wrong region
        (
            CMK_VM,
            (
                des(
                    "des-dbl",
                    "westus2",
                    encryption_type="EncryptionAtRestWithPlatformAndCustomerKeys",
                ),
            ),
            (DES_LISTED,),
            "fail",  # another encryption type
        ),
        (CMK_VM, (), (), "unknown"),  # the target subscription's sets were not listed
        (make_vm(os_disk=disk(encryption_type=None)), (), (), "unknown"),  # disk not read
    ],
)
def test_asr512(
    vm: VirtualMachine,
    sets: tuple[DiskEncryptionSet, ...],
    listings: tuple[Listing, ...],
    expected: str,
) -> None:
    result = run(cmk_disk_encryption_set, vm, disk_encryption_sets=sets, listings=listings)
    assert result.outcome == expected, result.message


def test_asr512_plan_mapping() -> None:
    planned = make_plan(
        target={"region": "westus2", "disk_encryption_sets": {SOURCE_DES: TARGET_DES}}
    )
    # named in the plan, its subscription not listed: the plan is taken at its word
    assert run(cmk_disk_encryption_set, CMK_VM, plan=planned).outcome == "pass"
    listed = {"listings": (DES_LISTED,)}
    missing = run(cmk_disk_encryption_set, CMK_VM, plan=planned, **listed)
    assert missing.outcome == "fail" and "des-west does not exist" in missing.message
    assert "150353" in missing.message and "disk_encryption_sets" in missing.hint
    here = run(
        cmk_disk_encryption_set,
        CMK_VM,
        plan=planned,
        disk_encryption_sets=(des("des-west", "westus2"),),
        **listed,
    )
    assert here.outcome == "pass"
    elsewhere = run(
        cmk_disk_encryption_set,
        CMK_VM,
        plan=planned,
        disk_encryption_sets=(des("des-west", "centralus"),),
        **listed,
    )
    assert elsewhere.outcome == "fail" and "centralus" in elsewhere.message


@pytest.mark.parametrize(
    ("states", "expected", "words"),
    [
        (("Failed",), "fail", "des-0 is in provisioning state Failed"),
        (("Updating",), "fail", "provisioning state Updating"),
        (("Failed", "Succeeded"), "pass", "des-1"),  # the Succeeded one serves
        ((None,), "unknown", "provisioning state of disk encryption set(s) des-0"),
        (("Failed", None), "unknown", "des-1"),  # the stateless one might serve
        (("Succeeded", None), "pass", "des-0"),
    ],
)
def test_asr512_only_a_succeeded_set_counts(
    states: tuple[str | None, ...], expected: str, words: str
) -> None:
    sets = tuple(
        des(f"des-{i}", "westus2", provisioning_state=state) for i, state in enumerate(states)
    )
    result = run(cmk_disk_encryption_set, CMK_VM, disk_encryption_sets=sets, listings=(DES_LISTED,))
    assert result.outcome == expected, result.message
    assert words in result.message


@pytest.mark.parametrize(
    ("state", "expected"), [("Succeeded", "pass"), ("Failed", "fail"), (None, "unknown")]
)
def test_asr512_a_planned_set_must_have_succeeded(state: str | None, expected: str) -> None:
    planned = make_plan(
        target={"region": "westus2", "disk_encryption_sets": {SOURCE_DES: TARGET_DES}}
    )
    result = run(
        cmk_disk_encryption_set,
        CMK_VM,
        plan=planned,
        disk_encryption_sets=(des("des-west", "westus2", provisioning_state=state),),
        listings=(DES_LISTED,),
    )
    assert result.outcome == expected, result.message


def test_asr512_unknown_names_the_collectors_cause() -> None:
    err = FactError("disk_encryption_sets", SUB, "403 AuthorizationFailed", "grant Reader")
    result = run(cmk_disk_encryption_set, CMK_VM, errors=(err,))
    assert (result.outcome, result.hint) == ("unknown", "grant Reader")
    assert "403" in result.message


# -- ASR513 no-blocking-locks ------------------------------------------------------------------


def lock(scope: str, level: str, name: str = "lock") -> ManagementLock:
    return ManagementLock(
        f"{scope}/providers/Microsoft.Authorization/locks/{name}", name, scope, level
    )


VM = make_vm()
LOCKS = Listing("locks", SUB)


@pytest.mark.parametrize(
    ("locks", "listings", "expected"),
    [
        ((), (LOCKS,), "pass"),
        ((lock(VM.id, "ReadOnly"),), (LOCKS,), "fail"),
        ((lock(RG, "readonly"),), (LOCKS,), "fail"),
        ((lock(SUB, "ReadOnly"),), (LOCKS,), "fail"),
        ((lock(RG, "CanNotDelete"),), (LOCKS,), "warn"),
        ((lock(RG, "CanNotDelete"), lock(VM.id, "ReadOnly", "b")), (LOCKS,), "fail"),
        ((lock(f"{SUB}/resourceGroups/other-rg", "ReadOnly"),), (LOCKS,), "pass"),
        ((lock(VM.id + "-2", "ReadOnly"),), (LOCKS,), "pass"),  # another VM's lock
        ((lock(VM.id, "NotSpecified"),), (LOCKS,), "pass"),
        ((), (), "unknown"),
    ],
)
def test_asr513(
    locks: tuple[ManagementLock, ...], listings: tuple[Listing, ...], expected: str
) -> None:
    result = run(no_blocking_locks, VM, management_locks=locks, listings=listings)
    assert result.outcome == expected, result.message


def test_asr513_message_names_the_lock_and_where() -> None:
    result = run(
        no_blocking_locks, VM, management_locks=(lock(RG, "ReadOnly", "freeze"),), listings=(LOCKS,)
    )
    assert "ReadOnly lock freeze on its resource group prod-rg" in result.message
    assert "150225" in result.message


def test_asr513_warning_names_the_error_once() -> None:
    result = run(
        no_blocking_locks,
        VM,
        management_locks=(lock(RG, "CanNotDelete", "keep"),),
        listings=(LOCKS,),
    )
    assert result.outcome == "warn"
    assert result.message.count("150225") == 1, result.message
    assert "disabling replication later would leave stale links" in result.message


# -- ASR514 no-target-leftovers ----------------------------------------------------------------

TARGET_RG = f"{SUB}/resourceGroups/prod-rg-asr"


def target_disk(name: str, group: str = "prod-rg-asr") -> TargetDisk:
    return TargetDisk(
        f"{SUB}/resourceGroups/{group}/providers/Microsoft.Compute/disks/{name}",
        name,
        group,
        SUBSCRIPTION,
    )


@pytest.mark.parametrize(
    ("disks", "listings", "expected"),
    [
        ((), (Listing("target_disks", TARGET_RG),), "pass"),
        (
            (target_disk("vm-test-01-osdisk-ASRReplica"),),
            (Listing("target_disks", TARGET_RG),),
            "warn",
        ),
        (
            (target_disk("VM-TEST-01-OSDISK-asrreplica"),),
            (Listing("target_disks", TARGET_RG),),
            "warn",
        ),
        ((target_disk("vm-test-01-osdisk"),), (Listing("target_disks", TARGET_RG),), "pass"),
        (
            (target_disk("vm-test-01-osdisk-ASRReplica", "other-rg"),),
            (Listing("target_disks", TARGET_RG),),
            "pass",
        ),
        ((), (), "unknown"),
    ],
)
def test_asr514(
    disks: tuple[TargetDisk, ...], listings: tuple[Listing, ...], expected: str
) -> None:
    result = run(no_target_leftovers, make_vm(), target_disks=disks, listings=listings)
    assert result.outcome == expected, result.message


def test_asr514_follows_the_planned_target_group() -> None:
    plan = make_plan(target={"region": "westus2", "resource_group": "dr-targets"})
    group = f"{SUB}/resourceGroups/dr-targets"
    leftover = target_disk("vm-test-01-osdisk-ASRReplica", "dr-targets")
    result = run(
        no_target_leftovers,
        make_vm(),
        plan=plan,
        target_disks=(leftover,),
        listings=(Listing("target_disks", group),),
    )
    assert result.outcome == "warn" and "dr-targets" in result.message


# -- ASR515 disk-features-supported ------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"os_disk": disk()}, "pass"),
        ({"os_disk": disk(), "data_disks": (disk("data0", lun=0, max_shares=2),)}, "fail"),
        ({"os_disk": disk(sku="PremiumV2_LRS")}, "warn"),
        ({"os_disk": disk(sku="StandardSSD_ZRS")}, "warn"),
        ({"os_disk": disk(), "encryption_at_host": True}, "warn"),
        ({"os_disk": disk(max_shares=None)}, "unknown"),  # the disk resource was not read
        (
            {"os_disk": disk(max_shares=None), "data_disks": (disk("d", lun=0, max_shares=3),)},
            "fail",
        ),
        ({"os_disk": Disk("vhd", managed=False, size_gb=127)}, "pass"),  # unmanaged: not shared
    ],
)
def test_asr515(fields: dict[str, Any], expected: str) -> None:
    result = run(disk_features_supported, make_vm(**fields))
    assert result.outcome == expected, result.message


def test_asr515_lists_every_feature_at_the_worst_outcome() -> None:
    vm = make_vm(
        os_disk=disk(sku="Premium_ZRS"), data_disks=(disk("v2", lun=0, sku="PremiumV2_LRS"),)
    )
    result = run(disk_features_supported, vm)
    assert result.outcome == "warn"
    assert "Premium SSD v2 disks v2" in result.message and "Premium_ZRS" in result.message


def test_asr515_shared_disk_hint_fits_the_os() -> None:
    data = (disk("sbd", lun=0, max_shares=2),)
    linux = run(disk_features_supported, make_vm(os_disk=disk(), data_disks=data))
    assert "non-Windows" in linux.message
    assert linux.hint is not None and "failover cluster together" not in linux.hint
    assert "detach the shared disk" in linux.hint
    windows = run(
        disk_features_supported, make_vm(os_disk=disk(), data_disks=data, os_type="Windows")
    )
    assert windows.hint is not None and "Windows failover cluster together" in windows.hint


# -- ASR108 placement-mappable -----------------------------------------------------------------

AVSET = f"{RG}/providers/Microsoft.Compute/availabilitySets/avset-app"
PPG = f"{RG}/providers/Microsoft.Compute/proximityPlacementGroups/ppg-app"
T_AVSET = f"{SUB}/resourceGroups/dr-rg/providers/Microsoft.Compute/availabilitySets/avset-west"
T_PPG = f"{SUB}/resourceGroups/dr-rg/providers/Microsoft.Compute/proximityPlacementGroups/ppg-west"


@pytest.mark.parametrize(
    ("fields", "target", "expected"),
    [
        ({}, {}, "skip"),
        ({"zone": "1"}, {}, "pass"),
        ({"zone": "1"}, {"zone": "2"}, "pass"),
        ({"availability_set_id": AVSET}, {}, "warn"),
        ({"availability_set_id": AVSET.upper()}, {"availability_sets": {AVSET: T_AVSET}}, "pass"),
        (
            {"availability_set_id": AVSET},
            {"availability_sets": {AVSET: T_AVSET}, "zone": "1"},
            "warn",
        ),
        ({"proximity_placement_group_id": PPG}, {}, "warn"),
        ({"proximity_placement_group_id": PPG}, {"proximity_placement_group": T_PPG}, "pass"),
    ],
)
def test_asr108(fields: dict[str, Any], target: dict[str, Any], expected: str) -> None:
    plan = make_plan(target={"region": "westus2", **target})
    result = run(placement_mappable, make_vm(**fields), plan=plan)
    assert result.outcome == expected, result.message


def test_asr108_names_the_set_without_a_target() -> None:
    result = run(
        placement_mappable, make_vm(availability_set_id=AVSET, proximity_placement_group_id=PPG)
    )
    assert "availability set avset-app" in result.message
    assert "proximity placement group ppg-app" in result.message
    assert "150373" in result.message


def test_asr511_documentation_names_the_tables_date() -> None:
    assert trusted_launch_limits().read in security_type_supported.doc


def test_asr512_planned_set_whose_subscription_could_not_be_listed_is_unknown() -> None:
    """The collector lists the planned set's subscription; when that list failed, the plan's
    word is not enough to pass (the set may be missing or in another region)."""
    planned = make_plan(
        target={"region": "westus2", "disk_encryption_sets": {SOURCE_DES: TARGET_DES}}
    )
    err = FactError("disk_encryption_sets", SUB, "403 AuthorizationFailed", "grant Reader")
    result = run(cmk_disk_encryption_set, CMK_VM, plan=planned, errors=(err,))
    assert (result.outcome, result.hint) == ("unknown", "grant Reader"), result.message
    assert "des-west" in result.message
