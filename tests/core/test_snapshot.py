"""Snapshots round-trip through JSON, refuse other schema versions, and describe themselves."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from asr_preflight.snapshot import (
    SNAPSHOT_SCHEMA,
    CollectionInfo,
    Disk,
    Eligibility,
    EligibilityError,
    Extension,
    FactError,
    GuestFacts,
    IdentityFacts,
    IpConfiguration,
    NetworkInterface,
    NetworkSecurityGroup,
    RegionCapacity,
    RoleAssignment,
    SecurityRule,
    ServiceTag,
    ServiceTags,
    SkuRestriction,
    SnapshotError,
    Usage,
    VirtualMachine,
    VmSku,
    load_snapshot,
    snapshot_from_json,
    snapshot_json_schema,
    snapshot_to_json,
)
from asr_preflight.testing import make_plan, make_snapshot, make_vm


def _rich_snapshot():  # type: ignore[no-untyped-def]
    vm = make_vm(
        "vm-a",
        tags={"dr": "true"},
        extensions=(
            Extension(
                "ext", "Microsoft.Azure.Monitor", "AzureMonitorLinuxAgent", "1.0", "Succeeded"
            ),
        ),
        data_disks=(Disk("data0", lun=0, size_gb=128, sku="Premium_LRS"),),
    )
    return make_snapshot(
        vms=[vm],
        plan=make_plan(groups=[{"name": "g", "vms": ["vm-a", "vm-b"]}]),
        collection=CollectionInfo(cloud="AzureCloud", guest_skipped=True, source="test"),
        network_interfaces=(
            NetworkInterface(
                id=vm.nic_ids[0],
                name="vm-a-nic",
                ip_configurations=(IpConfiguration("ipconfig1", True, "10.0.0.4", subnet_id="/s"),),
            ),
        ),
        network_security_groups=(
            NetworkSecurityGroup(
                "/nsg",
                "nsg",
                rules=(
                    SecurityRule(
                        "r", 100, "Outbound", "Deny", "Tcp", ("*",), ("*",), ("Storage",), ("443",)
                    ),
                ),
            ),
        ),
        regions=(
            RegionCapacity(
                vm.subscription_id,
                "westus2",
                skus=(
                    VmSku(
                        "Standard_D2s_v3",
                        "standardDSv3Family",
                        capabilities={"vCPUs": "2"},
                        restrictions=(
                            SkuRestriction(
                                "Zone", "NotAvailableForSubscription", ("westus2",), ("1",)
                            ),
                        ),
                    ),
                ),
                compute_usages=(Usage("cores", 10, 100),),
                network_usages=None,
            ),
        ),
        service_tags=ServiceTags(
            "Public",
            "375",
            (ServiceTag("Storage.EastUS", "eastus", "AzureStorage", ("20.38.0.0/16",)),),
        ),
        identity=IdentityFacts(
            "oid", (RoleAssignment("/ra", "/subscriptions/x", "/rd", "oid", condition="@x"),)
        ),
        eligibility=(
            Eligibility(vm.id, (EligibilityError("A2AOperatingSystemNotSupported", "no"),)),
        ),
        guests=(GuestFacts(vm.id, "ssh", os_release={"ID": "ubuntu"}, root_free_bytes=5 << 30),),
        errors=(
            FactError("network_usages", f"{vm.subscription_id}/westus2", "HTTP 429", "retry later"),
        ),
    )


def test_round_trip_preserves_every_fact() -> None:
    snap = _rich_snapshot()
    text = snapshot_to_json(snap)
    back = snapshot_from_json(text)
    assert back == snap
    assert isinstance(back.vms[0].data_disks, tuple)
    assert back.regions[0].network_usages is None
    assert json.loads(text)["schema"] == SNAPSHOT_SCHEMA


def test_other_schema_version_is_refused_by_name() -> None:
    data = json.loads(snapshot_to_json(_rich_snapshot()))
    data["schema"] = "asr-preflight/snapshot/v2"
    with pytest.raises(
        SnapshotError,
        match="schema is 'asr-preflight/snapshot/v2'.*reads 'asr-preflight/snapshot/v1'",
    ):
        snapshot_from_json(json.dumps(data))


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("{not json", "not a JSON document"),
        ("[1, 2]", "not an asr-preflight snapshot"),
        ('{"results": []}', "snapshot schema is None"),
    ],
)
def test_malformed_documents(text: str, match: str) -> None:
    with pytest.raises(SnapshotError, match=match):
        snapshot_from_json(text)


def test_invalid_field_names_its_location() -> None:
    data = json.loads(snapshot_to_json(_rich_snapshot()))
    data["vms"][0]["data_disks"][0]["size_gb"] = "big"
    with pytest.raises(SnapshotError, match=r"invalid snapshot at vms\.0\.data_disks\.0\.size_gb"):
        snapshot_from_json(json.dumps(data))


def test_load_snapshot_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "snap.json"
    path.write_text("{}")
    with pytest.raises(SnapshotError, match="snap.json: snapshot schema is None"):
        load_snapshot(path)
    with pytest.raises(SnapshotError, match="cannot read snapshot"):
        load_snapshot(tmp_path / "absent.json")


def test_json_schema_validates_a_real_snapshot_and_rejects_a_broken_one() -> None:
    import jsonschema

    schema = snapshot_json_schema()
    assert schema["$id"] == SNAPSHOT_SCHEMA
    data = json.loads(snapshot_to_json(_rich_snapshot()))
    jsonschema.validate(data, schema)
    data["vms"][0]["os_type"] = "Solaris"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)


def test_fact_error_scope_covers_resources_below_it_only() -> None:
    err = FactError("network", "/subscriptions/AAA", "403")
    assert err.covers("network", "/subscriptions/aaa/resourceGroups/rg/providers/x/y")
    assert err.covers("network", "/subscriptions/aaa")
    assert not err.covers("network", "/subscriptions/aaab/resourceGroups/rg")
    assert not err.covers("vms", "/subscriptions/aaa")


def test_facts_that_may_be_ungathered_default_to_none_and_old_snapshots_read_as_before() -> None:
    vm = make_vm("vm-a", tags=None)
    bare = VirtualMachine(
        vm.id, vm.name, vm.subscription_id, "rg", "eastus", "Standard_D2s_v3", None
    )
    assert bare.tags is None  # not read: a rule on tags must say unknown, not fail
    written = json.loads(snapshot_to_json(make_snapshot(vms=[replace(vm, tags={})])))
    assert written["vms"][0]["tags"] == {}  # every field is written: old snapshots carry it
    assert snapshot_from_json(json.dumps(written)).vms[0].tags == {}
    del written["vms"][0]["tags"]  # a snapshot that never read tags
    assert snapshot_from_json(json.dumps(written)).vms[0].tags is None
    guest = GuestFacts(vm_id=vm.id, transport="ssh")
    assert guest.os_release is None


def test_a_lone_surrogate_is_written_as_the_replacement_character() -> None:
    """In values and in keys (tags); the rest of the document as the fast path writes it."""
    vm = make_vm("vm-a", tags={"env\ud800": "prod\udfff"})
    snap = make_snapshot(vms=[replace(vm, name="vm-\udc80-a")])
    text = snapshot_to_json(snap)
    text.encode("utf-8")  # strict: nothing UTF-8 cannot hold
    back = snapshot_from_json(text).vms[0]
    assert (back.name, back.tags) == ("vm-\ufffd-a", {"env\ufffd": "prod\ufffd"})
    clean = replace(snap, vms=(replace(vm, name="vm-\ufffd-a", tags=back.tags),))
    assert text == snapshot_to_json(clean)


def test_an_unimportable_guest_collector_is_an_error_not_guests_skipped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    from asr_preflight import collect as collecting
    from asr_preflight.azure import orchestrator
    from asr_preflight.options import CollectOptions

    plan = make_plan(guest={"linux": {"user": "azureuser"}})
    monkeypatch.setattr(orchestrator, "collect_azure", lambda *a, **k: make_snapshot(plan=plan))
    monkeypatch.setitem(sys.modules, "asr_preflight.guest.collect", None)  # import fails
    with pytest.raises(ImportError):
        collecting.collect(plan, CollectOptions())
