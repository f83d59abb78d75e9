"""ASR201–ASR210 through the real engine: pass, fail/warn, skip and unknown for each rule."""

from __future__ import annotations

from dataclasses import replace

import pytest
from netsec_facts import (
    asg_id,
    estate,
    nic_for,
    nsg,
    nsg_id,
    rule,
    small_tags,
    subnet,
    subnet_id,
    vnet,
)

from asr_preflight.api import Rule
from asr_preflight.snapshot import (
    Disk,
    Extension,
    FactError,
    PrivateEndpoint,
    PrivateEndpointConnection,
    Route,
    RouteTable,
    SecurityRule,
    Snapshot,
    StorageAccount,
    Subnet,
    VirtualNetwork,
)
from asr_preflight.testing import SUBSCRIPTION, evaluate_rule, make_plan, make_vm
from asr_preflight_rules.network.asr201_outbound_storage import outbound_storage
from asr_preflight_rules.network.asr202_outbound_entra_id import outbound_entra_id
from asr_preflight_rules.network.asr203_outbound_site_recovery import outbound_site_recovery
from asr_preflight_rules.network.asr204_outbound_event_hub import outbound_event_hub
from asr_preflight_rules.network.asr205_outbound_key_vault import outbound_key_vault
from asr_preflight_rules.network.asr206_outbound_automation import outbound_automation
from asr_preflight_rules.network.asr207_no_ip_allowlist import no_ip_allowlist
from asr_preflight_rules.network.asr208_no_forced_tunnel import no_forced_tunnel
from asr_preflight_rules.network.asr209_port_20004_nsg import port_20004_nsg
from asr_preflight_rules.network.asr210_cache_storage_reachable import cache_storage_reachable

VAULT = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/dr-rg"
    "/providers/Microsoft.RecoveryServices/vaults/dr-vault"
)
CACHE_ID = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/prod-rg/providers/Microsoft.Storage/storageAccounts/cacheeus"
DENY_INTERNET = rule("DenyInternet", 200, access="Deny", protocol="*", dst=("Internet",))


def one(rule_: Rule, snapshot: Snapshot, **plan_sections):
    plan = make_plan(**plan_sections) if plan_sections else None
    [result] = evaluate_rule(rule_, snapshot, plan)
    return result


def with_subnet_nsg(*rules: SecurityRule, **fields) -> Snapshot:
    group = nsg("nsg-app", *rules)
    return estate(nsgs=(group,), subnets=(subnet(nsg_id=group.id),), **fields)


# -- ASR201–ASR206 --------------------------------------------------------------------------------

OUTBOUND = [
    (outbound_storage, "Storage.EastUS"),
    (outbound_entra_id, "AzureActiveDirectory"),
    (outbound_site_recovery, "AzureSiteRecovery"),
    (outbound_event_hub, "EventHub.WestUS2"),
]
CODES = {
    "ASR201": outbound_storage,
    "ASR202": outbound_entra_id,
    "ASR203": outbound_site_recovery,
    "ASR204": outbound_event_hub,
    "ASR205": outbound_key_vault,
    "ASR206": outbound_automation,
    "ASR207": no_ip_allowlist,
    "ASR208": no_forced_tunnel,
    "ASR209": port_20004_nsg,
    "ASR210": cache_storage_reachable,
}


def test_each_module_defines_its_own_rule() -> None:
    for code, rule_ in CODES.items():
        assert rule_.code == code
        assert rule_.func.__module__.startswith(f"asr_preflight_rules.network.{code.lower()}_")
    # the outbound family shares its check but not its documentation
    assert len({CODES[f"ASR20{i}"].doc for i in range(1, 7)}) == 6


@pytest.mark.parametrize(("rule_", "tag"), OUTBOUND)
def test_outbound_family_fails_naming_the_deciding_rule(rule_: Rule, tag: str) -> None:
    result = one(rule_, with_subnet_nsg(DENY_INTERNET))
    assert result.outcome == "fail"
    assert result.message.startswith(f"vm-test-01: outbound TCP 443 to {tag} denied by")
    assert "nsg-app/DenyInternet (priority 200)" in result.message
    assert "priority number below 200" in result.hint


