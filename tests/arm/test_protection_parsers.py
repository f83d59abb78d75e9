"""The parsers of the new reads against broken or hostile ARM items: a bad item never becomes a
fact that passes."""

from __future__ import annotations

from typing import Any

import pytest

from asr_preflight.azure import compute
from asr_preflight.azure.disk_encryption_sets import to_disk_encryption_set
from asr_preflight.azure.locks import to_lock
from fakes.estate import example

VM_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1"


def test_lock_scope_is_the_id_before_the_lock() -> None:
    item = example("ManagementLocks_ListAtSubscriptionLevel.json")["value"][0]
    lock = to_lock(item)
    assert lock.scope == "/subscriptions/subscriptionId/resourceGroups/resourcegroupname"
    assert (lock.name, lock.level) == ("testlock", "ReadOnly")
    on_vm = to_lock(
        {
            "id": f"{VM_ID}/providers/Microsoft.Authorization/locks/x",
            "properties": {"level": "CanNotDelete"},
        }
    )
    assert on_vm.scope == VM_ID and on_vm.name == "x"


@pytest.mark.parametrize(
    "item",
    [
        {"id": "/subscriptions/s/providers/Microsoft.Authorization/locks/x", "properties": {}},
        {"id": "/subscriptions/s/providers/Microsoft.Authorization/locks/x"},
        {"id": "/subscriptions/s/locks/x", "properties": {"level": "ReadOnly"}},
        {"properties": {"level": "ReadOnly"}},
        {"id": 7, "properties": {"level": "ReadOnly"}},
    ],
)
def test_a_broken_lock_is_refused(item: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        to_lock(item)


def test_disk_encryption_set_from_the_official_example() -> None:
    item = example("DiskEncryptionSet_ListBySubscription.json")["value"][0]
    des = to_disk_encryption_set(item)
    assert (des.name, des.location, des.encryption_type) == (
        "myDiskEncryptionSet",
        "westus",
        "EncryptionAtRestWithCustomerKey",
    )
    item["location"] = "West US 2"
    item["properties"].pop("encryptionType")
    again = to_disk_encryption_set(item)
    assert (again.location, again.encryption_type) == ("westus2", None)
    with pytest.raises(ValueError):
        to_disk_encryption_set({"id": item["id"]})  # no location: cannot be judged


def _vm(**props: Any) -> dict[str, Any]:
    vm = example("VirtualMachine_Get.json")
    vm["id"] = VM_ID
    vm["properties"].update(props)
    return vm


@pytest.mark.parametrize(
    ("shares", "expected"),
    [(None, 1), (1, 1), (3, 3), ("3", None), (True, None), (0, None), (-2, None)],
)
def test_max_shares(shares: Any, expected: int | None) -> None:
    vm = _vm()
    disk_id = vm["properties"]["storageProfile"]["osDisk"]["managedDisk"]["id"] = f"{VM_ID}-os"
    resource = example("Disk_Get.json")
    resource["id"] = disk_id
    if shares is not None:
        resource["properties"]["maxShares"] = shares
    fact = compute.to_vm(vm, None, {disk_id.lower(): resource})
    assert fact.os_disk is not None and fact.os_disk.max_shares == expected
    unread = compute.to_vm(vm, None, None)  # the disk list was not gathered
    assert unread.os_disk is not None and unread.os_disk.max_shares is None


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        (None, (None, None, False)),
        (
            {"securityType": "TrustedLaunch", "uefiSettings": {"secureBootEnabled": True}},
            ("TrustedLaunch", True, False),
        ),
        ({"encryptionAtHost": "true"}, (None, None, True)),  # Learn's own example writes a string
        ({"encryptionAtHost": "yes", "securityType": 5}, ("5", None, False)),  # ASR511: unknown
    ],
)
def test_security_profile(profile: Any, expected: tuple[Any, ...]) -> None:
    props: dict[str, Any] = {} if profile is None else {"securityProfile": profile}
    fact = compute.to_vm(_vm(**props), None, None)
    assert (fact.security_type, fact.secure_boot_enabled, fact.encryption_at_host) == expected
    assert fact.time_created == "2021-06-27T01:02:38.3138469+00:00"  # the example's timeCreated


def test_extensions_absent_from_a_status_view_are_not_gathered() -> None:
    view = example("VirtualMachine_Get_InstanceView.json")
    view["statuses"] = [{"code": "PowerState/running"}]
    assert compute.to_vm(_vm(), view, None).extensions  # listed
    view.pop("extensions")
    assert compute.needs_full_view(view)
    assert compute.to_vm(_vm(), view, None).extensions is None
    # the VM's own instance view of a running VM with an agent: none installed
    assert compute.to_vm(_vm(), view, None, complete_view=True).extensions == ()
    view.pop("vmAgent")
    assert compute.to_vm(_vm(), view, None, complete_view=True).extensions is None
