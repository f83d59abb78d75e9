"""The NSG and route evaluator: Network Watcher's IP flow verify, offline, from configuration.

For one network interface (its IP, its application security groups, its NIC NSG, its subnet NSG
and its virtual network) and one flow (direction, protocol, the remote side, destination port,
optionally a source port) the evaluator answers allow or deny and names the deciding rule, the way
``ipFlowVerify`` does, without needing the VM to be running:

* inbound traffic meets the subnet NSG first, then the NIC NSG; outbound the NIC NSG first, then
  the subnet NSG; both must allow, and a missing NSG allows;
* inside one NSG the rules are taken in ascending priority and the first match decides; the
  default rules (``AllowVnetInBound`` 65000 … ``DenyAllOutBound`` 65500) come last;
* a rule matches on protocol (``*``/Tcp/Udp/Icmp), source and destination ports (``*``, single
  ports, ranges, lists), and addresses: ``*``, IPs and CIDRs (containment), application security
  groups, the special tags ``VirtualNetwork``, ``Internet`` and ``AzureLoadBalancer``, and service
  tags resolved from the collected service-tag list (``Storage`` includes ``Storage.EastUS``).

The remote side can be a whole set of addresses (a service tag): the flow is then allowed only
when every address of every prefix is allowed, and the verdict says how many of the tag's
prefixes are blocked and by which rules. Addresses live on one integer line (IPv4 at
``[0, 2**32)``, IPv6 above it) as merged ranges searched with bisect, so a tag is resolved once
and each rule costs a few bisections, never a scan of the tag list. Approximations are listed in
``docs/network.md``.
"""

from __future__ import annotations

import ipaddress
import socket
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Literal, NamedTuple

from asr_preflight.snapshot import (
    NetworkSecurityGroup,
    RouteTable,
    SecurityRule,
    ServiceTags,
    VirtualNetwork,
)

Direction = Literal["Inbound", "Outbound"]

V6_BASE = 1 << 32  # IPv6 address x lives at V6_BASE + x on the line
V4_ALL = (0, (1 << 32) - 1)
V6_ALL = (V6_BASE, V6_BASE + (1 << 128) - 1)
EPHEMERAL_PORTS = (1024, 65535)  # a connection's source port when none is given
AZURE_LOAD_BALANCER = ("168.63.129.16/32",)  # the AzureLoadBalancer tag (health probes)
#: Address space that is not "Internet": private, shared, loopback, link-local, multicast, reserved.
NOT_INTERNET_V4 = (
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "224.0.0.0/3",
)
PUBLIC_V6 = "2000::/3"