@pytest.mark.parametrize(("rule_", "tag"), OUTBOUND)
def test_outbound_family_passes_with_the_tag_allowed_first(rule_: Rule, tag: str) -> None:
    allow = rule("AllowAsr", 100, dst=(tag,), ports=("443",))
    result = one(rule_, with_subnet_nsg(allow, DENY_INTERNET))
    assert result.outcome == "pass", result.message
    assert "nsg-app/AllowAsr (priority 100)" in result.message


def test_outbound_passes_through_default_rules_and_without_nsg() -> None:
    assert one(outbound_storage, with_subnet_nsg()).outcome == "pass"
    result = one(outbound_storage, estate())
    assert result.outcome == "pass" and "no NSG" in result.message


def test_outbound_partial_block_counts_prefixes() -> None:
    tag = next(t for t in small_tags().tags if t.name == "Storage.EastUS")
    ipv4 = [p for p in tag.address_prefixes if ":" not in p]
    deny = rule("DenyTwo", 150, access="Deny", dst=tuple(ipv4[:2]))
    result = one(outbound_storage, with_subnet_nsg(deny))
    assert result.outcome == "fail"
    assert f"2 of {len(ipv4)} prefixes denied by nsg-app/DenyTwo (priority 150)" in result.message


def test_storage_uses_the_vms_own_region() -> None:
    # the cache account is in westus (ASR210 fails that); ASR201 checks Storage.EastUS, the VM's
    account = StorageAccount(CACHE_ID, "cachewus", "westus")
    target = {"region": "westus2", "vault": VAULT, "cache_storage_account": CACHE_ID}
    result = one(outbound_storage, estate(cache_storage=account), target=target)
    assert result.outcome == "pass" and "Storage.EastUS" in result.message
    west = make_vm("vm-west-01", location="westus")
    result = one(outbound_storage, estate([west]), target=target)
    assert result.outcome == "unknown"  # the small tag list has Storage.EastUS only
    assert "no Storage tag for region westus" in result.message


@pytest.mark.parametrize(("rule_", "_"), OUTBOUND)
def test_outbound_family_unknown_without_facts(rule_: Rule, _: str) -> None:
    error = FactError("service_tags", SUBSCRIPTION, "403 from serviceTags", "needs Reader")
    result = one(rule_, replace(estate(), service_tags=None, errors=(error,)))
    assert result.outcome == "unknown" and result.hint == "needs Reader"
    assert "403 from serviceTags" in result.message
    no_nic = one(rule_, estate(nics=()))
    assert no_nic.outcome == "unknown" and "vm-test-01-nic" in no_nic.message
    missing_nsg = one(rule_, estate(subnets=(subnet(nsg_id=nsg_id("nsg-gone")),)))
    assert missing_nsg.outcome == "unknown" and "nsg-gone" in missing_nsg.message


def test_unknown_service_tag_in_a_rule_is_unknown() -> None:
    result = one(outbound_storage, with_subnet_nsg(rule("AllowSql", 100, dst=("Sql.EastUS",))))
    assert result.outcome == "unknown" and "Sql.EastUS" in result.message


def test_key_vault_applies_to_ade_vms_only() -> None:
    deny = (DENY_INTERNET,)
    assert one(outbound_key_vault, with_subnet_nsg(*deny)).outcome == "skip"
    ade = make_vm(os_disk=Disk(name="os", ade_encrypted=True))
    result = one(outbound_key_vault, with_subnet_nsg(*deny, vms=[ade]))
    assert result.outcome == "fail" and "AzureKeyVault" in result.message
    allow = rule("AllowKv", 100, dst=("AzureKeyVault",), ports=("443",))
    assert one(outbound_key_vault, with_subnet_nsg(allow, *deny, vms=[ade])).outcome == "pass"


def test_key_vault_unknown_when_extensions_were_not_gathered() -> None:
    deny = (DENY_INTERNET,)
    unseen = make_vm(extensions=None)  # no disk reports ADE; the extension list is unknown
    result = one(outbound_key_vault, with_subnet_nsg(*deny, vms=[unseen]))
    assert result.outcome == "unknown" and "extensions of vm-test-01" in result.message
    # a disk reporting ADE is a definite yes, whatever the extensions
    ade_disk = make_vm(extensions=None, os_disk=Disk(name="os", ade_encrypted=True))
    assert one(outbound_key_vault, with_subnet_nsg(*deny, vms=[ade_disk])).outcome == "fail"
    ade_ext = make_vm(
        extensions=(Extension("ade", "Microsoft.Azure.Security", "AzureDiskEncryption"),)
    )
    assert one(outbound_key_vault, with_subnet_nsg(*deny, vms=[ade_ext])).outcome == "fail"


