"""Azure collection with the real SDK and the real credential against the fake ARM over HTTPS."""

from __future__ import annotations

import dataclasses

import pytest

from arm.conftest import SUB_A, SUB_B, TARGET, options
from arm.helpers import assert_read_only, outcomes, run
from asr_preflight.api import Outcome
from asr_preflight.collect import collect
from asr_preflight.engine import Verdict
from asr_preflight.plan import Plan, PlanError, parse_plan
from asr_preflight.snapshot import snapshot_from_json, snapshot_to_json
from fakes.arm import FakeAzure
from fakes.estate import EstateBuilder, VmSpec


def by_name(snapshot, name):  # type: ignore[no-untyped-def]
    return next(vm for vm in snapshot.vms if vm.name == name)


def test_collects_the_estate(fake: FakeAzure, plan: Plan) -> None:
    snap = collect(plan, options(fake))
    assert snap.errors == ()
    names = sorted(vm.name for vm in snap.vms)
    assert names == sorted(
        ["vm-web-01", "vm-web-02", "vm-db-01", "vm-eph-01", "vm-sap-app-01", "vm-sap-db-01"]
    )  # vm-other-01 is in rg-other: not selected
    web = by_name(snap, "vm-web-01")
    assert (web.size, web.location, web.os_type) == ("Standard_DS3_v2", "eastus", "Linux")
    assert (web.power_state, web.agent_status, web.provisioning_state) == (
        "running",
        "Ready",
        "Succeeded",
    )
    assert web.os_disk is not None and web.os_disk.size_gb == 64
    assert web.os_disk.sku == "Premium_LRS" and web.data_disks[0].size_gb == 128
    assert by_name(snap, "vm-web-02").os_type == "Windows"
    assert by_name(snap, "vm-db-01").provisioning_state == "Failed"
    assert len(by_name(snap, "vm-db-01").data_disks) == 3
    eph = by_name(snap, "vm-eph-01")
    assert eph.os_disk is not None and eph.os_disk.ephemeral
    sap = by_name(snap, "vm-sap-app-01")
    assert (sap.power_state, sap.agent_status) == ("deallocated", "Not Ready")
    failed = by_name(snap, "vm-sap-db-01").extensions
    assert failed is not None and failed[0].status_level == "Error"
    assert failed[0].provisioning_state == "Failed"
    # network, joined and trimmed to what the selected VMs use
    nic = snap.network_interfaces[0]
    assert nic.primary_ip_configuration is not None and nic.nsg_id
    assert {s.name for s in snap.subnets} == {"default"} and len(snap.subnets) == 2
    nsg = snap.network_security_groups[0]
    https = next(r for r in nsg.rules if r.name == "allow-https-out")
    assert https.destination_port_ranges == ("443", "8443")
    assert https.destination_address_prefixes == ("Storage.EastUS", "AzureActiveDirectory")
    assert {r.name for r in nsg.default_rules} >= {"AllowVnetInBound", "DenyAllInBound"}
    assert snap.virtual_networks[0].peered_address_prefixes == ("10.100.0.0/16",)
    assert snap.route_tables[0].routes[0].next_hop_type == "VirtualAppliance"
    # regional facts: target pairs with usages, source pairs with SKUs only
    regions = {(r.subscription_id, r.region): r for r in snap.regions}
    assert set(regions) == {(s, r) for s in (SUB_A, SUB_B) for r in (TARGET, "eastus")}
    target = regions[(SUB_A, TARGET)]
    assert target.skus is not None and {s.name for s in target.skus} == {
        "Standard_DS3_v2",
        "Standard_D2s_v3",
    }  # the disk SKU was dropped
    assert target.compute_usages and {u.name for u in target.compute_usages} >= {"cores"}
    assert target.network_usages
    source = regions[(SUB_A, "eastus")]
    assert source.skus and source.compute_usages is None and source.network_usages is None
    assert snap.service_tags is not None and "Storage.EastUS" in {
        t.name for t in snap.service_tags.tags
    }
    # vault, storage, resource groups, identity, eligibility
    assert snap.vault is not None and snap.vault.location == TARGET
    assert snap.vault.resource_group_location == TARGET
    storage = snap.cache_storage
    assert storage is not None and storage.allow_shared_key_access is True  # ARM null = allowed
    assert storage.blob_soft_delete_enabled is False and storage.network_default_action == "Deny"
    groups = {g.name: g for g in snap.resource_groups}
    assert groups["rg-shop-prod-asr"].exists and not groups["rg-erp-prod-asr"].exists
    assert snap.identity is not None and snap.identity.principal_id == fake.oid
    assert {a.principal_id for a in snap.identity.role_assignments} == {fake.oid}
    assert snap.identity.role_definitions[0].role_name == "Contributor"
    assert snap.identity.deny_assignments
    deny = snap.identity.deny_assignments[0]
    assert deny.exclude_principal_ids and not deny.do_not_apply_to_child_scopes
    assert set(deny.principal_types) == {*deny.principal_ids, *deny.exclude_principal_ids}
    elig = {e.vm_id.rsplit("/", 1)[1]: e for e in snap.eligibility}
    assert elig["vm-sap-db-01"].errors[0].code == "150436" and elig["vm-web-01"].errors == ()
    assert snap.collection.cloud == "custom" and not snap.collection.eligibility_skipped
    assert snap.collection.guest_skipped
    assert_read_only(fake)