class EvaluationGap(Exception):
    """The evaluator met something it cannot resolve (an unknown service tag, a malformed port):
    the verdict would be a guess, so the caller reports ``unknown`` instead."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


# ---------------------------------------------------------------------------------------------
# Addresses
# ---------------------------------------------------------------------------------------------


def parse_range(text: str) -> tuple[int, int] | None:
    """An IP or CIDR as a range on the line, or None when ``text`` is not an address."""
    text = text.strip()
    if not text or not (text[0].isdigit() or ":" in text):
        return None
    if ":" not in text:  # IPv4 in C: ipaddress is ten times slower and tags hold thousands
        address, _, bits = text.partition("/")
        if address.count(".") != 3:
            return None
        try:
            value = int.from_bytes(socket.inet_aton(address), "big")
        except OSError:
            return None
        length = int(bits) if bits.isdigit() else (32 if not bits else -1)
        if not 0 <= length <= 32:
            return None
        size = 1 << (32 - length)
        lo = value & ~(size - 1)
        return lo, lo + size - 1
    try:
        net = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None
    lo, hi = int(net.network_address), int(net.broadcast_address)
    if net.version == 6:
        return lo + V6_BASE, hi + V6_BASE
    return lo, hi


def address_value(ip: str) -> int:
    """One IP address as a point on the line."""
    text = ip.strip()
    if ":" not in text and "/" not in text:
        found = parse_range(text)
        if found is not None:
            return found[0]
    addr = ipaddress.ip_address(text)
    return int(addr) + (V6_BASE if addr.version == 6 else 0)


def family_of(value: int) -> Literal[4, 6]:
    return 6 if value >= V6_BASE else 4


class AddressSet:
    """An immutable set of addresses: sorted, disjoint, merged inclusive ranges."""

    __slots__ = ("hi", "lo")

    def __init__(self, ranges: Iterable[tuple[int, int]] = (), *, _merged: bool = False) -> None:
        if _merged:
            pairs = list(ranges)
        else:
            pairs = []
            for lo, hi in sorted(ranges):
                if pairs and lo <= pairs[-1][1] + 1:
                    if hi > pairs[-1][1]:
                        pairs[-1] = (pairs[-1][0], hi)
                else:
                    pairs.append((lo, hi))
        self.lo: list[int] = [p[0] for p in pairs]
        self.hi: list[int] = [p[1] for p in pairs]

    @classmethod
    def of(cls, prefixes: Iterable[str]) -> AddressSet:
        ranges = []
        for prefix in prefixes:
            found = parse_range(prefix)
            if found is None:
                raise ValueError(f"{prefix!r} is not an IP address or CIDR prefix")
            ranges.append(found)
        return cls(ranges)

    def ranges(self) -> Iterator[tuple[int, int]]:
        return zip(self.lo, self.hi, strict=True)

    def __bool__(self) -> bool:
        return bool(self.lo)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AddressSet) and self.lo == other.lo and self.hi == other.hi

    def __hash__(self) -> int:
        return hash((tuple(self.lo), tuple(self.hi)))

    def __repr__(self) -> str:
        return f"AddressSet({list(self.ranges())!r})"

    def contains(self, value: int) -> bool:
        i = bisect_right(self.lo, value) - 1
        return i >= 0 and self.hi[i] >= value

    def covers(self, lo: int, hi: int) -> bool:
        i = bisect_right(self.lo, lo) - 1
        return i >= 0 and self.hi[i] >= hi

    def overlaps(self, lo: int, hi: int) -> bool:
        i = bisect_left(self.hi, lo)
        return i < len(self.lo) and self.lo[i] <= hi

    def union(self, other: AddressSet) -> AddressSet:
        if not other:
            return self
        if not self:
            return other
        return AddressSet([*self.ranges(), *other.ranges()])

    @classmethod
    def _raw(cls, lo: list[int], hi: list[int]) -> AddressSet:
        made = cls.__new__(cls)
        made.lo, made.hi = lo, hi
        return made

    def intersection(self, other: AddressSet) -> AddressSet:
        if not self.lo or not other.lo:
            return EMPTY
        small, large = (self, other) if len(self.lo) <= len(other.lo) else (other, self)
        b_lo, b_hi = large.lo, large.hi
        out_lo: list[int] = []
        out_hi: list[int] = []
        # walk the smaller set; copy the larger set's ranges inside each of its ranges by slicing
        for lo, hi in zip(small.lo, small.hi, strict=True):
            j0 = bisect_left(b_hi, lo)
            j1 = bisect_right(b_lo, hi)
            if j0 >= j1:
                continue
            start = len(out_lo)
            out_lo.extend(b_lo[j0:j1])
            out_hi.extend(b_hi[j0:j1])
            out_lo[start] = max(out_lo[start], lo)
            out_hi[-1] = min(out_hi[-1], hi)
        if out_lo == self.lo and out_hi == self.hi:
            return self  # nothing cut away: keep the identity (callers memoise on it)
        if out_lo == other.lo and out_hi == other.hi:
            return other
        return AddressSet._raw(out_lo, out_hi)

    def complement(self) -> AddressSet:
        """Everything on the line (IPv4 and IPv6) that is not in this set."""
        out_lo: list[int] = []
        out_hi: list[int] = []
        cur = 0
        for lo, hi in zip(self.lo, self.hi, strict=True):
            if lo > cur:
                out_lo.append(cur)
                out_hi.append(lo - 1)
            cur = hi + 1
        if cur <= V6_ALL[1]:
            out_lo.append(cur)
            out_hi.append(V6_ALL[1])
        return AddressSet._raw(out_lo, out_hi)

    def difference(self, other: AddressSet) -> AddressSet:
        if not self or not other:
            return self
        return self.intersection(other.complement())


EMPTY = AddressSet()
_V4 = AddressSet([V4_ALL])
_V6 = AddressSet([V6_ALL])
EVERYTHING = AddressSet([V4_ALL, V6_ALL])


# ---------------------------------------------------------------------------------------------
# Service tags
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResolvedTag:
    """A service tag resolved once: its merged set and its individual prefixes (for counting)."""

    name: str
    addresses: AddressSet
    prefixes: tuple[tuple[int, int], ...]  # as published, duplicates removed, sorted


class TagIndex:
    """The collected service tags, resolved lazily by name (case-insensitive) and cached.

    A tag includes its regional children: ``Storage`` resolves to the union of ``Storage`` and
    every ``Storage.<Region>`` in the list, so a subset of the published file still behaves.
    """

    def __init__(self, tags: ServiceTags | None) -> None:
        self.cloud = tags.cloud if tags else None
        self._members: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        self._names: dict[str, str] = {}
        self._regional: dict[tuple[str, str], str] = {}
        self._resolved: dict[str, ResolvedTag | None] = {}
        for tag in tags.tags if tags else ():
            key = tag.name.lower()
            self._names[key] = tag.name
            self._members.setdefault(key, []).append((tag.name, tag.address_prefixes))
            if "." in key:
                base = key.split(".", 1)[0]
                self._members.setdefault(base, []).append((tag.name, tag.address_prefixes))
                if tag.region:
                    self._regional[(base, tag.region.lower())] = tag.name

    def __contains__(self, name: str) -> bool:
        return name.lower() in self._members

    def regional(self, base: str, region: str) -> str | None:
        """The published name of ``base`` in ``region``: (Storage, eastus) -> Storage.EastUS."""
        return self._regional.get((base.lower(), region.lower()))

    def resolve(self, name: str) -> ResolvedTag | None:
        key = name.lower()
        if key in self._resolved:
            return self._resolved[key]
        members = self._members.get(key)
        found: ResolvedTag | None = None
        if members:
            ranges = sorted(
                {r for _, prefixes in members for p in prefixes if (r := parse_range(p))}
            )
            found = ResolvedTag(self._names.get(key, name), AddressSet(ranges), tuple(ranges))
        self._resolved[key] = found
        return found


# ---------------------------------------------------------------------------------------------
# Rules, compiled once per (NSG, virtual network)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleHit:
    """A rule that decided (part of) a flow."""

    nsg: str  # NSG name
    name: str
    priority: int | None
    access: Literal["Allow", "Deny"]
    default: bool = False

    def __str__(self) -> str:
        kind = "default rule, priority" if self.default else "priority"
        where = f" ({kind} {self.priority})" if self.priority is not None else ""
        return f"{self.nsg}/{self.name}{where}"


@dataclass(frozen=True, slots=True)
class _Side:
    addresses: AddressSet
    asgs: frozenset[str]
    unresolved: tuple[str, ...]


class _Rule:
    """A compiled rule. Its address sides are resolved on first use: most rules never match a
    given flow's direction, protocol and port, so most sides are never needed."""

    __slots__ = (
        "_dst",
        "_src",
        "allow",
        "dst_ports",
        "hit",
        "protocol",
        "rule",
        "scope",
        "src_ports",
        "tags",
    )

    def __init__(self, rule: SecurityRule, hit: RuleHit, scope: VnetScope, tags: TagIndex) -> None:
        protocol = rule.protocol.strip().lower()
        self.rule = rule
        self.hit = hit
        self.allow = rule.access.lower() == "allow"
        self.protocol: str | None = None if protocol in ("*", "any", "") else protocol
        self.src_ports = parse_ports(rule.source_port_ranges)
        self.dst_ports = parse_ports(rule.destination_port_ranges)
        self.scope = scope
        self.tags = tags
        self._src: _Side | None = None
        self._dst: _Side | None = None

    @property
    def src(self) -> _Side:
        if self._src is None:
            r = self.rule
            self._src = self.scope.side(r.source_address_prefixes, r.source_asg_ids, self.tags)
        return self._src

    @property
    def dst(self) -> _Side:
        if self._dst is None:
            r = self.rule
            self._dst = self.scope.side(
                r.destination_address_prefixes, r.destination_asg_ids, self.tags
            )
        return self._dst