def test_automation_warns_only_with_auto_update() -> None:
    result = one(outbound_automation, with_subnet_nsg(DENY_INTERNET))
    assert result.outcome == "warn" and "GuestAndHybridManagement" in result.message
    off = one(outbound_automation, with_subnet_nsg(DENY_INTERNET), policy={"auto_update": False})
    assert off.outcome == "skip"
    assert one(outbound_automation, with_subnet_nsg()).outcome == "pass"


# -- ASR207 -----------------------------------------------------------------------------------------


def test_ip_allowlist_warns_for_rules_and_routes() -> None:
    tag = next(t for t in small_tags().tags if t.name == "AzureSiteRecovery")
    ips = rule("AllowAsrIps", 110, dst=tag.address_prefixes[:3], ports=("443",))
    result = one(no_ip_allowlist, with_subnet_nsg(ips, DENY_INTERNET))
    assert result.outcome == "warn"
    assert (
        "nsg-app/AllowAsrIps (priority 110) allows 3 IP prefixes of AzureSiteRecovery"
        in result.message
    )
    table = RouteTable(
        f"{nsg_id('x')}/../routeTables/rt-app", "rt-app",
        (Route("to-storage", tag.address_prefixes[0], "Internet"),),
    )  # fmt: skip
    routed = estate(subnets=(subnet(route_table_id=table.id),), route_tables=(table,))
    result = one(no_ip_allowlist, routed)
    assert result.outcome == "warn" and "route rt-app/to-storage" in result.message


def test_ip_allowlist_looks_at_key_vault_when_ade_use_is_unknown() -> None:
    tag = next(t for t in small_tags().tags if t.name == "AzureKeyVault")
    ips = rule("AllowKvIps", 110, dst=tag.address_prefixes[:2], ports=("443",))
    unseen = make_vm(extensions=None)
    result = one(no_ip_allowlist, with_subnet_nsg(ips, vms=[unseen]))
    assert result.outcome == "warn" and "AzureKeyVault" in result.message
    assert one(no_ip_allowlist, with_subnet_nsg(ips)).outcome == "pass"  # known: no ADE
    clean = one(no_ip_allowlist, with_subnet_nsg(vms=[unseen]))
    assert clean.outcome == "pass" and "ADE is unknown" in clean.message


def test_ip_allowlist_passes_for_tags_private_prefixes_and_any() -> None:
    fine = with_subnet_nsg(
        rule("AllowAsr", 100, dst=("AzureSiteRecovery",)),
        rule("AllowPrivate", 110, dst=("10.0.0.0/8",)),
        rule("AllowAll", 120, dst=("0.0.0.0/0",)),
    )
    assert one(no_ip_allowlist, fine).outcome == "pass"
    assert one(no_ip_allowlist, replace(fine, service_tags=None)).outcome == "unknown"


# -- ASR208 -----------------------------------------------------------------------------------------

RT_ID = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/net-rg/providers/Microsoft.Network/routeTables/rt-hub"


def test_forced_tunnel_warns_naming_the_route_table() -> None:
    table = RouteTable(
        RT_ID, "rt-hub", (Route("default-to-fw", "0.0.0.0/0", "VirtualAppliance", "10.0.0.4"),)
    )
    snap = estate(subnets=(subnet(route_table_id=RT_ID),), route_tables=(table,))
    result = one(no_forced_tunnel, snap)
    assert result.outcome == "warn"
    assert (
        "route table rt-hub" in result.message
        and "default-to-fw -> VirtualAppliance 10.0.0.4" in result.message
    )
    assert "Microsoft.Storage service endpoint" in result.hint