def test_pages_are_followed(fake: FakeAzure, plan: Plan) -> None:
    fake.page_size = 2
    snap = collect(plan, options(fake))
    vm_pages = [
        r
        for r in fake.arm_requests()
        if r.path.lower() == f"/subscriptions/{SUB_A}/providers/microsoft.compute/virtualmachines"
    ]
    assert sum("skiptoken" in r.query for r in vm_pages) >= 4  # 5 VMs: 3 pages, twice
    assert len([vm for vm in snap.vms if vm.subscription_id == SUB_A]) == 4


def _count(fake: FakeAzure, plan: Plan) -> int:
    fake.reset()
    collect(plan, options(fake, eligibility=False))
    return len(fake.arm_requests())


def test_requests_grow_with_subscriptions_not_vms(fake: FakeAzure, plan: Plan) -> None:
    fake.page_size = 1000
    before = _count(fake, plan)
    builder = EstateBuilder(fake.estate)
    for i in range(40):
        builder.vm(SUB_A, VmSpec(f"vm-extra-{i:02d}", "rg-shop-prod"))
    after = _count(fake, plan)
    assert after == before


def test_no_eligibility_skips_the_per_vm_calls(fake: FakeAzure, plan: Plan) -> None:
    snap = collect(plan, options(fake, eligibility=False))
    assert snap.collection.eligibility_skipped and snap.eligibility == ()
    assert not [r for r in fake.arm_requests() if "replicationeligibility" in r.path.lower()]


def test_status_list_without_agent_falls_back_per_vm(fake: FakeAzure, plan: Plan) -> None:
    EstateBuilder(fake.estate).vm(
        SUB_A, VmSpec("vm-noagent-01", "rg-shop-prod", status_has_agent=False)
    )
    snap = collect(plan, options(fake, eligibility=False))
    assert by_name(snap, "vm-noagent-01").agent_status == "Ready"
    views = [r for r in fake.arm_requests() if r.path.lower().endswith("/instanceview")]
    assert [v.path.rsplit("/", 2)[1] for v in views] == ["vm-noagent-01"]


