"""The bundled demo estate: the shared contract, JSON round trip, staleness, and its story."""

from __future__ import annotations

from collections import Counter
from importlib import resources

import pytest

from asr_preflight.demo import SNAPSHOT_FILE, build_demo, load_demo
from asr_preflight.engine import Evaluation, Verdict, evaluate, load_rules
from asr_preflight.snapshot import Snapshot, snapshot_from_json, snapshot_to_json

SHOP = "11111111-1111-4111-8111-111111111111"
ERP = "22222222-2222-4222-8222-222222222222"
VMS = {
    "rg-shop-prod": {
        "vm-web-01": "Linux",
        "vm-web-02": "Linux",
        "vm-web-03": "Linux",
        "vm-app-01": "Linux",
        "vm-app-02": "Linux",
        "vm-db-01": "Linux",
        "vm-win-iis-01": "Windows",
    },
    "rg-erp-prod": {
        "vm-sap-app-01": "Linux",
        "vm-sap-db-01": "Linux",
        "vm-sap-ascs-01": "Linux",
        "vm-win-ad-01": "Windows",
        "vm-win-sql-01": "Windows",
        "vm-win-file-01": "Windows",
        "vm-batch-01": "Linux",
    },
}
ALWAYS_READY = ("vm-web-02", "vm-app-02", "vm-win-iis-01")


@pytest.fixture(scope="module")
def built() -> Snapshot:
    return build_demo()


@pytest.fixture(scope="module")
def evaluation() -> Evaluation:
    plan, snapshot = load_demo()
    return evaluate(snapshot, plan, load_rules())


def test_bundled_snapshot_is_current(built: Snapshot) -> None:
    bundled = resources.files("asr_preflight.demo").joinpath(SNAPSHOT_FILE).read_text("utf-8")
    assert bundled == snapshot_to_json(built) + "\n", (
        "src/asr_preflight/demo/snapshot.json is stale: run `python -m asr_preflight.demo`"
    )


def test_demo_round_trips_through_json(built: Snapshot) -> None:
    assert snapshot_from_json(snapshot_to_json(built)) == built


def test_contract_estate(built: Snapshot) -> None:
    plan, snapshot = load_demo()
    assert snapshot.plan == plan
    assert snapshot.collection.source == "demo"
    found = {rg: {vm.name: vm.os_type for vm in built.vms if vm.resource_group == rg} for rg in VMS}
    assert found == VMS
    for vm in built.vms:
        assert vm.location == "eastus"
        assert vm.subscription_id == (SHOP if vm.resource_group == "rg-shop-prod" else ERP)
    assert plan.target.region == "westus2"
    assert [(g.name, g.vms) for g in plan.groups] == [
        ("sap", ["vm-sap-app-01", "vm-sap-db-01", "vm-sap-ascs-01"])
    ]
    vault = built.vault
    assert vault is not None
    assert (vault.name, vault.location, vault.resource_group) == (
        "rv-dr-westus2",
        "westus2",
        "rg-dr",
    )
    assert plan.target.vault == vault.id
    cache = built.cache_storage
    assert cache is not None
    assert (cache.name, cache.location, cache.id) == (
        "stdrcacheeastus",
        "eastus",
        plan.target.cache_storage_account,
    )


def test_network_topology_is_complete(built: Snapshot) -> None:
    nics = {nic.id: nic for nic in built.network_interfaces}
    subnets = {s.id: s for s in built.subnets}
    vnets = {v.id for v in built.virtual_networks}
    nsgs = {n.id for n in built.network_security_groups}
    # the subnet NSGs of the base estate; demo/network.py adds NIC-level NSGs
    assert {n.name for n in built.network_security_groups} >= {
        "nsg-web",
        "nsg-app",
        "nsg-db",
        "nsg-sap",
        "nsg-win",
    }
    for nic in built.network_interfaces:
        assert nic.nsg_id is None or nic.nsg_id in nsgs
    for vm in built.vms:
        for nic_id in vm.nic_ids:
            ipc = nics[nic_id].primary_ip_configuration
            assert ipc is not None and ipc.private_ip and ipc.subnet_id in subnets
            subnet = subnets[ipc.subnet_id]
            assert subnet.vnet_id in vnets
            assert subnet.nsg_id is None or subnet.nsg_id in nsgs
    ips = [ipc.private_ip for nic in nics.values() for ipc in nic.ip_configurations]
    assert len(ips) == len(set(ips))