def test_forced_tunnel_warns_for_split_default_routes_and_asr_prefixes() -> None:
    split = RouteTable(RT_ID, "rt-hub", (Route("low", "0.0.0.0/1", "VirtualAppliance", "10.0.0.4"),
                                         Route("high", "128.0.0.0/1", "VirtualNetworkGateway")))  # fmt: skip
    snap = estate(subnets=(subnet(route_table_id=RT_ID),), route_tables=(split,))
    result = one(no_forced_tunnel, snap)
    assert result.outcome == "warn" and "forces 0.0.0.0/0 through" in result.message
    assert "low -> VirtualAppliance 10.0.0.4, high -> VirtualNetworkGateway" in result.message
    # half of the split alone covers some Storage.EastUS/Entra ID/... prefixes
    half = RouteTable(RT_ID, "rt-hub", split.routes[:1])
    snap = estate(subnets=(subnet(route_table_id=RT_ID),), route_tables=(half,))
    result = one(no_forced_tunnel, snap)
    assert result.outcome == "warn" and "AzureActiveDirectory" in result.message
    no_tags = one(no_forced_tunnel, replace(snap, service_tags=None))
    assert no_tags.outcome == "unknown"


def test_forced_tunnel_passes_and_unknown() -> None:
    assert one(no_forced_tunnel, estate()).outcome == "pass"
    benign = RouteTable(RT_ID, "rt-hub", (Route("onprem", "192.168.0.0/16", "VirtualNetworkGateway"),
                                          Route("default", "0.0.0.0/0", "Internet")))  # fmt: skip
    snap = estate(subnets=(subnet(route_table_id=RT_ID),), route_tables=(benign,))
    assert one(no_forced_tunnel, snap).outcome == "pass"
    missing = one(no_forced_tunnel, estate(subnets=(subnet(route_table_id=RT_ID),)))
    assert missing.outcome == "unknown" and "rt-hub" in missing.message


# -- ASR209 -----------------------------------------------------------------------------------------

GROUP = [{"name": "sap", "vms": ["vm-a", "vm-b"]}]


def pair_estate(*, a_rules=(), b_rules=(), lone: bool = False) -> Snapshot:
    a, b = make_vm("vm-a"), make_vm("vm-b")
    vms = [a, b, make_vm("vm-c")] if lone else [a, b]
    sub_a, sub_b = subnet("snet-a", "10.1.1.0/24"), subnet("snet-b", "10.1.2.0/24")
    nsg_a, nsg_b = nsg("nsg-a", *a_rules), nsg("nsg-b", *b_rules)
    nics = [nic_for(a, "10.1.1.4", sub_a, nsg_id=nsg_a.id), nic_for(b, "10.1.2.4", sub_b)]
    if lone:
        nics.append(nic_for(vms[2], "10.1.1.9", sub_a))
    return estate(
        vms, nsgs=(nsg_a, nsg_b), subnets=(sub_a, replace(sub_b, nsg_id=nsg_b.id)), nics=tuple(nics)
    )


def test_port_20004_pairs_pass_by_default_and_skip_outside_groups() -> None:
    results = evaluate_rule(port_20004_nsg, pair_estate(lone=True), make_plan(groups=GROUP))
    by_target = {r.target: r for r in results}
    assert by_target["vm-a -> vm-b"].outcome == "pass"
    assert by_target["vm-b -> vm-a"].outcome == "pass"
    assert "AllowVnetOutBound" in by_target["vm-a -> vm-b"].message
    [lone] = [r for r in results if r.vm == "vm-c"]
    assert lone.outcome == "skip"


def test_port_20004_denied_in_one_direction() -> None:
    deny_in = rule("DenyMvcIn", 300, direction="Inbound", access="Deny", ports=("20000-20010",))
    results = evaluate_rule(
        port_20004_nsg, pair_estate(b_rules=(deny_in,)), make_plan(groups=GROUP)
    )
    by_target = {r.target: r for r in results}
    failed = by_target["vm-a -> vm-b"]
    assert failed.outcome == "fail"
    assert (
        "vm-b: inbound TCP 20004 from 10.1.1.4 denied by nsg-b/DenyMvcIn (priority 300)"
        in failed.message
    )
    assert by_target["vm-b -> vm-a"].outcome == "pass"


def test_port_20004_outbound_deny_by_asg_and_unknown_peer() -> None:
    deny_out = rule("DenyMvcOut", 100, access="Deny", dst=("10.1.2.0/24",), ports=("20004",))
    results = evaluate_rule(
        port_20004_nsg, pair_estate(a_rules=(deny_out,)), make_plan(groups=GROUP)
    )
    assert {r.target: r.outcome for r in results} == {
        "vm-a -> vm-b": "fail",
        "vm-b -> vm-a": "pass",
    }
    snap = pair_estate()
    snap = replace(snap, network_interfaces=snap.network_interfaces[:1])
    results = evaluate_rule(port_20004_nsg, snap, make_plan(groups=GROUP))
    assert {r.outcome for r in results} == {"unknown"}


