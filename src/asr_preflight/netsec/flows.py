"""Flows and verdicts: a NIC as its NSGs see it (:class:`Interface`), the remote side
(:class:`Remote`), one :class:`Flow`, and the evaluator's answer (:class:`FlowVerdict`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Literal, NamedTuple

from asr_preflight.netsec.addresses import (
    AddressSet,
    address_value,
)
from asr_preflight.netsec.nsg import (
    Direction,
    RuleHit,
)
from asr_preflight.netsec.tags import (
    ResolvedTag,
)
from asr_preflight.snapshot import (
    NetworkSecurityGroup,
    VirtualNetwork,
)

EPHEMERAL_PORTS = (1024, 65535)  # a connection's source port when none is given


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
class FlowVerdict:
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