DEFAULT_RULES: tuple[SecurityRule, ...] = (
    SecurityRule(
        "AllowVnetInBound", 65000, "Inbound", "Allow", "*", ("VirtualNetwork",),
        destination_address_prefixes=("VirtualNetwork",),
    ),
    SecurityRule(
        "AllowAzureLoadBalancerInBound", 65001, "Inbound", "Allow", "*", ("AzureLoadBalancer",),
        destination_address_prefixes=("*",),
    ),
    SecurityRule(
        "DenyAllInBound", 65500, "Inbound", "Deny", "*", ("*",), destination_address_prefixes=("*",)
    ),
    SecurityRule(
        "AllowVnetOutBound", 65000, "Outbound", "Allow", "*", ("VirtualNetwork",),
        destination_address_prefixes=("VirtualNetwork",),
    ),
    SecurityRule(
        "AllowInternetOutBound", 65001, "Outbound", "Allow", "*", ("*",),
        destination_address_prefixes=("Internet",),
    ),
    SecurityRule(
        "DenyAllOutBound", 65500, "Outbound", "Deny", "*", ("*",),
        destination_address_prefixes=("*",),
    ),
)  # fmt: skip


@lru_cache(maxsize=4096)
def parse_ports(values: tuple[str, ...]) -> tuple[tuple[int, int], ...] | None:
    """``("*",)`` -> None (any); ``("80", "1000-2000")`` -> ranges. Malformed -> EvaluationGap."""
    out: list[tuple[int, int]] = []
    for raw in values:
        text = raw.strip()
        if text in ("*", "", "Any", "any"):
            return None
        try:
            if "-" in text:
                a, b = text.split("-", 1)
                lo, hi = int(a), int(b)
            else:
                lo = hi = int(text)
        except ValueError:
            raise EvaluationGap(f"port range {raw!r} is not a port, a range or '*'") from None
        out.append((lo, hi))
    return tuple(sorted(out))


def _ports_match(ranges: tuple[tuple[int, int], ...] | None, port: int) -> bool:
    return ranges is None or any(lo <= port <= hi for lo, hi in ranges)


class VnetScope:
    """The address meaning of ``VirtualNetwork``/``Internet`` for one virtual network.

    ``VirtualNetwork`` is the VNet's address space plus the address spaces of its peerings
    (gateway-learned on-premises prefixes are not modelled); ``Internet`` is the public address
    space outside it.
    """

    def __init__(self, vnet: VirtualNetwork | None) -> None:
        self.id = vnet.id.lower() if vnet else ""
        prefixes = (*vnet.address_prefixes, *vnet.peered_address_prefixes) if vnet else ()
        self.virtual_network = AddressSet(r for p in prefixes if (r := parse_range(p)))
        public = AddressSet([V4_ALL]).difference(AddressSet.of(NOT_INTERNET_V4))
        public = public.union(AddressSet.of([PUBLIC_V6]))
        self.internet = public.difference(self.virtual_network)
        self.load_balancer = AddressSet.of(AZURE_LOAD_BALANCER)
        self._sides: dict[tuple[tuple[str, ...], tuple[str, ...]], _Side] = {}

    def side(self, prefixes: tuple[str, ...], asgs: tuple[str, ...], tags: TagIndex) -> _Side:
        """A rule's source or destination, resolved once per distinct text in this VNet."""
        key = (prefixes, asgs)
        found = self._sides.get(key)
        if found is None:
            found = self._sides[key] = _side(prefixes, asgs, self, tags)
        return found


