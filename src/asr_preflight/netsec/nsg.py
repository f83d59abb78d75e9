"""The NSG model: security rules compiled once per (NSG, virtual network), with the default rules,
ports, the special tags (``VirtualNetwork``, ``Internet``, ``AzureLoadBalancer``) and what the
evaluator cannot resolve (:class:`EvaluationGap`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from asr_preflight.netsec.addresses import (
    EVERYTHING,
    V4_ALL,
    AddressSet,
    parse_range,
)
from asr_preflight.netsec.tags import (
    TagIndex,
)
from asr_preflight.snapshot import (
    NetworkSecurityGroup,
    SecurityRule,
    VirtualNetwork,
)

Direction = Literal["Inbound", "Outbound"]

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


#: SecurityRuleProtocol (Microsoft.Network networkSecurityGroup.json), lower-cased; "any" as the
#: portal shows "*".
_PROTOCOLS = frozenset({"*", "any", "tcp", "udp", "icmp", "esp", "ah"})


class EvaluationGap(Exception):
    """The evaluator met something it cannot resolve (an unknown service tag, a malformed port):
    the verdict would be a guess, so the caller reports ``unknown`` instead."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


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
        if protocol not in _PROTOCOLS:  # an unknown protocol is never "matches nothing"
            raise EvaluationGap(
                f"rule {rule.name!r} has protocol {rule.protocol!r}, "
                "not one of Tcp, Udp, Icmp, Esp, Ah, *"
            )
        self.rule = rule
        self.hit = hit
        self.allow = rule.access.lower() == "allow"
        self.protocol: str | None = None if protocol in ("*", "any") else protocol
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