def test_port_20004_peers_sharing_a_private_ip_keep_their_own_asgs() -> None:
    # vm-b and vm-c have the same private IP in different VNets; only vm-b is in asg-db
    a, b, c = make_vm("vm-a"), make_vm("vm-b"), make_vm("vm-c")
    other = VirtualNetwork(
        id=VNET_OTHER, name="vnet-other", location="eastus", address_prefixes=("10.1.2.0/24",),
        peered_address_prefixes=("10.1.1.0/24",),
    )  # fmt: skip
    sub_a, sub_b = subnet("snet-a", "10.1.1.0/24"), subnet("snet-b", "10.1.2.0/24")
    sub_c = Subnet(f"{VNET_OTHER}/subnets/snet-c", "snet-c", VNET_OTHER, ("10.1.2.0/24",))
    deny = rule("DenyMvcToDb", 100, access="Deny", ports=("20004",),
                dst=(), destination_asg_ids=(asg_id("asg-db"),))  # fmt: skip
    nsg_a = nsg("nsg-a", deny)
    nics = (
        nic_for(a, "10.1.1.4", sub_a, nsg_id=nsg_a.id),
        nic_for(b, "10.1.2.4", sub_b, asgs=(asg_id("asg-db"),)),
        nic_for(c, "10.1.2.4", sub_c),
    )
    snap = estate([a, b, c], nsgs=(nsg_a,), subnets=(sub_a, sub_b, sub_c), nics=nics,
                  virtual_networks=(vnet(), other))  # fmt: skip
    plan = make_plan(groups=[{"name": "sap", "vms": ["vm-a", "vm-b", "vm-c"]}])
    outcomes = {r.target: r.outcome for r in evaluate_rule(port_20004_nsg, snap, plan)}
    assert outcomes["vm-a -> vm-b"] == "fail"
    assert outcomes["vm-a -> vm-c"] == "pass"


VNET_OTHER = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/net-rg/providers/Microsoft.Network/virtualNetworks/vnet-other"


# -- ASR210 -----------------------------------------------------------------------------------------

TARGET = {"region": "westus2", "vault": VAULT, "cache_storage_account": CACHE_ID}
GOOD = StorageAccount(
    CACHE_ID, "cacheeus", "eastus", blob_soft_delete_enabled=False, allow_shared_key_access=True,
    network_default_action="Allow", public_network_access="Enabled",
    private_endpoint_connections=(),
)  # fmt: skip
DENY = {"network_default_action": "Deny"}
ADMITTED = {
    **DENY,
    "network_bypass": ("Logging", "AzureServices"),
    "virtual_network_subnet_ids": (subnet_id("snet-app").upper(),),
}
PE_ID = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/prod-rg/providers/Microsoft.Network/privateEndpoints/pe-blob"
APPROVED = (PrivateEndpointConnection("c1", PE_ID, "Approved"),)


def blob_endpoint(subnet: str = subnet_id("snet-pe"), group: str = "blob") -> PrivateEndpoint:
    return PrivateEndpoint(PE_ID, "pe-blob", subnet_id=subnet, group_ids=(group,))


@pytest.mark.parametrize(
    ("changes", "outcome", "words"),
    [
        ({}, "pass", "all networks"),
        ({"location": "westus"}, "fail", "is in westus, not in eastus"),
        ({"blob_soft_delete_enabled": True}, "fail", "blob soft delete on"),
        ({"allow_shared_key_access": False}, "fail", "disallows shared key access"),
        (DENY, "fail", "trusted Azure services"),
        (
            {**DENY, "network_bypass": ("AzureServices",)},
            "fail",
            "does not admit subnet snet-app",
        ),
        ({**ADMITTED, "network_bypass": ()}, "fail", "trusted Azure services"),
        (ADMITTED, "fail", "no Microsoft.Storage service endpoint"),
        ({"public_network_access": "Disabled"}, "fail", "public network access Disabled"),
        ({"public_network_access": "SecuredByPerimeter"}, "unknown", "perimeter"),
        ({"public_network_access": None}, "unknown", "not gathered"),
        ({"blob_soft_delete_enabled": None}, "unknown", "not gathered"),
        ({**DENY, "private_endpoint_connections": None}, "unknown", "not gathered"),
    ],
)
def test_cache_storage(changes: dict, outcome: str, words: str) -> None:
    result = one(
        cache_storage_reachable,
        estate(cache_storage=replace(GOOD, **changes), private_endpoints=()),
        target=TARGET,
    )
    assert result.outcome == outcome, result.message
    assert words in result.message