class CompiledNsg:
    """One NSG's rules per direction, in evaluation order, with addresses resolved."""

    def __init__(self, nsg: NetworkSecurityGroup, scope: VnetScope, tags: TagIndex) -> None:
        self.id = nsg.id.lower()
        self.name = nsg.name
        defaults = nsg.default_rules or DEFAULT_RULES
        pairs = [(r, self._compile(r, scope, tags, False)) for r in nsg.rules]
        pairs += [(r, self._compile(r, scope, tags, True)) for r in defaults]
        self.inbound = self._ordered(c for r, c in pairs if _is_in(r))
        self.outbound = self._ordered(c for r, c in pairs if not _is_in(r))

    @staticmethod
    def _ordered(rules: Iterable[_Rule]) -> tuple[_Rule, ...]:
        # defaults (65000+) after custom rules of the same priority; Azure forbids duplicates
        return tuple(sorted(rules, key=lambda r: (r.hit.priority or 0, r.hit.default)))

    def _compile(
        self, rule: SecurityRule, scope: VnetScope, tags: TagIndex, default: bool
    ) -> _Rule:
        hit = RuleHit(self.name, rule.name, rule.priority, rule.access, default)
        return _Rule(rule, hit, scope, tags)

    def rules(self, direction: Direction) -> tuple[_Rule, ...]:
        return self.inbound if direction == "Inbound" else self.outbound


def _is_in(rule: SecurityRule) -> bool:
    return rule.direction.lower() == "inbound"


def _side(prefixes: Sequence[str], asgs: Sequence[str], scope: VnetScope, tags: TagIndex) -> _Side:
    ranges: list[tuple[int, int]] = []
    sets: list[AddressSet] = []
    unresolved: list[str] = []
    for prefix in prefixes:
        text = prefix.strip()
        key = text.lower()
        if key in ("*", "any"):
            sets.append(EVERYTHING)
        elif key == "virtualnetwork":
            sets.append(scope.virtual_network)
        elif key == "internet":
            sets.append(scope.internet)
        elif key == "azureloadbalancer":
            sets.append(scope.load_balancer)
        elif (found := parse_range(text)) is not None:
            ranges.append(found)
        elif (tag := tags.resolve(text)) is not None:
            sets.append(tag.addresses)
        else:
            unresolved.append(text)
    addresses = AddressSet(ranges)
    for extra in sets:
        addresses = addresses.union(extra)
    return _Side(addresses, frozenset(a.lower() for a in asgs), tuple(unresolved))


# ---------------------------------------------------------------------------------------------
# Flows and verdicts
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Interface:
    """A NIC as its NSGs see it: the address, ASG memberships, the two NSGs and the VNet."""

    name: str
    ip: str
    asg_ids: frozenset[str] = frozenset()
    nic_nsg: NetworkSecurityGroup | None = None
    subnet_nsg: NetworkSecurityGroup | None = None
    vnet: VirtualNetwork | None = None

    @cached_property
    def value(self) -> int:
        return address_value(self.ip)


@dataclass(frozen=True)
class Remote:
    """The other end of a flow: a service tag or prefix set, or one peer NIC (IP + its ASGs)."""

    label: str  # what messages call it: "Storage.EastUS", "10.1.0.5"
    addresses: AddressSet
    prefixes: tuple[tuple[int, int], ...]  # counted individually in verdicts
    asg_ids: frozenset[str] = frozenset()
    key: str | None = None  # a stable cache key (tag name); None = do not cache

    @classmethod
    def ip(cls, ip: str, asg_ids: Iterable[str] = ()) -> Remote:
        value = address_value(ip)
        return cls(
            ip,
            AddressSet([(value, value)]),
            ((value, value),),
            frozenset(a.lower() for a in asg_ids),
        )

    @classmethod
    def tag(cls, tag: ResolvedTag) -> Remote:
        return cls(tag.name, tag.addresses, tag.prefixes, key=f"tag:{tag.name.lower()}")


class Flow(NamedTuple):
    """What IP flow verify is asked (a named tuple: it keys the evaluator's memo tables)."""

    direction: Direction
    protocol: Literal["Tcp", "Udp", "Icmp"]
    port: int  # destination port (ignored for ICMP)
    source_port: int | None = None  # None = any ephemeral port: allowed only if all of them are

    def describe(self, remote: str) -> str:
        proto = self.protocol.upper()
        what = f"{proto} {self.port}" if self.protocol != "Icmp" else proto
        way = "to" if self.direction == "Outbound" else "from"
        return f"{self.direction.lower()} {what} {way} {remote}"