def test_selection_by_name_id_and_tag(fake: FakeAzure, plan: Plan) -> None:
    web02 = (
        f"/subscriptions/{SUB_A}/resourceGroups/rg-shop-prod/providers/"
        "Microsoft.Compute/virtualMachines/vm-web-02"
    )
    chosen = plan.model_copy(
        update={
            "select": plan.select.model_copy(update={"vms": ["vm-web-01", web02]}),
            "groups": [],
        }
    )
    snap = collect(chosen, options(fake, eligibility=False))
    assert sorted(vm.name for vm in snap.vms) == ["vm-web-01", "vm-web-02"]
    tagged = plan.model_copy(
        update={
            "select": plan.select.model_copy(
                update={"resource_groups": [], "tags": {"dr": "true"}}
            ),
            "groups": [],
        }
    )
    snap = collect(tagged, options(fake, eligibility=False))
    assert sorted(vm.name for vm in snap.vms) == ["vm-web-01", "vm-web-02"]


def test_group_members_must_be_selected(fake: FakeAzure, plan: Plan) -> None:
    narrowed = plan.model_copy(
        update={"select": plan.select.model_copy(update={"resource_groups": ["rg-shop-prod"]})}
    )
    with pytest.raises(PlanError, match=r"sap.*vm-sap-app-01, vm-sap-db-01"):
        collect(narrowed, options(fake))


def test_named_vm_that_does_not_exist_is_a_plan_error(fake: FakeAzure, plan: Plan) -> None:
    named = plan.model_copy(
        update={"select": plan.select.model_copy(update={"vms": ["vm-nope-01"]}), "groups": []}
    )
    with pytest.raises(PlanError, match="vm-nope-01"):
        collect(named, options(fake))


def test_missing_vault_is_a_plan_error(fake: FakeAzure, plan: Plan) -> None:
    vault = (
        f"/subscriptions/{SUB_A}/resourceGroups/rg-dr/providers/"
        "Microsoft.RecoveryServices/vaults/rv-gone"
    )
    gone = plan.model_copy(update={"target": plan.target.model_copy(update={"vault": vault})})
    with pytest.raises(PlanError, match="'rv-gone' does not exist"):
        collect(gone, options(fake))


def test_principal_id_option_overrides_the_token(fake: FakeAzure, plan: Plan) -> None:
    other = "99999999-9999-9999-9999-999999999999"
    snap = collect(plan, options(fake, principal_id=other, eligibility=False))
    assert snap.identity is not None and snap.identity.principal_id == other
    assert {a.principal_id for a in snap.identity.role_assignments} == {other}
    filters = [r.query for r in fake.arm_requests() if r.path.lower().endswith("/roleassignments")]
    assert snap.vault is not None and snap.vault.identity_principal_id
    vault_identity = snap.vault.identity_principal_id  # ASR010 reads the vault identity's, too
    operator = [q for q in filters if vault_identity not in q]
    assert operator and all("assignedTo" in q and other in q for q in operator)


def test_guest_collection_hook(
    fake: FakeAzure, plan: Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys
    import types

    from asr_preflight.plan import GuestSection

    with_guest = plan.model_copy(update={"guest": GuestSection()})
    calls = []

    def collect_guests(plan, snapshot, options):  # type: ignore[no-untyped-def]
        calls.append(len(snapshot.vms))
        return dataclasses.replace(snapshot, guests=())

    module = types.ModuleType("asr_preflight.guest.collect")
    module.collect_guests = collect_guests  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "asr_preflight.guest.collect", module)
    snap = collect(with_guest, options(fake, guest=True, eligibility=False))
    assert calls == [6] and not snap.collection.guest_skipped
    # --no-guest, or no [guest] in the plan: not called, marked skipped
    assert collect(
        with_guest, options(fake, guest=False, eligibility=False)
    ).collection.guest_skipped
    assert collect(plan, options(fake, guest=True, eligibility=False)).collection.guest_skipped
    assert calls == [6]
    # the guest collector cannot be imported: a bug that ends the run, never "guests skipped"
    monkeypatch.setitem(sys.modules, "asr_preflight.guest.collect", None)
    with pytest.raises(ImportError):
        collect(with_guest, options(fake, guest=True, eligibility=False))


