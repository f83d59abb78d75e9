"""Hand-written cases for the NSG evaluator (IP flow verify semantics)."""

from __future__ import annotations

import pytest
from netsec_facts import asg_id, nsg, rule, toy_tags, vnet

from asr_preflight.netsec import (
    AddressSet,
    EvaluationGap,
    Flow,
    Interface,
    NetworkEvaluator,
    Remote,
    TagIndex,
)
from asr_preflight.snapshot import NetworkSecurityGroup

OUT443 = Flow("Outbound", "Tcp", 443)
VNET = vnet(("10.1.0.0/16",), peered=("10.9.0.0/16",))


def nic(
    nic_nsg: NetworkSecurityGroup | None = None,
    subnet_nsg: NetworkSecurityGroup | None = None,
    ip: str = "10.1.1.4",
    asgs: tuple[str, ...] = (),
) -> Interface:
    return Interface("nic-1", ip, frozenset(a.lower() for a in asgs), nic_nsg, subnet_nsg, VNET)


def check(interface: Interface, flow: Flow, remote: str | Remote):
    ev = NetworkEvaluator(toy_tags())
    if isinstance(remote, str):
        tag = ev.tags.resolve(remote)
        remote = Remote.tag(tag) if tag else Remote.ip(remote)
    return ev.verify(interface, flow, remote)


def decided(verdict) -> str:
    hit = verdict.deciding
    return f"{hit.nsg}/{hit.name}/{hit.priority}" if hit else "-"


EMPTY = nsg("nsg-empty")


@pytest.mark.parametrize(
    ("flow", "remote", "allowed", "rule_name"),
    [
        (Flow("Inbound", "Tcp", 22), "10.1.2.5", True, "AllowVnetInBound/65000"),
        (Flow("Inbound", "Tcp", 22), "10.9.3.3", True, "AllowVnetInBound/65000"),  # peering
        (Flow("Inbound", "Tcp", 80), "168.63.129.16", True, "AllowAzureLoadBalancerInBound/65001"),
        (Flow("Inbound", "Tcp", 22), "8.8.8.8", False, "DenyAllInBound/65500"),
        (Flow("Outbound", "Udp", 53), "10.1.2.5", True, "AllowVnetOutBound/65000"),
        (Flow("Outbound", "Tcp", 443), "8.8.8.8", True, "AllowInternetOutBound/65001"),
        (Flow("Outbound", "Tcp", 443), "192.168.5.5", False, "DenyAllOutBound/65500"),
        (Flow("Outbound", "Icmp", 0), "172.16.0.1", False, "DenyAllOutBound/65500"),
    ],
)
def test_default_rules(flow: Flow, remote: str, allowed: bool, rule_name: str) -> None:
    verdict = check(nic(EMPTY), flow, remote)
    assert verdict.allowed is allowed
    assert decided(verdict) == f"nsg-empty/{rule_name}"
    assert verdict.deciding is not None and verdict.deciding.default


def test_no_nsg_allows_everything() -> None:
    verdict = check(nic(), Flow("Inbound", "Tcp", 22), "8.8.8.8")
    assert verdict.allowed and verdict.nsgs == () and verdict.deciding is None
    assert "no NSG" in verdict.describe("vm")


def test_deny_before_allow_and_the_reverse() -> None:
    deny_first = nsg(
        "nsg-a",
        rule("DenyInternet", 200, access="Deny", dst=("Internet",)),
        rule("AllowStorage", 300, dst=("Storage",), ports=("443",)),
    )
    verdict = check(nic(deny_first), OUT443, "Storage.EastUS")
    assert not verdict.allowed and decided(verdict) == "nsg-a/DenyInternet/200"
    assert verdict.blocked == verdict.total == 2
    assert verdict.describe("vm-1") == (
        "vm-1: outbound TCP 443 to Storage.EastUS denied by nsg-a/DenyInternet (priority 200)"
        " for all 2 prefixes"
    )
    allow_first = nsg(
        "nsg-b",
        rule("AllowStorage", 100, dst=("Storage",), ports=("443",)),
        rule("DenyInternet", 200, access="Deny", dst=("Internet",)),
    )
    verdict = check(nic(allow_first), OUT443, "Storage.EastUS")
    assert verdict.allowed and decided(verdict) == "nsg-b/AllowStorage/100"


def test_equal_prefixes_lowest_priority_number_wins_regardless_of_order() -> None:
    rules = [
        rule("Deny", 310, access="Deny", dst=("20.0.0.0/24",)),
        rule("Allow", 300, dst=("20.0.0.0/24",)),
    ]
    for ordering in (rules, rules[::-1]):
        verdict = check(nic(nsg("nsg", *ordering)), OUT443, "20.0.0.7")
        assert verdict.allowed and decided(verdict) == "nsg/Allow/300"