@dataclass(frozen=True)
class Verdict:
    """IP flow verify's answer for a flow to (or from) a set of prefixes."""

    flow: Flow
    remote: str
    allowed: bool
    total: int  # prefixes considered (of the local address's IP family)
    blocked: int  # prefixes not wholly allowed
    blocking: tuple[tuple[RuleHit, int], ...] = ()  # deny rules and the prefixes they block
    allowing: tuple[RuleHit, ...] = ()  # the rules that allowed, in the last NSG evaluated
    nsgs: tuple[str, ...] = ()  # NSG names evaluated, in order

    @property
    def deciding(self) -> RuleHit | None:
        """The rule Network Watcher would name: the main blocking rule, else the allowing one."""
        if self.blocking:
            return self.blocking[0][0]
        return self.allowing[0] if self.allowing else None

    def describe(self, subject: str) -> str:
        """One sentence: ``subject`` (the VM's name), the flow, the verdict and the rules."""
        return f"{subject}{self._sentence}"

    @cached_property
    def _sentence(self) -> str:  # shared by every VM that gets this (cached) verdict
        flow = self.flow.describe(self.remote)
        if self.allowed:
            if not self.nsgs:
                return f": {flow} allowed (no NSG on the NIC or its subnet)"
            rules = ", ".join(str(h) for h in self.allowing[:3])
            more = f" and {len(self.allowing) - 3} more" if len(self.allowing) > 3 else ""
            return f": {flow} allowed by {rules}{more}"
        if self.total == 1:
            return f": {flow} denied by {self.blocking[0][0] if self.blocking else '?'}"
        if len(self.blocking) == 1 and self.blocked == self.total:
            return f": {flow} denied by {self.blocking[0][0]} for all {self.total} prefixes"
        if len(self.blocking) == 1:
            return (
                f": {flow}: {self.blocked} of {self.total} prefixes denied by {self.blocking[0][0]}"
            )
        rules = ", ".join(f"{n} by {hit}" for hit, n in self.blocking)
        return f": {flow}: {self.blocked} of {self.total} prefixes denied: {rules}"


_Denied = tuple[tuple[AddressSet, RuleHit], ...]
#: one NSG pass: (input set, allowed output, denied pieces, allowing rules)
_Step = tuple[AddressSet, AddressSet, _Denied, tuple[RuleHit, ...]]


@dataclass
class _Pieces:
    allowed: AddressSet
    denied: list[tuple[AddressSet, RuleHit]] = field(default_factory=list)
    allowing: list[RuleHit] = field(default_factory=list)


