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
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from asr_preflight.snapshot import (
    NetworkInterface,
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
    addr = ipaddress.ip_address(ip.strip())
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

    def intersection(self, other: AddressSet) -> AddressSet:
        out: list[tuple[int, int]] = []
        a_lo, a_hi, b_lo, b_hi = self.lo, self.hi, other.lo, other.hi
        if not a_lo or not b_lo:
            return EMPTY
        if len(a_lo) > len(b_lo):  # walk the smaller, bisect into the larger
            a_lo, a_hi, b_lo, b_hi = b_lo, b_hi, a_lo, a_hi
        for lo, hi in zip(a_lo, a_hi, strict=True):
            j = bisect_left(b_hi, lo)
            while j < len(b_lo) and b_lo[j] <= hi:
                out.append((max(lo, b_lo[j]), min(hi, b_hi[j])))
                j += 1
        return AddressSet(out, _merged=True)

    def difference(self, other: AddressSet) -> AddressSet:
        if not self or not other:
            return self
        out: list[tuple[int, int]] = []
        b_lo, b_hi = other.lo, other.hi
        for lo, hi in self.ranges():
            j = bisect_left(b_hi, lo)
            cur = lo
            while j < len(b_lo) and b_lo[j] <= hi:
                if b_lo[j] > cur:
                    out.append((cur, b_lo[j] - 1))
                cur = max(cur, b_hi[j] + 1)
                j += 1
            if cur <= hi:
                out.append((cur, hi))
        return AddressSet(out, _merged=True)

    def family(self, version: Literal[4, 6]) -> AddressSet:
        return self.intersection(_V4 if version == 4 else _V6)


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


@dataclass(frozen=True, slots=True)
class _Rule:
    hit: RuleHit
    allow: bool
    protocol: str | None  # lower case; None = any
    src_ports: tuple[tuple[int, int], ...] | None  # None = any
    dst_ports: tuple[tuple[int, int], ...] | None
    src: _Side
    dst: _Side


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


def parse_ports(values: Sequence[str]) -> tuple[tuple[int, int], ...] | None:
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
        protocol = rule.protocol.strip().lower()
        return _Rule(
            hit=RuleHit(self.name, rule.name, rule.priority, rule.access, default),
            allow=rule.access.lower() == "allow",
            protocol=None if protocol in ("*", "any", "") else protocol,
            src_ports=parse_ports(rule.source_port_ranges),
            dst_ports=parse_ports(rule.destination_port_ranges),
            src=_side(rule.source_address_prefixes, rule.source_asg_ids, scope, tags),
            dst=_side(rule.destination_address_prefixes, rule.destination_asg_ids, scope, tags),
        )

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

    @classmethod
    def prefixes_of(cls, label: str, prefixes: Iterable[str]) -> Remote:
        ranges = tuple(sorted({r for p in prefixes if (r := parse_range(p)) is not None}))
        return cls(label, AddressSet(ranges), ranges)


@dataclass(frozen=True)
class Flow:
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
        flow = self.flow.describe(self.remote)
        if self.allowed:
            if not self.nsgs:
                return f"{subject}: {flow} allowed (no NSG on the NIC or its subnet)"
            rules = ", ".join(str(h) for h in self.allowing[:3])
            more = f" and {len(self.allowing) - 3} more" if len(self.allowing) > 3 else ""
            return f"{subject}: {flow} allowed by {rules}{more}"
        if self.total == 1:
            return f"{subject}: {flow} denied by {self.blocking[0][0] if self.blocking else '?'}"
        if len(self.blocking) == 1 and self.blocked == self.total:
            return (
                f"{subject}: {flow} denied by {self.blocking[0][0]} for all {self.total} prefixes"
            )
        rules = ", ".join(f"{n} by {hit}" for hit, n in self.blocking)
        return f"{subject}: {flow}: {self.blocked} of {self.total} prefixes denied: {rules}"


@dataclass
class _Pieces:
    allowed: AddressSet
    denied: list[tuple[int, int, RuleHit]] = field(default_factory=list)
    allowing: list[RuleHit] = field(default_factory=list)


class NetworkEvaluator:
    """Compiles NSGs once per (NSG, VNet) and answers flows with caching across interfaces.

    Build one per run (``ctx.cached("netsec", …)``) and ask :meth:`verify` for each flow.
    """

    def __init__(self, service_tags: ServiceTags | None) -> None:
        self.tags = TagIndex(service_tags)
        self._scopes: dict[str, VnetScope] = {}
        self._compiled: dict[tuple[str, str], CompiledNsg] = {}
        self._chains: dict[tuple[object, ...], Verdict] = {}
        self._filtered: dict[tuple[object, ...], tuple[_Rule, ...]] = {}

    # -- compilation -------------------------------------------------------------------------

    def scope(self, vnet: VirtualNetwork | None) -> VnetScope:
        key = vnet.id.lower() if vnet else ""
        found = self._scopes.get(key)
        if found is None:
            found = self._scopes[key] = VnetScope(vnet)
        return found

    def compiled(self, nsg: NetworkSecurityGroup, vnet: VirtualNetwork | None) -> CompiledNsg:
        key = (nsg.id.lower(), vnet.id.lower() if vnet else "")
        found = self._compiled.get(key)
        if found is None:
            found = self._compiled[key] = CompiledNsg(nsg, self.scope(vnet), self.tags)
        return found

    # -- verification ------------------------------------------------------------------------

    def verify(self, nic: Interface, flow: Flow, remote: Remote) -> Verdict:
        """Allow/deny for ``flow`` between ``nic`` and ``remote``, with the deciding rules."""
        local = nic.value
        family = family_of(local)
        fam_all = _V4 if family == 4 else _V6
        order = (nic.nic_nsg, nic.subnet_nsg)
        if flow.direction == "Inbound":
            order = (nic.subnet_nsg, nic.nic_nsg)
        chain = [self.compiled(n, nic.vnet) for n in order if n is not None]
        signature = tuple(
            (c.id, self._signature(c, flow, local, nic.asg_ids, remote)) for c in chain
        )
        key = None
        if remote.key is not None:
            key = (remote.key, flow, family, *signature, self.scope(nic.vnet).id)
            cached = self._chains.get(key)
            if cached is not None:
                return cached
        pieces = _Pieces(remote.addresses.intersection(fam_all))
        for compiled, (_, rules) in zip(chain, signature, strict=True):
            pieces = self._through(compiled, rules, pieces, remote, flow)
        verdict = self._summarise(flow, remote, family, pieces, tuple(c.name for c in chain))
        if key is not None:
            self._chains[key] = verdict
        return verdict

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
        self, nsg: CompiledNsg, flow: Flow, local: int, asgs: frozenset[str], remote: Remote
    ) -> tuple[int, ...]:
        """Indices of the candidate rules whose local side matches the interface."""
        out = []
        outbound = flow.direction == "Outbound"
        for i, rule in enumerate(self._candidates(nsg, flow)):
            side = rule.src if outbound else rule.dst
            if side.addresses.contains(local) or (side.asgs and not side.asgs.isdisjoint(asgs)):
                out.append(i)
            elif side.unresolved:
                raise _unresolved(nsg, rule, side)
        return tuple(out)

    def _through(
        self,
        nsg: CompiledNsg,
        indices: tuple[int, ...],
        pieces: _Pieces,
        remote: Remote,
        flow: Flow,
    ) -> _Pieces:
        candidates = self._candidates(nsg, flow)
        remaining = pieces.allowed
        allowed: list[AddressSet] = []
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
                claimed = remaining.intersection(side.addresses)
            if not claimed:
                continue
            remaining = remaining.difference(claimed) if claimed is not remaining else EMPTY
            if rule.allow:
                allowed.append(claimed)
                hits.append(rule.hit)
            else:
                pieces.denied.extend((lo, hi, rule.hit) for lo, hi in claimed.ranges())
        if remaining:  # only possible with collected default rules that leave a gap
            gap = RuleHit(nsg.name, "(no rule matched)", None, "Deny")
            pieces.denied.extend((lo, hi, gap) for lo, hi in remaining.ranges())
        result = EMPTY
        for part in allowed:
            result = result.union(part)
        return _Pieces(result, pieces.denied, hits)

    @staticmethod
    def _summarise(
        flow: Flow, remote: Remote, family: int, pieces: _Pieces, nsgs: tuple[str, ...]
    ) -> Verdict:
        prefixes = [p for p in remote.prefixes if family_of(p[0]) == family]
        denied = sorted(pieces.denied, key=lambda d: d[0])
        starts = [d[0] for d in denied]
        ends = [d[1] for d in denied]
        counts: dict[RuleHit, int] = {}
        blocked = 0
        for lo, hi in prefixes:
            if pieces.allowed.covers(lo, hi):
                continue
            blocked += 1
            j = bisect_left(ends, lo)
            hit = denied[j][2] if j < len(starts) and starts[j] <= hi else None
            if hit is not None:
                counts[hit] = counts.get(hit, 0) + 1
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
# Building interfaces from facts, and routes
# ---------------------------------------------------------------------------------------------