def test_every_vm_size_is_in_the_source_sku_list(built: Snapshot) -> None:
    listed = {
        (cap.subscription_id, sku.name)
        for cap in built.regions
        if cap.region == "eastus"
        for sku in cap.skus or ()
    }
    assert {(vm.subscription_id, vm.size) for vm in built.vms} <= listed


def test_demo_shows_every_verdict_and_keeps_the_clean_vms_ready(evaluation: Evaluation) -> None:
    verdicts = {vm.name: vm.verdict for vm in evaluation.vms}
    assert set(verdicts.values()) == set(Verdict), Counter(verdicts.values())
    for name in ALWAYS_READY:
        assert verdicts[name] is Verdict.READY, [
            (r.rule, r.outcome, r.message)
            for r in evaluation.results
            if r.vm == name and r.outcome not in ("pass", "skip")
        ]
    assert not evaluation.rule_errors


# The story this area's rules tell in the demo: (rule, VM) -> outcome. Other VMs pass or skip.
STORY = {
    ("ASR502", "vm-win-file-01"): "fail",
    ("ASR503", "vm-sap-app-01"): "fail",
    ("ASR504", "vm-web-01"): "fail",
    ("ASR505", "vm-db-01"): "fail",
    ("ASR508", "vm-sap-db-01"): "fail",
    ("ASR508", "vm-win-sql-01"): "fail",
    ("ASR509", "vm-batch-01"): "warn",
    ("ASR510", "vm-win-sql-01"): "fail",
    ("ASR009", "vm-app-01"): "fail",
    ("ASR009", "vm-win-ad-01"): "unknown",
    ("ASR009", "vm-batch-01"): "warn",  # a warning-level eligibility entry
    ("ASR108", "vm-win-file-01"): "warn",  # availability set with no target set
    ("ASR511", "vm-db-01"): "fail",  # trusted launch Linux created 2023-11-02
    ("ASR512", "vm-win-sql-01"): "fail",  # CMK disks, no disk encryption set in westus2
    ("ASR513", "vm-sap-db-01"): "fail",  # ReadOnly lock
    ("ASR513", "vm-win-ad-01"): "warn",  # CanNotDelete lock
    ("ASR514", "vm-sap-app-01"): "warn",  # leftover replica disk in rg-erp-prod-asr
    ("ASR515", "vm-sap-ascs-01"): "fail",  # shared SBD disk on Linux
    ("ASR515", "vm-web-03"): "warn",  # zone-redundant OS disk
    ("ASR515", "vm-win-sql-01"): "warn",  # encryption at host
    ("ASR010", "vm-batch-01"): "fail",  # vnet-batch is not linked to the Site Recovery zone
}
PLAN_AND_VM_RULES = (
    [f"ASR00{i}" for i in range(1, 10)]
    + ["ASR010", "ASR108"]
    + [f"ASR5{i:02d}" for i in range(1, 16)]
)
#: VMs whose result passes (not skip) for the new rules: each is shown failing and passing.
SHOWN_PASSING = {
    "ASR108": "vm-sap-db-01",  # proximity placement group mapped in the plan
    "ASR511": "vm-web-02",  # trusted launch Linux created 2024-10-08
    "ASR512": "vm-app-01",  # CMK data disk, des-shop-westus2 found in the target region
    "ASR513": "vm-web-02",
    "ASR514": "vm-web-02",
    "ASR515": "vm-web-02",
}


@pytest.mark.parametrize("code", PLAN_AND_VM_RULES)
def test_plan_and_vm_rules_tell_the_story(evaluation: Evaluation, code: str) -> None:
    results = [r for r in evaluation.results if r.rule == code]
    assert len(results) == 14
    for r in results:
        expected = STORY.get((code, r.vm))
        if expected is None:
            assert r.outcome in ("pass", "skip"), (r.vm, r.message)
        else:
            assert r.outcome == expected, (r.vm, r.message)
    assert any(r.outcome == "pass" for r in results)
    if code in SHOWN_PASSING:
        [shown] = [r for r in results if r.vm == SHOWN_PASSING[code]]
        assert shown.outcome == "pass", shown.message


def test_unknown_eligibility_names_the_cause_and_the_role(evaluation: Evaluation) -> None:
    [r] = [r for r in evaluation.results if (r.rule, r.vm) == ("ASR009", "vm-win-ad-01")]
    assert "403" in r.message
    assert "Reader" in r.hint