class NetworkEvaluator:
    """Compiles NSGs once per (NSG, VNet) and answers flows with caching across interfaces.

    Build one per run (``ctx.cached("netsec", …)``) and ask :meth:`verify` for each flow.
    """

    def __init__(self, service_tags: ServiceTags | None) -> None:
        self.tags = TagIndex(service_tags)
        self._scopes: dict[str, VnetScope] = {}
        self._compiled: dict[tuple[str, str], CompiledNsg] = {}
        self._by_object: dict[
            tuple[int, int], tuple[NetworkSecurityGroup, VirtualNetwork | None, CompiledNsg]
        ] = {}
        self._counts: dict[tuple[int, ...], tuple[int, tuple[tuple[int, int], ...]]] = {}
        self._chains: dict[tuple[str, Flow, int], Verdict] = {}
        self._filtered: dict[tuple[object, ...], tuple[_Rule, ...]] = {}
        self._meets: dict[tuple[int, int], tuple[AddressSet, AddressSet, AddressSet]] = {}
        self._minus: dict[tuple[int, int], tuple[AddressSet, AddressSet, AddressSet]] = {}
        self._interned: dict[tuple[tuple[int, ...], tuple[int, ...]], AddressSet] = {}
        self._steps: dict[tuple[object, ...], _Step] = {}
        self._signatures: dict[tuple[object, ...], tuple[int, ...]] = {}
        self._setups: dict[
            tuple[int, Flow],
            tuple[Interface, int, list[CompiledNsg], tuple[tuple[str, tuple[int, ...]], ...], int],
        ] = {}
        self._shapes: dict[tuple[object, ...], int] = {}
        self._local_sides: dict[
            tuple[int, Flow], tuple[tuple[_Side, _Rule, tuple[int, ...]], ...]
        ] = {}

    # -- compilation -------------------------------------------------------------------------

    def scope(self, vnet: VirtualNetwork | None) -> VnetScope:
        key = vnet.id.lower() if vnet else ""
        found = self._scopes.get(key)
        if found is None:
            found = self._scopes[key] = VnetScope(vnet)
        return found

    def compiled(self, nsg: NetworkSecurityGroup, vnet: VirtualNetwork | None) -> CompiledNsg:
        fast = (id(nsg), id(vnet))  # the same fact objects come back for every VM of a subnet
        hit = self._by_object.get(fast)
        if hit is not None and hit[0] is nsg and hit[1] is vnet:
            return hit[2]
        key = (nsg.id.lower(), vnet.id.lower() if vnet else "")
        found = self._compiled.get(key)
        if found is None:
            found = self._compiled[key] = CompiledNsg(nsg, self.scope(vnet), self.tags)
        self._by_object[fast] = (nsg, vnet, found)
        return found

    # -- verification ------------------------------------------------------------------------

    def verify(self, nic: Interface, flow: Flow, remote: Remote) -> Verdict:
        """Allow/deny for ``flow`` between ``nic`` and ``remote``, with the deciding rules."""
        setup = self._setups.get((id(nic), flow))
        if setup is None or setup[0] is not nic:
            family, chain, signature = self._setup(nic, flow)
            # one small number per distinct (family, NSG chain, matching rules, VNet): the key
            # of the verdict cache, so that VMs placed alike share verdicts cheaply
            shape = (family, signature, self.scope(nic.vnet).id)
            number = self._shapes.setdefault(shape, len(self._shapes))
            setup = self._setups[(id(nic), flow)] = (nic, family, chain, signature, number)
        _, family, chain, signature, number = setup
        single = len(remote.prefixes) == 1 and remote.prefixes[0][0] == remote.prefixes[0][1]
        if single and family_of(remote.prefixes[0][0]) == family:
            return self._verify_one(chain, signature, flow, remote)
        key = None
        if remote.key is not None:
            key = (remote.key, flow, number)
            cached = self._chains.get(key)
            if cached is not None:
                return cached
        fam_all = _V4 if family == 4 else _V6
        pieces = _Pieces(self._canon(self._intersect(remote.addresses, fam_all)))
        for compiled, (_, rules) in zip(chain, signature, strict=True):
            pieces = self._through(compiled, rules, pieces, remote, flow)
        verdict = self._summarise(flow, remote, family, pieces, tuple(c.name for c in chain))
        if key is not None:
            self._chains[key] = verdict
        return verdict

    def _setup(
        self, nic: Interface, flow: Flow
    ) -> tuple[int, list[CompiledNsg], tuple[tuple[str, tuple[int, ...]], ...]]:
        """The NSGs a flow of ``nic`` meets, in order, and which of their rules apply to it."""
        local = nic.value
        order = (nic.nic_nsg, nic.subnet_nsg)
        if flow.direction == "Inbound":
            order = (nic.subnet_nsg, nic.nic_nsg)
        chain = [self.compiled(n, nic.vnet) for n in order if n is not None]
        signature = tuple((c.id, self._signature(c, flow, local, nic.asg_ids)) for c in chain)
        return family_of(local), chain, signature

    def _verify_one(
        self,
        chain: list[CompiledNsg],
        signature: tuple[tuple[str, tuple[int, ...]], ...],
        flow: Flow,
        remote: Remote,
    ) -> Verdict:
        """The flow to or from one address (a peer NIC): first match per NSG, no set algebra."""
        value = remote.prefixes[0][0]
        outbound = flow.direction == "Outbound"
        names = tuple(c.name for c in chain)
        allowing: tuple[RuleHit, ...] = ()
        for nsg, (_, indices) in zip(chain, signature, strict=True):
            candidates = self._candidates(nsg, flow)
            decided: RuleHit | None = None
            for i in indices:
                rule = candidates[i]
                side = rule.dst if outbound else rule.src
                if side.asgs and not side.asgs.isdisjoint(remote.asg_ids):
                    decided = rule.hit
                elif side.unresolved:
                    raise _unresolved(nsg, rule, side)
                elif side.addresses.contains(value):
                    decided = rule.hit
                if decided is not None:
                    break
            if decided is None:  # only possible with collected default rules that leave a gap
                decided = RuleHit(nsg.name, "(no rule matched)", None, "Deny")
            if decided.access != "Allow":
                return Verdict(flow, remote.label, False, 1, 1, ((decided, 1),), (), names)
            allowing = (decided,)
        return Verdict(flow, remote.label, True, 1, 0, (), allowing, names)

    def _intersect(self, remaining: AddressSet, addresses: AddressSet) -> AddressSet:
        """``remaining ∩ addresses``, memoised: a tag meets the same rule sets (other tags,
        ``Internet``) in NSG after NSG, and ``remaining`` is usually still the whole tag."""
        if addresses is EVERYTHING:
            return remaining
        key = (id(remaining), id(addresses))
        hit = self._meets.get(key)
        if hit is not None and hit[0] is remaining and hit[1] is addresses:
            return hit[2]
        result = self._canon(remaining.intersection(addresses))
        if len(self._meets) < 200_000:
            self._meets[key] = (remaining, addresses, result)  # keeps both alive: ids stay valid
        return result

    def _candidates(self, nsg: CompiledNsg, flow: Flow) -> tuple[_Rule, ...]:
        """The rules of ``nsg`` that match the flow's direction, protocol and ports."""
        key = (id(nsg), flow)
        found = self._filtered.get(key)
        if found is None:
            out = []
            proto = flow.protocol.lower()
            for rule in nsg.rules(flow.direction):
                if rule.protocol is not None and rule.protocol != proto:
                    continue
                if flow.protocol == "Icmp":
                    if rule.dst_ports is not None or rule.src_ports is not None:
                        continue
                else:
                    if not _ports_match(rule.dst_ports, flow.port):
                        continue
                    if flow.source_port is None:
                        if not _source_ports_ok(rule):
                            continue
                    elif not _ports_match(rule.src_ports, flow.source_port):
                        continue
                out.append(rule)
            found = self._filtered[key] = tuple(out)
        return found

    def _signature(
        self, nsg: CompiledNsg, flow: Flow, local: int, asgs: frozenset[str]
    ) -> tuple[int, ...]:
        """Indices of the candidate rules whose local side matches the interface (memoised: the
        flows to the six ASR tags share them)."""
        key = (id(nsg), flow, local, asgs)
        found = self._signatures.get(key)
        if found is None:
            found = self._signatures[key] = self._match_local(nsg, flow, local, asgs)
        return found

    def _match_local(
        self, nsg: CompiledNsg, flow: Flow, local: int, asgs: frozenset[str]
    ) -> tuple[int, ...]:
        # candidates share side objects ("*", the subnet's prefix…): test each distinct one once
        groups = self._local_sides.get((id(nsg), flow))
        if groups is None:
            outbound = flow.direction == "Outbound"
            by_side: dict[int, tuple[_Side, _Rule, list[int]]] = {}
            for i, rule in enumerate(self._candidates(nsg, flow)):
                side = rule.src if outbound else rule.dst
                by_side.setdefault(id(side), (side, rule, []))[2].append(i)
            groups = self._local_sides[(id(nsg), flow)] = tuple(
                (side, rule, tuple(ix)) for side, rule, ix in by_side.values()
            )
        out: list[int] = []
        for side, rule, indices in groups:
            if side.addresses.contains(local) or (side.asgs and not side.asgs.isdisjoint(asgs)):
                out.extend(indices)
            elif side.unresolved:
                raise _unresolved(nsg, rule, side)
        return tuple(sorted(out))

    def _subtract(self, remaining: AddressSet, claimed: AddressSet) -> AddressSet:
        """``remaining - claimed``, memoised on the (interned) operands like :meth:`_intersect`."""
        key = (id(remaining), id(claimed))
        hit = self._minus.get(key)
        if hit is not None and hit[0] is remaining and hit[1] is claimed:
            return hit[2]
        result = self._canon(remaining.difference(claimed))
        if len(self._minus) < 200_000:
            self._minus[key] = (remaining, claimed, result)
        return result

    def _canon(self, value: AddressSet) -> AddressSet:
        """One object per distinct set (interned by content), so that the memo tables keyed on
        identity hit whenever the same set comes back from another NSG or another VM."""
        if not value:
            return EMPTY
        key = (tuple(value.lo), tuple(value.hi))
        found = self._interned.get(key)
        if found is None:
            found = self._interned[key] = value
        return found

    def _through(
        self,
        nsg: CompiledNsg,
        indices: tuple[int, ...],
        pieces: _Pieces,
        remote: Remote,
        flow: Flow,
    ) -> _Pieces:
        """Pass the still-allowed addresses through one NSG: first matching rule per address."""
        key = (id(nsg), flow, indices, id(pieces.allowed), remote.asg_ids)
        step = self._steps.get(key)
        if step is None or step[0] is not pieces.allowed:
            step = (pieces.allowed, *self._step(nsg, indices, pieces.allowed, remote, flow))
            self._steps[key] = step
        _, allowed, denied, hits = step
        return _Pieces(allowed, [*pieces.denied, *denied], list(hits))

    def _step(
        self, nsg: CompiledNsg, indices: tuple[int, ...], remaining: AddressSet, remote: Remote,
        flow: Flow,
    ) -> tuple[AddressSet, _Denied, tuple[RuleHit, ...]]:  # fmt: skip
        candidates = self._candidates(nsg, flow)
        allowed: list[AddressSet] = []
        denied: list[tuple[AddressSet, RuleHit]] = []
        hits: list[RuleHit] = []
        outbound = flow.direction == "Outbound"
        for i in indices:
            if not remaining:
                break
            rule = candidates[i]
            side = rule.dst if outbound else rule.src
            if side.asgs and not side.asgs.isdisjoint(remote.asg_ids):
                claimed = remaining
            else:
                if side.unresolved:
                    raise _unresolved(nsg, rule, side)
                claimed = self._intersect(remaining, side.addresses)
            if not claimed:
                continue
            remaining = EMPTY if claimed is remaining else self._subtract(remaining, claimed)
            if rule.allow:
                allowed.append(claimed)
                hits.append(rule.hit)
            else:
                denied.append((claimed, rule.hit))
        if remaining:  # only possible with collected default rules that leave a gap
            denied.append((remaining, RuleHit(nsg.name, "(no rule matched)", None, "Deny")))
        result = EMPTY
        for part in allowed:
            result = result.union(part)
        return self._canon(result), tuple(denied), tuple(hits)

    def _summarise(
        self, flow: Flow, remote: Remote, family: int, pieces: _Pieces, nsgs: tuple[str, ...]
    ) -> Verdict:
        split = bisect_left(remote.prefixes, (V6_BASE, 0))  # prefixes are sorted: IPv4 first
        prefixes = remote.prefixes[:split] if family == 4 else remote.prefixes[split:]
        counts: dict[RuleHit, int] = {}
        blocked = 0
        hits = {hit for _, hit in pieces.denied}
        if not pieces.denied:
            pass  # every address reached an allow rule in each NSG
        elif not pieces.allowed and len(hits) == 1:
            blocked = len(prefixes)
            counts = {hits.pop(): blocked} if blocked else {}
        else:
            parts = tuple(part for part, _ in pieces.denied)
            key = (id(remote.prefixes), family, id(pieces.allowed), *map(id, parts))
            found = self._counts.get(key) if remote.key is not None else None
            if found is None:
                found = _count_blocked(prefixes, pieces.allowed, parts)
                if remote.key is not None:  # tags and interned sets live as long as the run
                    self._counts[key] = found
            blocked, per_part = found
            for index, n in per_part:
                hit = pieces.denied[index][1]
                counts[hit] = counts.get(hit, 0) + n
        blocking = tuple(
            sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].nsg, kv[0].priority or 0))
        )
        return Verdict(
            flow=flow,
            remote=remote.label,
            allowed=bool(prefixes) and blocked == 0,
            total=len(prefixes),
            blocked=blocked,
            blocking=blocking,
            allowing=tuple(dict.fromkeys(pieces.allowing)),
            nsgs=nsgs,
        )