def interface_of(
    nic: NetworkInterface,
    nsgs: Mapping[str, NetworkSecurityGroup | None],
    vnet: VirtualNetwork | None,
    subnet_nsg_id: str | None,
) -> Interface | None:
    """The primary IP configuration of ``nic`` as an :class:`Interface` (None without an IP).

    ``nsgs`` maps lower-case NSG ids to the collected NSG.
    """
    ipc = nic.primary_ip_configuration
    if ipc is None or not ipc.private_ip:
        return None
    return Interface(
        name=nic.name,
        ip=ipc.private_ip,
        asg_ids=frozenset(a.lower() for a in ipc.asg_ids),
        nic_nsg=nsgs.get(nic.nsg_id.lower()) if nic.nsg_id else None,
        subnet_nsg=nsgs.get(subnet_nsg_id.lower()) if subnet_nsg_id else None,
        vnet=vnet,
    )


FORCED_TUNNEL_HOPS = ("virtualappliance", "virtualnetworkgateway")


def forced_tunnel_routes(table: RouteTable) -> tuple[str, ...]:
    """Names of the table's 0.0.0.0/0 routes whose next hop is an appliance or a gateway."""
    out = []
    for route in table.routes:
        prefix = route.address_prefix.strip()
        if prefix in ("0.0.0.0/0", "::/0") and route.next_hop_type.lower() in FORCED_TUNNEL_HOPS:
            out.append(route.name)
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
