"""The plugin contract, documented in one place: what a rule is, what it gets, what it returns.

A rule pack is a distribution that registers a sequence of :class:`Rule` objects under the entry
point group ``asr_preflight.rules``::

    [project.entry-points."asr_preflight.rules"]
    contoso = "contoso_asr_rules:RULES"

A rule is a pure function decorated with one of three decorators, which return a :class:`Rule`
and register nothing globally:

``@vm_rule``
    ``(ctx, vm) -> Finding``: called once per selected VM. The common case.
``@pair_rule``
    ``(ctx, group, source, peer) -> Finding``: called once per ordered pair of VMs in each
    multi-VM consistency group; VMs in no group get ``skip``.
``@estate_rule``
    ``(ctx) -> Iterable[Finding]``: for rules whose per-VM outcome depends on other VMs (quota).

Every (rule, target) pair gets exactly one outcome. The engine, not the rule, enforces that: a
VM a rule said nothing about is ``unknown``; a :class:`MissingFact` raised by a rule becomes
``unknown`` with the collector's hint; any other exception becomes ``unknown`` for the targets
it hid, and is reported.

The docstring of the rule function is its documentation, with the sections listed in
:data:`DOC_SECTIONS`; ``asr-preflight rules explain CODE`` and the HTML report render it.
Rules do no I/O: everything they know comes from the :class:`RuleContext`.

This module is the whole contract, versioned by :data:`API_VERSION` (semver): a name in
``__all__`` keeps its meaning within a major version; a minor version only adds. A pack states
the version it was written for with a module-level ``REQUIRES_API = "1.0"`` beside its rule
sequence, and the loader leaves out a pack whose major version differs or whose minor version is
newer than this one (docs/plugins.md). The fact types a rule reads are re-exported here, so a
pack imports from ``asr_preflight.api`` only (helpers shared by rule families are in
:mod:`asr_preflight_rules.kit`, covered by the same version).

Why over 500 lines: the contract is one module on purpose (pytest's ``hookspec.py``), and about
130 of its lines are the names it publishes, listed once to import and once in ``__all__``.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from asr_preflight.azure.ids import leaf
from asr_preflight.plan import Group, Plan
from asr_preflight.snapshot import (
    CollectionInfo,
    DenyAssignment,
    Disk,
    DiskEncryptionSet,
    Eligibility,
    EligibilityError,
    EndpointProbe,
    Extension,
    FactError,
    GuestDisk,
    GuestFacts,
    IdentityFacts,
    IpConfiguration,
    KeyVault,
    KeyVaultAccessPolicy,
    Listing,
    LoadBalancer,
    ManagementLock,
    NetworkInterface,
    NetworkMapping,
    NetworkSecurityGroup,
    Permission,
    PortProbe,
    PrivateDnsZone,
    PrivateEndpoint,
    PrivateEndpointConnection,
    ProxySetting,
    RegionCapacity,
    ResourceGroup,
    RoleAssignment,
    RoleDefinition,
    RootCertificate,
    Route,
    RouteTable,
    SecurityRule,
    ServiceState,
    ServiceTag,
    ServiceTags,
    SkuRestriction,
    Snapshot,
    StorageAccount,
    Subnet,
    TargetDisk,
    Usage,
    Vault,
    VirtualMachine,
    VirtualNetwork,
    VmSku,
)

_leaf = leaf

#: The version of this contract (semver). See the module docstring and docs/plugins.md.
API_VERSION = "1.0.0"

__all__ = [
    "API_VERSION",
    "CODE_PATTERN",
    "DOC_SECTIONS",
    "NAME_PATTERN",
    "OUTCOME_RANK",
    "RESERVED_PREFIXES",
    "Area",
    "CollectionInfo",
    "DenyAssignment",
    "Disk",
    "DiskEncryptionSet",
    "Eligibility",
    "EligibilityError",
    "EndpointProbe",
    "Extension",
    "FactError",
    "Finding",
    "Group",
    "GuestDisk",
    "GuestFacts",
    "IdentityFacts",
    "IpConfiguration",
    "KeyVault",
    "KeyVaultAccessPolicy",
    "Listing",
    "LoadBalancer",
    "ManagementLock",
    "MissingFact",
    "NetworkInterface",
    "NetworkMapping",
    "NetworkSecurityGroup",
    "Outcome",
    "Permission",
    "Plan",
    "PortProbe",
    "PrivateDnsZone",
    "PrivateEndpoint",
    "PrivateEndpointConnection",
    "ProxySetting",
    "RegionCapacity",
    "ResourceGroup",
    "RoleAssignment",
    "RoleDefinition",
    "RootCertificate",
    "Route",
    "RouteTable",
    "Rule",
    "RuleContext",
    "RuleKind",
    "SecurityRule",
    "ServiceState",
    "ServiceTag",
    "ServiceTags",
    "Severity",
    "SkuRestriction",
    "Snapshot",
    "StorageAccount",
    "Subnet",
    "TargetDisk",
    "Usage",
    "Vault",
    "VirtualMachine",
    "VirtualNetwork",
    "VmSku",
    "doc_sections",
    "estate_rule",
    "failed",
    "leaf",
    "pair_rule",
    "passed",
    "skipped",
    "unknown",
    "vm_rule",
    "warned",
]

#: Code prefixes only the built-in pack (distribution ``asr-preflight``) may use: a third-party
#: code must not start with any of them (``ASR``, and so ``ASRX…`` too).
RESERVED_PREFIXES = ("ASR",)

CODE_PATTERN = re.compile(r"^[A-Z]{2,6}\d{3}$")
NAME_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
DOC_SECTIONS = ("What it checks", "Why it matters", "How to fix", "References")


class Outcome(StrEnum):
    PASS = "pass"  # noqa: S105 - an outcome, not a password
    FAIL = "fail"
    WARN = "warn"
    UNKNOWN = "unknown"
    SKIP = "skip"
    WAIVED = "waived"


#: How bad each outcome is when two outcomes compete for one target (worst wins).
OUTCOME_RANK = {
    Outcome.SKIP: 0,
    Outcome.WAIVED: 0,
    Outcome.PASS: 1,
    Outcome.WARN: 2,
    Outcome.UNKNOWN: 3,
    Outcome.FAIL: 4,
}


class Severity(StrEnum):
    FAIL = "fail"
    WARN = "warn"


class Area(StrEnum):
    """The hundreds digit of a code; also the JUnit test suite a result lands in."""

    PLAN = "plan"
    CAPACITY = "capacity"
    NETWORK = "network"
    GUEST = "guest"
    IDENTITY = "identity"
    VM = "vm"

    @classmethod
    def of(cls, code: str) -> Area:
        digits = code.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        return _AREAS_BY_DIGIT.get(digits[:1], cls.VM)


_AREAS_BY_DIGIT = {
    "0": Area.PLAN,
    "1": Area.CAPACITY,
    "2": Area.NETWORK,
    "3": Area.GUEST,
    "4": Area.IDENTITY,
    "5": Area.VM,
}


@dataclass(frozen=True)
class Finding:
    """One outcome of a rule for one target, before the engine attaches the rule's metadata.

    ``target`` defaults to the VM's resource id; pair rules set ``"vm-a -> vm-b"`` and rules about
    shared resources set that resource's id or usage name.
    """

    vm: VirtualMachine
    outcome: Outcome
    message: str
    target: str | None = None
    hint: str = ""


def passed(vm: VirtualMachine, message: str, *, target: str | None = None) -> Finding:
    return Finding(vm, Outcome.PASS, message, target)


def failed(
    vm: VirtualMachine, message: str, *, target: str | None = None, hint: str = ""
) -> Finding:
    return Finding(vm, Outcome.FAIL, message, target, hint)


def warned(
    vm: VirtualMachine, message: str, *, target: str | None = None, hint: str = ""
) -> Finding:
    return Finding(vm, Outcome.WARN, message, target, hint)


def unknown(
    vm: VirtualMachine, message: str, *, target: str | None = None, hint: str = ""
) -> Finding:
    return Finding(vm, Outcome.UNKNOWN, message, target, hint)


def skipped(vm: VirtualMachine, reason: str, *, target: str | None = None) -> Finding:
    return Finding(vm, Outcome.SKIP, reason, target)


class MissingFact(Exception):
    """Raised by a rule (usually through a RuleContext accessor) when a fact it needs is absent.

    The engine turns it into ``unknown`` with ``message`` and ``hint``: a missing fact is never a
    pass.
    """

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class RuleKind(StrEnum):
    VM = "vm"
    PAIR = "pair"
    ESTATE = "estate"


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    kind: RuleKind
    func: Callable[..., Any] = field(repr=False, compare=False)
    doc: str = ""
    title: str = ""  # the docstring's first line
    distribution: str = ""  # filled in by the loader: the rule pack that provided it
    pack: str = ""  # filled in by the loader: its normalised distribution name (cache namespace)

    @property
    def area(self) -> Area:
        return Area.of(self.code)

    def section(self, heading: str) -> str:
        """The text of one documentation section (``"How to fix"``…), or ``""``."""
        return doc_sections(self.doc).get(heading, "")


def doc_sections(doc: str) -> dict[str, str]:
    sections: dict[str, str] = {}
    current: str | None = None
    lines: list[str] = []
    for line in doc.splitlines():
        if line.startswith("## "):
            if current is not None:
                sections[current] = "\n".join(lines).strip()
            current, lines = line[3:].strip(), []
        elif current is not None:
            lines.append(line)
    if current is not None:
        sections[current] = "\n".join(lines).strip()
    return sections


F = TypeVar("F", bound=Callable[..., Any])


def _make(code: str, name: str, severity: Severity | str, kind: RuleKind) -> Callable[[F], Rule]:
    def wrap(func: F) -> Rule:
        doc = inspect.cleandoc(func.__doc__ or "")
        title = doc.splitlines()[0].strip() if doc else ""
        return Rule(code, name, Severity(severity), kind, func, doc, title)

    return wrap


def vm_rule(*, code: str, name: str, severity: Severity | str) -> Callable[[F], Rule]:
    """A rule called once per selected VM: ``(ctx, vm) -> Finding``."""
    return _make(code, name, severity, RuleKind.VM)


def pair_rule(*, code: str, name: str, severity: Severity | str) -> Callable[[F], Rule]:
    """A rule called once per ordered pair in each group: ``(ctx, group, vm, peer) -> Finding``."""
    return _make(code, name, severity, RuleKind.PAIR)


def estate_rule(*, code: str, name: str, severity: Severity | str) -> Callable[[F], Rule]:
    """A rule called once for the whole estate: ``(ctx) -> Iterable[Finding]``."""
    return _make(code, name, severity, RuleKind.ESTATE)


T = TypeVar("T")


class RuleContext:
    """Everything a rule may know, with lookups that raise :class:`MissingFact` when a fact is
    absent (carrying the collector's cause and hint), and a per-run cache for the shared
    evaluators (size chooser, NSG evaluator, RBAC evaluator) so they are built once."""

    def __init__(self, snapshot: Snapshot, plan: Plan, pack: str = "") -> None:
        self.snapshot = snapshot
        self.plan = plan
        #: The normalised distribution name of the pack whose rule is running (``contoso-asr``);
        #: the engine sets it. It namespaces :meth:`cached` and selects :meth:`settings`.
        self.pack = pack
        self.vms: tuple[VirtualMachine, ...] = snapshot.vms
        self._by_id: dict[str, dict[str, Any]] = {}
        self._cache: dict[tuple[str, str], Any] = {}

    def for_pack(self, pack: str) -> RuleContext:
        """The same run's context as the rules of ``pack`` see it: the facts and lookups are
        shared, the :meth:`cached` values are the pack's own."""
        view = RuleContext.__new__(RuleContext)
        view.__dict__.update(self.__dict__)
        view.pack = pack
        return view

    # -- shared evaluators --------------------------------------------------------------------

    def cached(self, key: str, factory: Callable[[], T]) -> T:
        """Build a value once per run (an index, an evaluator) and share it across the rules of
        one pack. Keys are per pack: two packs using the same key never see each other's value."""
        slot = (self.pack, key)
        if slot not in self._cache:
            self._cache[slot] = factory()
        value: T = self._cache[slot]
        return value

    def settings(self) -> Mapping[str, Any]:
        """The plan's ``[plugins.<pack>]`` table for the running pack (``{}`` when absent): where a
        pack reads its own settings. Validating them is the pack's job (raise MissingFact, or
        return unknown, for a value it cannot use)."""
        return self.plan.plugins.settings(self.pack)

    # -- fact errors ----------------------------------------------------------------------------

    def error_for(self, kind: str, scope: str) -> FactError | None:
        """The collector's FactError that explains why ``kind`` facts for ``scope`` are missing."""
        # Indexed once per run by (kind, scope): a lookup visits the scope's '/' ancestors (the
        # only scopes that can cover it) instead of scanning every error for every VM. The
        # choice is the scan's: the longest scope as written, the first of equally long ones.
        index = self.cached("fact-errors", lambda: _errors_by_scope(self.snapshot.errors))
        mine = index.get(kind)
        if not mine:
            return None
        key = scope.lower().rstrip("/")
        best: tuple[int, int, FactError] | None = None
        while True:
            found = mine.get(key)
            if found is not None and (best is None or found[:2] > best[:2]):
                best = found
            if not key:
                return best[2] if best else None
            key = key[: max(key.rfind("/"), 0)]

    def missing(self, kind: str, scope: str, what: str) -> MissingFact:
        """A MissingFact for ``what``, with the collector's cause and hint when it recorded one."""
        err = self.error_for(kind, scope)
        if err is not None:
            return MissingFact(f"{what} could not be gathered: {err.cause}", err.hint)
        return MissingFact(
            f"{what} is not in the snapshot",
            "re-run `asr-preflight collect`; if it persists, report it as a bug",
        )

    # -- lookups ----------------------------------------------------------------------------------

    def _index(self, name: str, items: Iterable[Any]) -> dict[str, Any]:
        index = self._by_id.get(name)
        if index is None:
            index = {item.id.lower(): item for item in items}
            self._by_id[name] = index
        return index

    def vm_by_id(self, vm_id: str) -> VirtualMachine | None:
        found: VirtualMachine | None = self._index("vms", self.vms).get(vm_id.lower())
        return found

    def vm_named(self, name_or_id: str) -> VirtualMachine | None:
        if name_or_id.startswith("/"):
            return self.vm_by_id(name_or_id)
        names = self.cached("vms-by-name", lambda: _names(self.vms))
        return names.get(name_or_id.lower())

    def nic(self, nic_id: str) -> NetworkInterface:
        found = self._index("nics", self.snapshot.network_interfaces).get(nic_id.lower())
        if found is None:
            raise self.missing("network", nic_id, f"network interface {_leaf(nic_id)}")
        return found  # type: ignore[no-any-return]

    def primary_nic(self, vm: VirtualMachine) -> NetworkInterface:
        if vm.primary_nic_id is None:
            raise self.missing("vms", vm.id, f"{vm.name}'s network interfaces")
        return self.nic(vm.primary_nic_id)

    def nsg(self, nsg_id: str) -> NetworkSecurityGroup:
        found = self._index("nsgs", self.snapshot.network_security_groups).get(nsg_id.lower())
        if found is None:
            raise self.missing("network", nsg_id, f"network security group {_leaf(nsg_id)}")
        return found  # type: ignore[no-any-return]

    def subnet(self, subnet_id: str) -> Subnet:
        found = self._index("subnets", self.snapshot.subnets).get(subnet_id.lower())
        if found is None:
            raise self.missing("network", subnet_id, f"subnet {_leaf(subnet_id)}")
        return found  # type: ignore[no-any-return]

    def vnet(self, vnet_id: str) -> VirtualNetwork:
        found = self._index("vnets", self.snapshot.virtual_networks).get(vnet_id.lower())
        if found is None:
            raise self.missing("network", vnet_id, f"virtual network {_leaf(vnet_id)}")
        return found  # type: ignore[no-any-return]

    def route_table(self, route_table_id: str) -> RouteTable:
        found = self._index("routes", self.snapshot.route_tables).get(route_table_id.lower())
        if found is None:
            raise self.missing("network", route_table_id, f"route table {_leaf(route_table_id)}")
        return found  # type: ignore[no-any-return]

    def region(self, subscription_id: str, region: str) -> RegionCapacity:
        for cap in self.snapshot.regions:
            if cap.subscription_id.lower() == subscription_id.lower() and cap.region == region:
                return cap
        raise self.missing("skus", f"{subscription_id}/{region}", f"capacity of {region}")

    def target_subscription(self, vm: VirtualMachine) -> str:
        return self.plan.target.subscription or vm.subscription_id

    def guest(self, vm: VirtualMachine) -> GuestFacts:
        index = self.cached("guests-by-vm", lambda: _by_vm(self.snapshot.guests))
        found: GuestFacts | None = index.get(vm.id.lower())
        if found is None:
            raise self.missing("guest", vm.id, f"in-guest facts of {vm.name}")
        return found

    def eligibility(self, vm: VirtualMachine) -> Eligibility:
        index = self.cached("eligibility-by-vm", lambda: _by_vm(self.snapshot.eligibility))
        found: Eligibility | None = index.get(vm.id.lower())
        if found is None:
            raise self.missing("eligibility", vm.id, f"ASR eligibility result of {vm.name}")
        return found

    # -- groups -------------------------------------------------------------------------------

    def groups(self) -> tuple[tuple[Group, tuple[VirtualMachine, ...]], ...]:
        """Each plan group with the selected VMs it names (names or ids, case-insensitive)."""

        def resolve() -> tuple[tuple[Group, tuple[VirtualMachine, ...]], ...]:
            return tuple(
                (group, tuple(vm for ref in group.vms if (vm := self.vm_named(ref)) is not None))
                for group in self.plan.groups
            )

        return self.cached("groups", resolve)

    def group_of(self, vm: VirtualMachine) -> Group | None:
        for group, members in self.groups():
            if any(member.id == vm.id for member in members):
                return group
        return None


def _errors_by_scope(
    errors: Iterable[FactError],
) -> dict[str, dict[str, tuple[int, int, FactError]]]:
    """kind -> normalised scope -> (length as written, -position, error) of the error a scan
    would prefer among those with that scope: the longest as written, then the first."""
    index: dict[str, dict[str, tuple[int, int, FactError]]] = {}
    for position, err in enumerate(errors):
        scopes = index.setdefault(str(err.kind), {})
        key = err.scope.lower().rstrip("/")
        entry = (len(err.scope), -position, err)
        kept = scopes.get(key)
        if kept is None or entry[:2] > kept[:2]:
            scopes[key] = entry
    return index


def _names(vms: Iterable[VirtualMachine]) -> Mapping[str, VirtualMachine]:
    return {vm.name.lower(): vm for vm in vms}


def _by_vm(items: Iterable[Any]) -> dict[str, Any]:
    return {item.vm_id.lower(): item for item in items}