def _count_blocked(
    prefixes: Sequence[tuple[int, int]], allowed: AddressSet, parts: Sequence[AddressSet]
) -> tuple[int, tuple[tuple[int, int], ...]]:
    """How many prefixes are not wholly allowed, and per denied part (by index) how many it
    blocks: a prefix is attributed to the part holding its lowest denied address."""
    denied = sorted((lo, hi, i) for i, part in enumerate(parts) for lo, hi in part.ranges())
    starts = [d[0] for d in denied]
    ends = [d[1] for d in denied]
    blocked = 0
    per_part: dict[int, int] = {}
    for lo, hi in prefixes:
        if allowed.covers(lo, hi):
            continue
        blocked += 1
        j = bisect_left(ends, lo)
        if j < len(starts) and starts[j] <= hi:
            per_part[denied[j][2]] = per_part.get(denied[j][2], 0) + 1
    return blocked, tuple(sorted(per_part.items()))


def _source_ports_ok(rule: _Rule) -> bool:
    """With no source port given (any ephemeral port): an allow rule must cover every ephemeral
    port to match; a deny rule matches if it covers any of them (conservative both ways)."""
    if rule.src_ports is None:
        return True
    lo, hi = EPHEMERAL_PORTS
    if rule.allow:
        covered = lo
        for a, b in rule.src_ports:
            if a <= covered <= b:
                covered = b + 1
        return covered > hi
    return any(a <= hi and b >= lo for a, b in rule.src_ports)


