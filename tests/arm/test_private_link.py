"""Outbound paths, private endpoints, the Site Recovery DNS zone and the vault identity, collected
with the real SDK pipeline from the fake ARM and judged by ASR010, ASR210 and ASR211."""

from __future__ import annotations

import json
from typing import Any

import pytest

from arm.conftest import CACHE, SUB_A, VAULT, options
from arm.helpers import assert_read_only, hints, outcomes, run
from asr_preflight.api import Outcome
from asr_preflight.collect import collect
from asr_preflight.plan import Plan
from asr_preflight.snapshot import snapshot_from_json, snapshot_to_json
from fakes.arm import FakeAzure
from fakes.estate import EstateBuilder, VmSpec, rid, sub_list

VAULT_ID = f"{VAULT}/rv-dr-westus2"
CACHE_ID = f"{CACHE}/asrcachewestus2"


def _private_estate(fake: FakeAzure) -> dict[str, Any]:
    b = EstateBuilder(fake.estate)
    subnet_id, _ = b.network(SUB_A, "rg-private", "eastus")
    vnet_id = subnet_id.split("/subnets/")[0]
    vnets = fake.estate.lists[sub_list(SUB_A, "Microsoft.Network/virtualNetworks").lower()]
    vnet = next(v for v in vnets if v["id"] == vnet_id)
    subnet = vnet["properties"]["subnets"][0]["properties"]
    subnet.pop("routeTable")  # no route to the firewall
    subnet["defaultOutboundAccess"] = False  # a private subnet
    b.vm(SUB_A, VmSpec("vm-priv-01", "rg-private"))
    b.vm(SUB_A, VmSpec("vm-priv-02", "rg-private"))
    nic = rid(SUB_A, "rg-private", "Microsoft.Network", "networkInterfaces", "{}-nic")
    b.load_balancer(SUB_A, "rg-private", "ilb", [nic.format("vm-priv-01")], outbound_rule=False)
    b.load_balancer(SUB_A, "rg-private", "ilb-out", [nic.format("vm-priv-02")], outbound_rule=True)
    pe_cache = b.private_endpoint(SUB_A, "rg-private", "pe-cache", subnet_id, CACHE_ID, "blob")
    b.storage(
        SUB_A,
        "rg-dr",
        "asrcachewestus2",
        "eastus",
        private_endpoint=pe_cache,
        public_network_access="Disabled",
    )
    pe_vault = b.private_endpoint(
        SUB_A, "rg-private", "pe-vault", subnet_id, VAULT_ID, "AzureSiteRecovery"
    )
    vault = fake.estate.items[VAULT_ID.lower()]
    conn = vault["properties"]["privateEndpointConnections"][0]["properties"]
    conn["groupIds"] = ["AzureSiteRecovery"]
    conn["privateEndpoint"]["id"] = pe_vault
    conn["privateLinkServiceConnectionState"]["status"] = "Pending"
    b.dns_zone(SUB_A, "rg-dr", [vnet_id])
    return {"vnet": vnet_id, "pe_cache": pe_cache, "pe_vault": pe_vault}


def _plan(plan: Plan) -> Plan:
    select = plan.select.model_copy(update={"resource_groups": ["rg-shop-prod", "rg-private"]})
    return plan.model_copy(update={"select": select, "groups": []})


def test_outbound_and_private_link_facts_and_verdicts(fake: FakeAzure, plan: Plan) -> None:
    made = _private_estate(fake)
    chosen = _plan(plan)
    snap = collect(chosen, options(fake, eligibility=False))
    assert not [e for e in snap.errors if e.kind in ("outbound", "private_link", "vault_rbac")]
    # the facts, as ARM serves them
    assert snap.load_balancers is not None
    lbs = {lb.name: lb for lb in snap.load_balancers}
    assert lbs["ilb"].sku == "Standard" and not lbs["ilb"].public
    assert lbs["ilb-out"].outbound_rule_pool_ids and not lbs["ilb"].outbound_rule_pool_ids
    subnets = {s.id.split("/resourceGroups/")[1].split("/")[0]: s for s in snap.subnets}
    assert subnets["rg-private"].default_outbound_access is False
    assert subnets["rg-shop-prod"].default_outbound_access is None  # absent in ARM's answer
    storage = snap.cache_storage
    assert storage is not None and storage.public_network_access == "Disabled"
    assert storage.resource_access_rules and storage.private_endpoint_connections
    assert storage.private_endpoint_connections[0].status == "Approved"
    assert snap.private_endpoints is not None
    assert {p.id for p in snap.private_endpoints} == {made["pe_cache"], made["pe_vault"]}
    assert snap.private_dns_zones is not None
    assert [z.name for z in snap.private_dns_zones] == [
        "privatelink.siterecovery.windowsazure.com"
    ]  # the unrelated zone is dropped
    assert snap.private_dns_zones[0].linked_vnet_ids == (made["vnet"],)
    vault = snap.vault
    assert vault is not None and vault.identity_principal_id
    assert vault.private_endpoint_connections and vault.private_endpoint_connections[0].status
    assert snap.vault_identity is not None
    assert snap.vault_identity.principal_id == vault.identity_principal_id
    # the verdicts
    result = run(snap, chosen)
    asr211 = outcomes(result, "ASR211")
    assert asr211["vm-priv-01"] is Outcome.FAIL  # private subnet, internal LB, no rule
    assert asr211["vm-priv-02"] is Outcome.PASS  # the outbound rule
    assert asr211["vm-web-01"] is Outcome.PASS  # 0.0.0.0/0 to the firewall
    asr210 = outcomes(result, "ASR210")
    assert asr210["vm-priv-01"] is Outcome.PASS  # a blob private endpoint in its VNet
    assert asr210["vm-web-01"] is Outcome.FAIL  # public access Disabled, no endpoint there
    assert outcomes(result, "ASR010")["vm-priv-01"] is Outcome.FAIL  # connection Pending
    # offline: the snapshot carries every fact
    assert snapshot_from_json(snapshot_to_json(snap)) == snap
    assert_read_only(fake)