@pytest.mark.parametrize(
    ("port", "allowed"), [(80, False), (443, False), (444, False), (446, True)]
)
def test_port_lists_and_ranges(port: int, allowed: bool) -> None:
    group = nsg("nsg", rule("DenyWeb", 100, access="Deny", ports=("80", "443-445")))
    assert check(nic(group), Flow("Outbound", "Tcp", port), "8.8.8.8").allowed is allowed


def test_protocols_any_versus_tcp() -> None:
    udp_only = nsg("nsg", rule("DenyUdp", 100, access="Deny", protocol="Udp"))
    assert check(nic(udp_only), OUT443, "8.8.8.8").allowed
    assert not check(nic(udp_only), Flow("Outbound", "Udp", 443), "8.8.8.8").allowed
    any_proto = nsg("nsg", rule("DenyAny", 100, access="Deny", protocol="*"))
    assert not check(nic(any_proto), OUT443, "8.8.8.8").allowed
    assert not check(nic(any_proto), Flow("Outbound", "Icmp", 0), "8.8.8.8").allowed
    port_rule = nsg("nsg", rule("DenyAny443", 100, access="Deny", protocol="*", ports=("443",)))
    assert check(nic(port_rule), Flow("Outbound", "Icmp", 0), "8.8.8.8").allowed  # ICMP has no port


def test_source_asg_applies_only_to_members() -> None:
    web = asg_id("asg-web")
    group = nsg(
        "nsg",
        rule("DenyWebOut", 100, access="Deny", src=(), source_asg_ids=(web,)),
    )
    assert not check(nic(group, asgs=(web,)), OUT443, "8.8.8.8").allowed
    assert check(nic(group, asgs=(asg_id("asg-db"),)), OUT443, "8.8.8.8").allowed


def test_destination_asg_matches_the_peer_nic() -> None:
    db = asg_id("asg-db")
    group = nsg(
        "nsg",
        rule("DenyToDb", 100, access="Deny", dst=(), destination_asg_ids=(db,), ports=("20004",)),
    )
    flow = Flow("Outbound", "Tcp", 20004)
    ev = NetworkEvaluator(toy_tags())
    assert not ev.verify(nic(group), flow, Remote.ip("10.1.2.5", [db])).allowed
    assert ev.verify(nic(group), flow, Remote.ip("10.1.2.6", [asg_id("asg-web")])).allowed


def test_nic_only_and_subnet_only_nsgs() -> None:
    deny = nsg("nsg-deny", rule("DenyAllTcp", 100, access="Deny"))
    assert decided(check(nic(nic_nsg=deny), OUT443, "8.8.8.8")) == "nsg-deny/DenyAllTcp/100"
    assert decided(check(nic(subnet_nsg=deny), OUT443, "8.8.8.8")) == "nsg-deny/DenyAllTcp/100"


def test_both_nsgs_must_allow_in_direction_order() -> None:
    allow = nsg("nsg-allow", rule("AllowIn", 100, direction="Inbound", ports=("22",)))
    deny = nsg("nsg-deny", rule("DenyIn", 100, direction="Inbound", access="Deny", ports=("22",)))
    flow = Flow("Inbound", "Tcp", 22)
    # inbound: subnet first, then NIC; both must allow
    verdict = check(nic(nic_nsg=deny, subnet_nsg=allow), flow, "8.8.8.8")
    assert not verdict.allowed and verdict.nsgs == ("nsg-allow", "nsg-deny")
    assert decided(verdict) == "nsg-deny/DenyIn/100"
    verdict = check(nic(nic_nsg=allow, subnet_nsg=deny), flow, "8.8.8.8")
    assert not verdict.allowed and verdict.nsgs == ("nsg-deny", "nsg-allow")
    allow_both = check(nic(nic_nsg=allow, subnet_nsg=allow), flow, "8.8.8.8")
    assert allow_both.allowed and decided(allow_both) == "nsg-allow/AllowIn/100"
    # outbound order: NIC first
    out = nsg("nsg-out", rule("DenyOut", 100, access="Deny"))
    assert check(nic(nic_nsg=out, subnet_nsg=EMPTY), OUT443, "8.8.8.8").nsgs == (
        "nsg-out",
        "nsg-empty",
    )


def test_regional_tag_is_part_of_its_parent() -> None:
    group = nsg(
        "nsg",
        rule("AllowStorage", 100, dst=("Storage",)),
        rule("DenyRest", 200, access="Deny"),
    )
    assert check(nic(group), OUT443, "Storage.EastUS").allowed
    index = TagIndex(toy_tags())
    assert index.regional("storage", "EastUS") == "Storage.EastUS"
    parent, child = index.resolve("Storage"), index.resolve("storage.eastus")
    assert parent and child and not child.addresses.difference(parent.addresses)