def _unresolved(nsg: CompiledNsg, rule: _Rule, side: _Side) -> EvaluationGap:
    names = ", ".join(side.unresolved)
    return EvaluationGap(
        f"{nsg.name}/{rule.hit.name} refers to {names}, which is not in the collected"
        " service-tag list",
        "collect the service tags of the NSG's region (`asr-preflight collect`),"
        " or check the tag name",
    )


# ---------------------------------------------------------------------------------------------
# Routes, and facts from the published service-tag file
# ---------------------------------------------------------------------------------------------


FORCED_TUNNEL_HOPS = ("virtualappliance", "virtualnetworkgateway")


def tunnel_hop_routes(table: RouteTable) -> tuple[tuple[str, tuple[int, int]], ...]:
    """(name, range) of the table's address-prefix routes whose next hop is an appliance or a
    gateway (routes to service tags are not ranges and are left out)."""
    out = []
    for route in table.routes:
        if route.next_hop_type.lower() in FORCED_TUNNEL_HOPS:
            found = parse_range(route.address_prefix)
            if found is not None:
                out.append((route.name, found))
    return tuple(out)


def forced_tunnel_routes(table: RouteTable) -> tuple[str, ...]:
    """Names of the appliance/gateway routes that together cover all of IPv4 (0.0.0.0/0) or all
    of IPv6 (::/0): a default route, or a split such as 0.0.0.0/1 + 128.0.0.0/1."""
    hops = tunnel_hop_routes(table)
    out: list[str] = []
    for lo, hi in (V4_ALL, V6_ALL):
        inside = [(name, r) for name, r in hops if lo <= r[0] and r[1] <= hi]
        default = [name for name, r in inside if r == (lo, hi)]
        if default:  # name the default route alone, not every route beside it
            out.extend(default)
        elif inside and AddressSet(r for _, r in inside).covers(lo, hi):
            out.extend(name for name, _ in inside)
    return tuple(out)


def service_tags_from_document(document: Mapping[str, object]) -> ServiceTags:
    """Facts from Microsoft's published service-tag JSON (the weekly download, or the body of
    ARM's ``serviceTags`` list): ``{"changeNumber", "cloud", "values": [{name, properties}]}``."""
    from asr_preflight.snapshot import ServiceTag

    values = document.get("values")
    tags = []
    for value in values if isinstance(values, list) else ():
        props = value.get("properties", {})
        tags.append(
            ServiceTag(
                name=str(value["name"]),
                region=str(props.get("region") or ""),
                system_service=str(props.get("systemService") or ""),
                address_prefixes=tuple(props.get("addressPrefixes") or ()),
            )
        )
    change = document.get("changeNumber")
    return ServiceTags(
        cloud=str(document.get("cloud") or ""),
        change_number=str(change) if change is not None else None,
        tags=tuple(tags),
    )