def test_cache_storage_admits_the_vms_subnet_with_its_service_endpoint() -> None:
    sub = subnet(service_endpoints=("Microsoft.Storage",))
    snap = estate(cache_storage=replace(GOOD, **ADMITTED), subnets=(sub,), private_endpoints=())
    result = one(cache_storage_reachable, snap, target=TARGET)
    assert result.outcome == "pass" and "subnet snet-app allowed" in result.message
    other = replace(GOOD, **{**ADMITTED, "virtual_network_subnet_ids": (subnet_id("snet-db"),)})
    snap = estate(cache_storage=other, subnets=(sub,), private_endpoints=())
    result = one(cache_storage_reachable, snap, target=TARGET)
    assert result.outcome == "fail" and "same VNet is not enough" in result.message


@pytest.mark.parametrize(
    ("endpoint", "connections", "outcome"),
    [
        (blob_endpoint(), APPROVED, "pass"),  # in the VM's VNet
        (blob_endpoint(group="file"), APPROVED, "fail"),  # not a blob endpoint
        (blob_endpoint(), (PrivateEndpointConnection("c1", PE_ID, "Pending"),), "fail"),
        (
            blob_endpoint(VNET_OTHER + "/subnets/pe"),
            APPROVED,
            "fail",
        ),  # another VNet, not peered
        (None, APPROVED, "unknown"),  # the endpoint was not gathered
    ],
)
def test_cache_storage_private_endpoint(endpoint, connections, outcome) -> None:  # type: ignore[no-untyped-def]
    account = replace(
        GOOD, public_network_access="Disabled", private_endpoint_connections=connections
    )
    endpoints = (endpoint,) if endpoint is not None else ()
    snap = estate(cache_storage=account, private_endpoints=endpoints)
    result = one(cache_storage_reachable, snap, target=TARGET)
    assert result.outcome == outcome, result.message


def test_cache_storage_private_endpoint_in_a_peered_vnet() -> None:
    account = replace(GOOD, public_network_access="Disabled", private_endpoint_connections=APPROVED)
    peered = replace(vnet(), peered_vnet_ids=(VNET_OTHER,))
    snap = estate(
        cache_storage=account,
        private_endpoints=(blob_endpoint(VNET_OTHER + "/subnets/pe"),),
        virtual_networks=(peered,),
    )
    assert one(cache_storage_reachable, snap, target=TARGET).outcome == "pass"


def test_cache_storage_per_region() -> None:
    west = replace(GOOD, id=CACHE_ID + "w", name="cachewus", location="westus")
    per_region = {"region": "westus2", "cache_storage_accounts": {"eastus": CACHE_ID}}
    snap = estate(cache_storage_accounts=(GOOD, west), private_endpoints=())
    assert one(cache_storage_reachable, snap, target=per_region).outcome == "pass"
    # the plan names an account for westus only: the eastus VM has none
    only_west = {"region": "westus2", "cache_storage_accounts": {"westus": CACHE_ID + "w"}}
    result = one(cache_storage_reachable, snap, target=only_west)
    assert result.outcome == "fail" and "none for eastus" in result.message
    # no account at all: Site Recovery creates one
    result = one(cache_storage_reachable, estate())
    assert result.outcome == "pass" and "creates one" in result.message


def test_cache_storage_unknown() -> None:
    error = FactError(
        "cache_storage", CACHE_ID, "AuthorizationFailed", "grant Reader on the account"
    )
    result = one(cache_storage_reachable, estate(errors=(error,)), target=TARGET)
    assert result.outcome == "unknown" and result.hint == "grant Reader on the account"


def test_cache_storage_open_to_all_networks_needs_no_network_facts() -> None:
    # the VM's NIC was not gathered: an account open to all networks still admits it
    snap = estate(cache_storage=GOOD, nics=(), private_endpoints=None)
    assert one(cache_storage_reachable, snap, target=TARGET).outcome == "pass"
    denied = estate(cache_storage=replace(GOOD, **DENY), nics=(), private_endpoints=())
    assert one(cache_storage_reachable, denied, target=TARGET).outcome == "unknown"