def test_snapshot_round_trip_gives_the_same_results(fake: FakeAzure, plan: Plan) -> None:
    live = collect(plan, options(fake))
    offline = snapshot_from_json(snapshot_to_json(live))
    assert offline == live
    a, b = run(live, plan), run(offline, plan)
    assert a.results == b.results and a.verdict == b.verdict
    assert outcomes(a, "TST901")["vm-web-01"] is Outcome.PASS
    assert outcomes(a, "ASR505")["vm-eph-01"] is Outcome.FAIL
    assert outcomes(a, "ASR501")["vm-db-01"] is Outcome.FAIL  # provisioning Failed
    assert outcomes(a, "ASR502")["vm-sap-app-01"] is Outcome.FAIL  # deallocated
    assert outcomes(a, "ASR503")["vm-sap-db-01"] is Outcome.FAIL  # failed extension
    assert outcomes(a, "ASR009")["vm-sap-db-01"] is Outcome.FAIL  # eligibility error
    assert outcomes(a, "ASR502")["vm-web-01"] is Outcome.PASS
    assert not [r for r in a.results if r.outcome is Outcome.UNKNOWN and r.rule.startswith("ASR5")]


def test_plan_keys_select_a_custom_cloud(fake: FakeAzure) -> None:
    text = f"""
[azure]
cloud = "custom"
arm_endpoint = "{fake.url}"
authority_host = "{fake.url}"
subscriptions = ["{SUB_A}"]
[select]
vms = ["vm-web-01"]
[target]
region = "{TARGET}"
"""
    snap = collect(parse_plan(text), options(fake, arm_endpoint=None, authority_host=None))
    assert [vm.name for vm in snap.vms] == ["vm-web-01"] and snap.vault is None
    assert snap.collection.cloud == "custom"


def test_snapshot_changes_are_additive() -> None:
    from asr_preflight.options import AzureOptions, CollectOptions

    fields = {f.name for f in dataclasses.fields(AzureOptions)}
    assert {"retry_total", "read_timeout"} <= fields
    assert CollectOptions().azure.retry_total is None
    assert run  # keep the engine import used
    assert Verdict.UNKNOWN


def test_hub_network_outside_the_plan_is_read_once(fake: FakeAzure, plan: Plan) -> None:
    hub_sub = "33333333-3333-4333-8333-333333333333"
    builder = EstateBuilder(fake.estate)
    hub_subnet, hub_nsg = builder.network(hub_sub, "rg-hub", "eastus")
    for name in ("vm-spoke-01", "vm-spoke-02"):
        builder.vm(SUB_A, VmSpec(name, "rg-shop-prod"))
        nic = fake.estate.lists[
            f"/subscriptions/{SUB_A}/providers/microsoft.network/networkinterfaces"
        ][-1]
        nic["properties"]["ipConfigurations"][0]["properties"]["subnet"]["id"] = hub_subnet
    snap = collect(plan, options(fake, eligibility=False))
    assert hub_subnet in {s.id for s in snap.subnets}
    assert hub_nsg in {n.id for n in snap.network_security_groups}
    hub_gets = [r.path for r in fake.arm_requests() if hub_sub in r.path]
    assert sorted(p.rsplit("/", 2)[1].lower() for p in hub_gets) == [
        "networksecuritygroups",
        "routetables",
        "virtualnetworks",
    ]  # one GET per distinct resource, none per VM


def test_progress_goes_to_the_callback_the_caller_passes(fake: FakeAzure, plan: Plan) -> None:
    from asr_preflight.options import ProgressEvent

    events: list[ProgressEvent] = []
    base = options(fake, eligibility=False)
    collect(plan, dataclasses.replace(base, progress=events.append))
    assert events and {e.stage for e in events} == {"azure"}
    assert {"subscriptions", "VM details", "regions and eligibility"} <= {e.text for e in events}
    last = events[-1]
    assert last.done == last.total > 0
    assert all(e.done <= e.total for e in events)