def test_new_families_are_listed_once_per_subscription(fake: FakeAzure, plan: Plan) -> None:
    _private_estate(fake)
    chosen = _plan(plan)
    collect(chosen, options(fake, eligibility=False))
    paths = [r.path.lower() for r in fake.arm_requests() if "skiptoken" not in r.query]
    for family in ("loadbalancers", "privateendpoints", "privatednszones"):
        lists = [p for p in paths if p.endswith(f"/providers/microsoft.network/{family}")]
        assert len(lists) == len(set(lists)) == 2, family  # SUB_A and SUB_B, once each
    links = [p for p in paths if p.endswith("/virtualnetworklinks")]
    assert len(links) == 1  # one Site Recovery zone


def test_a_failed_load_balancer_list_is_unknown_not_pass(fake: FakeAzure, plan: Plan) -> None:
    _private_estate(fake)
    chosen = _plan(plan)
    fake.fail("/providers/microsoft.network/loadbalancers", status=403, times=None)
    snap = collect(chosen, options(fake, eligibility=False, retry_total=0))
    assert any(e.kind == "outbound" for e in snap.errors)
    asr211 = outcomes(run(snap, chosen), "ASR211")
    assert asr211["vm-priv-01"] is Outcome.UNKNOWN


def test_an_ip_based_backend_pool_member_is_matched_to_its_nic(fake: FakeAzure, plan: Plan) -> None:
    """A Standard internal load balancer whose pool lists the VM only by VNet and private IP
    (an IP-based pool; the NIC lists no pool) turns default outbound access off: fail, not
    "relies on default outbound access"."""
    b = EstateBuilder(fake.estate)
    b.network(SUB_A, "rg-ipbased", "eastus")
    vnets = fake.estate.lists[sub_list(SUB_A, "Microsoft.Network/virtualNetworks").lower()]
    vnet = next(v for v in vnets if v["name"] == "rg-ipbased-vnet")
    vnet["properties"]["subnets"][0]["properties"].pop("routeTable")  # no route to a firewall
    b.vm(SUB_A, VmSpec("vm-ip-01", "rg-ipbased"))
    b.vm(SUB_A, VmSpec("vm-ip-02", "rg-ipbased"))
    nic = rid(SUB_A, "rg-ipbased", "Microsoft.Network", "networkInterfaces", "vm-ip-01-nic")
    b.load_balancer(SUB_A, "rg-ipbased", "ilb-ip", [nic], outbound_rule=False, ip_based=True)
    select = plan.select.model_copy(update={"resource_groups": ["rg-ipbased"]})
    chosen = plan.model_copy(update={"select": select, "groups": []})
    snap = collect(chosen, options(fake, eligibility=False))
    assert snap.load_balancers is not None
    [lb] = [lb for lb in snap.load_balancers if lb.name == "ilb-ip"]
    assert lb.pool_members[lb.pool_ids[0]] == () and lb.pool_addresses[lb.pool_ids[0]]
    asr211 = outcomes(run(snap, chosen), "ASR211")
    assert asr211["vm-ip-01"] is Outcome.FAIL  # in the IP-based pool of a Standard ILB
    assert asr211["vm-ip-02"] is Outcome.PASS  # not a member: default outbound access
    assert_read_only(fake)