def test_tag_partially_blocked_counts_prefixes_and_rules() -> None:
    group = nsg(
        "nsg",
        rule("AllowOne", 100, dst=("20.0.0.0/24",)),
        rule("DenyHalf", 150, access="Deny", dst=("20.0.1.0/25",)),
        rule("DenyRest", 200, access="Deny"),
    )
    verdict = check(nic(group), OUT443, "Storage.EastUS")
    assert not verdict.allowed and (verdict.blocked, verdict.total) == (1, 2)
    assert [(h.name, n) for h, n in verdict.blocking] == [("DenyHalf", 1)]
    assert "1 of 2 prefixes denied by nsg/DenyHalf (priority 150)" in verdict.describe("vm")


def test_tag_blocked_by_two_rules_lists_both() -> None:
    group = nsg(
        "nsg",
        rule("DenyFirst", 100, access="Deny", dst=("20.0.0.128/25",)),
        rule("DenySecond", 110, access="Deny", dst=("20.0.1.0/24",)),
    )
    verdict = check(nic(group), OUT443, "Storage.EastUS")
    assert (verdict.blocked, verdict.total) == (2, 2)
    assert verdict.describe("vm") == (
        "vm: outbound TCP 443 to Storage.EastUS: 2 of 2 prefixes denied:"
        " 1 by nsg/DenyFirst (priority 100), 1 by nsg/DenySecond (priority 110)"
    )


def test_prefix_list_covering_a_tag_passes() -> None:
    group = nsg(
        "nsg",
        rule("AllowIps", 100, dst=("20.0.0.0/24", "20.0.1.0/25", "20.0.1.128/25")),
        rule("DenyRest", 200, access="Deny"),
    )
    assert check(nic(group), OUT443, "Storage.EastUS").allowed
    short = nsg(
        "nsg", rule("AllowIps", 100, dst=("20.0.0.0/24",)), rule("DenyRest", 200, access="Deny")
    )
    assert not check(nic(short), OUT443, "Storage.EastUS").allowed


def test_cidr_containment_for_local_side() -> None:
    group = nsg("nsg", rule("DenyFromSubnet", 100, access="Deny", src=("10.1.1.0/28",)))
    assert not check(nic(group, ip="10.1.1.14"), OUT443, "8.8.8.8").allowed
    assert check(nic(group, ip="10.1.1.16"), OUT443, "8.8.8.8").allowed


def test_unknown_tag_is_a_gap_not_a_guess() -> None:
    group = nsg("nsg", rule("AllowSql", 100, dst=("Sql.EastUS",)))
    with pytest.raises(EvaluationGap, match="Sql.EastUS"):
        check(nic(group), OUT443, "Storage.EastUS")
    # a rule that cannot match the flow's port never needs its tag
    other = nsg("nsg", rule("AllowSql", 100, dst=("Sql.EastUS",), ports=("1433",)))
    assert check(nic(other), OUT443, "Storage.EastUS").allowed


def test_source_port_semantics() -> None:
    only_high = nsg(
        "nsg",
        rule("AllowHighSrc", 100, source_port_ranges=("1024-65535",)),
        rule("DenyRest", 200, access="Deny"),
    )
    assert check(nic(only_high), OUT443, "8.8.8.8").allowed
    partial = nsg(
        "nsg",
        rule("AllowSomeSrc", 100, source_port_ranges=("30000-40000",)),
        rule("DenyRest", 200, access="Deny"),
    )
    assert not check(nic(partial), OUT443, "8.8.8.8").allowed
    assert check(nic(partial), Flow("Outbound", "Tcp", 443, source_port=35000), "8.8.8.8").allowed
    deny_some = nsg("nsg", rule("DenySomeSrc", 100, access="Deny", source_port_ranges=("50000",)))
    assert not check(nic(deny_some), OUT443, "8.8.8.8").allowed


def test_address_set_algebra() -> None:
    a = AddressSet([(0, 10), (20, 30)])
    b = AddressSet([(5, 25)])
    assert list(a.intersection(b).ranges()) == [(5, 10), (20, 25)]
    assert list(a.difference(b).ranges()) == [(0, 4), (26, 30)]
    assert list(a.union(b).ranges()) == [(0, 30)]
    assert a.covers(21, 29) and not a.covers(9, 21) and a.overlaps(9, 21) and not a.overlaps(11, 19)
    assert AddressSet([(0, 4), (5, 9)]) == AddressSet([(0, 9)])
