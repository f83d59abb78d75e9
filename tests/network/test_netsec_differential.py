"""Differential test: the evaluator against a deliberately simple reference written here.

The reference knows nothing of address ranges or caches: it evaluates one concrete packet
(source IP, destination IP, ports, protocol) against each NSG by walking the rules in priority
order with ``ipaddress`` containment, and answers a service tag by enumerating every address of
every prefix. The universe is small (three /24s) so that enumeration stays cheap.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from asr_preflight.netsec import Flow, Interface, NetworkEvaluator, Remote
from asr_preflight.snapshot import (
    NetworkSecurityGroup,
    SecurityRule,
    ServiceTag,
    ServiceTags,
    VirtualNetwork,
)

VNET_PREFIX = "10.0.0.0/24"
VNET = VirtualNetwork(id="/vnet", name="vnet", address_prefixes=(VNET_PREFIX,))
TAGS = {
    "TagA": ("20.0.0.0/28", "20.0.0.32/29", "20.0.0.64/30"),
    "TagA.Region1": ("20.0.0.128/28", "20.0.0.160/30"),
    "TagB": ("192.168.0.0/29", "20.0.0.200/29"),
}
ASGS = ("asg-1", "asg-2")
PORTS = (22, 443, 20004)


# ---------------------------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------------------------


def cidr_in(base: str, offsets: st.SearchStrategy[int] | None = None) -> st.SearchStrategy[str]:
    net = ipaddress.ip_network(base)
    return st.builds(
        lambda offset, length: str(
            ipaddress.ip_network(f"{net.network_address + offset}/{length}", strict=False)
        ),
        st.integers(0, 255) if offsets is None else offsets,
        st.integers(26, 32),
    )


#: offsets inside and around the tag prefixes, so that rules often cut a prefix in part
NEAR_TAGS = st.one_of(
    st.sampled_from([0, 4, 8, 12, 16, 32, 36, 40, 64, 66, 128, 136, 160, 162, 200, 204]),
    st.integers(0, 255),
)


ADDRESS = st.one_of(
    st.sampled_from(["*", "VirtualNetwork", "Internet", "TagA", "TagA.Region1", "TagB"]),
    cidr_in("10.0.0.0/24"),
    cidr_in("20.0.0.0/24", NEAR_TAGS),
    cidr_in("192.168.0.0/24"),
)
PORT_TEXT = st.one_of(
    st.just("*"),
    st.sampled_from([str(p) for p in PORTS]),
    st.builds(
        lambda a, b: f"{min(a, b)}-{max(a, b)}", st.integers(1, 30000), st.integers(1, 30000)
    ),
)


SIDES = st.one_of(
    st.tuples(st.lists(ADDRESS, min_size=1, max_size=3).map(tuple), st.just(())),
    st.tuples(st.just(()), st.sampled_from([("asg-1",), ("asg-2",), ASGS])),
)
SOURCE_PORTS = st.one_of(st.just(("*",)), st.lists(PORT_TEXT, min_size=1, max_size=2).map(tuple))
ANY_SIDE = st.one_of(st.just((("*",), ())), SIDES)

#: destinations that cut the tags' prefixes in part, for the service-tag test
CUTTING = st.one_of(
    st.just((("*",), ())),
    st.tuples(
        st.lists(
            st.builds(
                lambda offset, length: f"20.0.0.{offset}/{length}",
                st.sampled_from([0, 4, 8, 32, 36, 64, 128, 136, 160, 200, 204]),
                st.integers(29, 32),
            ),
            min_size=1,
            max_size=3,
        ).map(tuple),
        st.just(()),
    ),
    SIDES,
)


def rule_parts(destinations: st.SearchStrategy[tuple[tuple[str, ...], tuple[str, ...]]]):
    return st.tuples(
        st.sampled_from(["Inbound", "Outbound"]),
        st.sampled_from(["Allow", "Deny"]),
        st.sampled_from(["*", "Tcp", "Udp"]),
        st.one_of(st.just((("*",), ())), SIDES),  # "*" often, so that rules apply often
        destinations,
        SOURCE_PORTS,
        st.one_of(st.just(("*",)), st.lists(PORT_TEXT, min_size=1, max_size=3).map(tuple)),
    )


def security_rules(prefix: str, destinations=None) -> st.SearchStrategy[tuple[SecurityRule, ...]]:
    def build(parts: list[tuple], priorities: list[int]) -> tuple[SecurityRule, ...]:
        return tuple(
            SecurityRule(
                name=f"{prefix}{i}",
                priority=priority,
                direction=direction,
                access=access,
                protocol=protocol,
                source_address_prefixes=src[0],
                source_asg_ids=src[1],
                destination_address_prefixes=dst[0],
                destination_asg_ids=dst[1],
                source_port_ranges=sports,
                destination_port_ranges=dports,
            )
            for i, ((direction, access, protocol, src, dst, sports, dports), priority) in enumerate(
                zip(parts, priorities, strict=False)
            )
        )

    return st.builds(
        build,
        st.lists(rule_parts(ANY_SIDE if destinations is None else destinations), max_size=7),
        st.lists(st.integers(100, 4096), min_size=7, max_size=7, unique=True),
    )


def maybe_nsg(name: str, destinations=None) -> st.SearchStrategy[NetworkSecurityGroup | None]:
    return st.one_of(
        st.none(),
        security_rules(name[-3:], destinations).map(
            lambda rules: NetworkSecurityGroup(id=f"/{name}", name=name, rules=rules)
        ),
    )


# ---------------------------------------------------------------------------------------------
# The reference
# ---------------------------------------------------------------------------------------------

REF_DEFAULTS = (
    ("AllowVnetInBound", 65000, "Inbound", "Allow", ("VirtualNetwork",), ("VirtualNetwork",)),
    ("AllowAzureLoadBalancerInBound", 65001, "Inbound", "Allow", ("AzureLoadBalancer",), ("*",)),
    ("DenyAllInBound", 65500, "Inbound", "Deny", ("*",), ("*",)),
    ("AllowVnetOutBound", 65000, "Outbound", "Allow", ("VirtualNetwork",), ("VirtualNetwork",)),
    ("AllowInternetOutBound", 65001, "Outbound", "Allow", ("*",), ("Internet",)),
    ("DenyAllOutBound", 65500, "Outbound", "Deny", ("*",), ("*",)),
)


@dataclass(frozen=True)
class Packet:
    direction: str
    protocol: str
    src: ipaddress.IPv4Address
    dst: ipaddress.IPv4Address
    sport: int
    dport: int
    src_asgs: frozenset[str]
    dst_asgs: frozenset[str]


@cache
def net(text: str) -> ipaddress.IPv4Network:
    return ipaddress.ip_network(text, strict=False)  # type: ignore[return-value]


def ref_in(address: ipaddress.IPv4Address, name: str) -> bool:
    if name == "*":
        return True
    if name == "VirtualNetwork":
        return address in net(VNET_PREFIX)
    if name == "Internet":
        return not address.is_private and address not in ipaddress.ip_network(VNET_PREFIX)
    if name == "AzureLoadBalancer":
        return str(address) == "168.63.129.16"
    if name in TAGS or any(t.startswith(name + ".") for t in TAGS):
        members = [t for t in TAGS if t == name or t.startswith(name + ".")]
        return any(address in net(p) for t in members for p in TAGS[t])
    return address in net(name)


def ref_port(port: int, texts: tuple[str, ...]) -> bool:
    for text in texts:
        if text == "*":
            return True
        low, _, high = text.partition("-")
        if int(low) <= port <= int(high or low):
            return True
    return False


def ref_side(address: ipaddress.IPv4Address, asgs: frozenset[str], prefixes, asg_ids) -> bool:
    return any(ref_in(address, p) for p in prefixes) or bool(asgs & set(asg_ids))


def ref_nsg(nsg: NetworkSecurityGroup, packet: Packet) -> tuple[str, str]:
    entries = [
        (r.priority, r.name, r.direction, r.access, r.protocol, r.source_address_prefixes,
         r.source_asg_ids, r.destination_address_prefixes, r.destination_asg_ids,
         r.source_port_ranges, r.destination_port_ranges)
        for r in nsg.rules
    ] + [
        (prio, name, d, acc, "*", src, (), dst, (), ("*",), ("*",))
        for name, prio, d, acc, src, dst in REF_DEFAULTS
    ]  # fmt: skip
    for entry in sorted(entries, key=lambda e: e[0]):
        _, name, direction, access, proto, src, src_asg, dst, dst_asg, sports, dports = entry
        if direction != packet.direction or proto not in ("*", packet.protocol):
            continue
        if not ref_port(packet.sport, sports) or not ref_port(packet.dport, dports):
            continue
        if not ref_side(packet.src, packet.src_asgs, src, src_asg):
            continue
        if not ref_side(packet.dst, packet.dst_asgs, dst, dst_asg):
            continue
        return access, name
    raise AssertionError("the default rules always match")


def ref_chain(nic_nsg, subnet_nsg, packet: Packet) -> tuple[bool, tuple[str, str] | None]:
    order = [nic_nsg, subnet_nsg] if packet.direction == "Outbound" else [subnet_nsg, nic_nsg]
    last = None
    for nsg in order:
        if nsg is None:
            continue
        access, name = ref_nsg(nsg, packet)
        if access == "Deny":
            return False, (nsg.name, name)
        last = (nsg.name, name)
    return True, last


# ---------------------------------------------------------------------------------------------
# The comparison
# ---------------------------------------------------------------------------------------------

LOCAL_IPS = st.sampled_from(["10.0.0.4", "10.0.0.77", "10.0.0.200"])
REMOTE_IPS = st.one_of(
    st.integers(0, 255).map(lambda i: f"10.0.0.{i}"),
    st.integers(0, 255).map(lambda i: f"20.0.0.{i}"),
    st.integers(0, 255).map(lambda i: f"192.168.0.{i}"),
    st.just("168.63.129.16"),
)
ASG_SETS = st.frozensets(st.sampled_from(ASGS), max_size=2)
EVALUATOR_TAGS = ServiceTags(
    cloud="Public", tags=tuple(ServiceTag(n, address_prefixes=p) for n, p in TAGS.items())
)


def packet_for(flow: Flow, local: str, local_asgs, remote: str, remote_asgs) -> Packet:
    here, there = ipaddress.ip_address(local), ipaddress.ip_address(remote)
    out = flow.direction == "Outbound"
    return Packet(
        flow.direction, flow.protocol, here if out else there, there if out else here,
        flow.source_port or 0, flow.port,
        local_asgs if out else remote_asgs, remote_asgs if out else local_asgs,
    )  # fmt: skip


FLOWS = st.builds(
    Flow,
    st.sampled_from(["Inbound", "Outbound"]),
    st.sampled_from(["Tcp", "Udp"]),
    st.sampled_from(PORTS),
    st.sampled_from([1024, 20000, 33000, 65535]),
)


@settings(max_examples=150, deadline=None)
@given(
    nic_nsg=maybe_nsg("nsg-nic"),
    subnet_nsg=maybe_nsg("nsg-sub"),
    local=LOCAL_IPS,
    local_asgs=ASG_SETS,
    remote=REMOTE_IPS,
    remote_asgs=ASG_SETS,
    flow=FLOWS,
)
def test_single_address_flows_match_the_reference(
    nic_nsg, subnet_nsg, local, local_asgs, remote, remote_asgs, flow
) -> None:
    interface = Interface("nic", local, local_asgs, nic_nsg, subnet_nsg, VNET)
    verdict = NetworkEvaluator(EVALUATOR_TAGS).verify(
        interface, flow, Remote.ip(remote, remote_asgs)
    )
    allowed, deciding = ref_chain(
        nic_nsg, subnet_nsg, packet_for(flow, local, local_asgs, remote, remote_asgs)
    )
    assert verdict.allowed == allowed
    got = verdict.deciding
    assert (None if got is None else (got.nsg, got.name)) == deciding


@settings(max_examples=150, deadline=None)
@given(
    nic_nsg=maybe_nsg("nsg-nic", CUTTING),
    subnet_nsg=maybe_nsg("nsg-sub", CUTTING),
    local=LOCAL_IPS,
    local_asgs=ASG_SETS,
    tag=st.sampled_from([*sorted(TAGS), "TagA"]),
    flow=FLOWS.filter(lambda f: f.direction == "Outbound"),
)
def test_service_tag_flows_match_the_reference(
    nic_nsg, subnet_nsg, local, local_asgs, tag, flow
) -> None:
    evaluator = NetworkEvaluator(EVALUATOR_TAGS)
    resolved = evaluator.tags.resolve(tag)
    assert resolved is not None
    interface = Interface("nic", local, local_asgs, nic_nsg, subnet_nsg, VNET)
    verdict = evaluator.verify(interface, flow, Remote.tag(resolved))
    # the reference: every address of every prefix of the tag (children included)
    prefixes = sorted(
        {p for name, ps in TAGS.items() if name == tag or name.startswith(tag + ".") for p in ps},
        key=lambda p: ipaddress.ip_network(p).network_address,
    )
    blocked: dict[tuple[str, str], int] = {}
    for prefix in prefixes:
        for address in ipaddress.ip_network(prefix):
            packet = packet_for(flow, local, local_asgs, str(address), frozenset())
            allowed, deciding = ref_chain(nic_nsg, subnet_nsg, packet)
            if not allowed:
                assert deciding is not None
                blocked[deciding] = blocked.get(deciding, 0) + 1
                break  # attributed to the rule that denies the prefix's lowest denied address
    assert verdict.total == len(prefixes)
    assert verdict.blocked == sum(blocked.values())
    assert verdict.allowed == (not blocked)
    assert {(h.nsg, h.name): n for h, n in verdict.blocking} == blocked