@pytest.mark.parametrize("malformed", ["false", 0, 1, None, {"value": False}, []])
def test_a_malformed_default_outbound_access_is_that_subnets_fact_error(
    fake: FakeAzure, plan: Plan, malformed: Any
) -> None:
    """Only a JSON boolean or absence is read: the string "false" or a number read as absent
    would mean default outbound on, and ASR211 could pass."""
    b = EstateBuilder(fake.estate)
    subnet_id, _ = b.network(SUB_A, "rg-odd", "eastus")
    vnets = fake.estate.lists[sub_list(SUB_A, "Microsoft.Network/virtualNetworks").lower()]
    vnet = next(v for v in vnets if v["name"] == "rg-odd-vnet")
    other = json.loads(json.dumps(vnet["properties"]["subnets"][0]))
    other.update({"id": subnet_id.replace("/default", "/other"), "name": "other"})
    vnet["properties"]["subnets"].append(other)
    subnet = vnet["properties"]["subnets"][0]["properties"]
    subnet.pop("routeTable")  # no route to the firewall
    subnet["defaultOutboundAccess"] = malformed
    b.vm(SUB_A, VmSpec("vm-odd-01", "rg-odd"))
    select = plan.select.model_copy(update={"resource_groups": ["rg-odd", "rg-shop-prod"]})
    chosen = plan.model_copy(update={"select": select, "groups": []})
    snap = collect(chosen, options(fake, eligibility=False))
    [error] = [e for e in snap.errors if e.kind == "network"]
    assert error.scope == subnet_id and "defaultOutboundAccess" in error.cause
    assert subnet_id not in {s.id for s in snap.subnets}
    assert other["id"] in {s.id for s in snap.subnets}  # the VNet's other subnet stays
    result = run(snap, chosen)
    assert outcomes(result, "ASR211")["vm-odd-01"] is Outcome.UNKNOWN
    assert outcomes(result, "ASR211")["vm-web-01"] is Outcome.PASS  # another VNet


HUB = "33333333-3333-4333-8333-333333333333"  # a connectivity subscription the plan lists nowhere


def _hub_estate(fake: FakeAzure) -> dict[str, Any]:
    """The private estate with the vault's connection Approved and the Site Recovery zone in a
    hub-and-spoke connectivity subscription, linked to the VM's VNet."""
    made = _private_estate(fake)
    vault = fake.estate.items[VAULT_ID.lower()]
    conn = vault["properties"]["privateEndpointConnections"][0]["properties"]
    conn["privateLinkServiceConnectionState"]["status"] = "Approved"
    fake.estate.lists.pop(sub_list(SUB_A, "Microsoft.Network/privateDnsZones").lower())
    EstateBuilder(fake.estate).dns_zone(HUB, "rg-connectivity", [made["vnet"]])
    return made


def _hub_plan(plan: Plan) -> Plan:
    """No cache account: Site Recovery makes one and grants its identity (not judged here)."""
    target = plan.target.model_copy(update={"cache_storage_account": None})
    return _plan(plan).model_copy(update={"target": target})


def test_a_zone_in_the_hub_subscription_the_plan_names_is_found(
    fake: FakeAzure, plan: Plan
) -> None:
    _hub_estate(fake)
    azure = plan.azure.model_copy(update={"private_dns_subscriptions": [HUB]})
    chosen = _hub_plan(plan).model_copy(update={"azure": azure})
    snap = collect(chosen, options(fake, eligibility=False))
    assert not [e for e in snap.errors if e.kind == "private_link"]
    assert snap.private_dns_zones is not None
    assert [z.id.split("/")[2] for z in snap.private_dns_zones] == [HUB]
    result = run(snap, chosen)
    assert outcomes(result, "ASR010")["vm-priv-01"] is Outcome.PASS
    paths = [r.path.lower() for r in fake.arm_requests() if "skiptoken" not in r.query]
    hub = [p for p in paths if p.startswith(f"/subscriptions/{HUB}/")]
    assert hub.count(f"/subscriptions/{HUB}/providers/microsoft.network/privatednszones") == 1
    assert not [p for p in hub if "privateendpoints" in p]  # only its zones are listed
    assert len([p for p in hub if p.endswith("/virtualnetworklinks")]) == 1
    assert_read_only(fake)


def test_without_the_key_a_zone_in_the_hub_is_unknown_not_fail(fake: FakeAzure, plan: Plan) -> None:
    _hub_estate(fake)
    chosen = _hub_plan(plan)
    snap = collect(chosen, options(fake, eligibility=False))
    assert snap.private_dns_zones == ()
    result = run(snap, chosen)
    assert outcomes(result, "ASR010")["vm-priv-01"] is Outcome.UNKNOWN
    hint = hints(result, "ASR010")["vm-priv-01"]
    assert "private_dns_subscriptions" in hint and SUB_A in hint
    assert not [r for r in fake.arm_requests() if HUB in r.path]


def test_a_failed_zone_list_in_the_hub_is_unknown_with_its_cause(
    fake: FakeAzure, plan: Plan
) -> None:
    _hub_estate(fake)
    azure = plan.azure.model_copy(update={"private_dns_subscriptions": [HUB]})
    chosen = _hub_plan(plan).model_copy(update={"azure": azure})
    fake.fail(
        f"/subscriptions/{HUB}/providers/microsoft.network/privatednszones", status=403, times=None
    )
    snap = collect(chosen, options(fake, eligibility=False, retry_total=0))
    [error] = [e for e in snap.errors if e.kind == "private_link"]
    assert HUB in error.scope
    assert outcomes(run(snap, chosen), "ASR010")["vm-priv-01"] is Outcome.UNKNOWN
    assert_read_only(fake)
