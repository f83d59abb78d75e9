"""Quota: per (target subscription, target region), what the failover VMs need of each usage
(vCPUs per family and in total, VM count, network resources) against what is free, and the
run's :class:`CapacityPlan` (:func:`build_capacity_plan`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from asr_preflight.plan import Plan
from asr_preflight.sizing.chooser import (
    Choice,
    KnownSizes,
    SizeChoice,
    choose_size,
)
from asr_preflight.sizing.pool import (
    RegionSkus,
    SpecCache,
)
from asr_preflight.snapshot import (
    NetworkInterface,
    RegionCapacity,
    Snapshot,
    Usage,
    VirtualMachine,
)

CORES = "cores"
VIRTUAL_MACHINES = "virtualMachines"
NETWORK_INTERFACES = "NetworkInterfaces"
PUBLIC_IP_ADDRESSES = "PublicIPAddresses"
VIRTUAL_NETWORKS = "VirtualNetworks"
NETWORK_USAGES = (NETWORK_INTERFACES, PUBLIC_IP_ADDRESSES, VIRTUAL_NETWORKS)


@dataclass
class Need:
    """What the failover needs of one usage in one scope, and what the usage has free."""

    name: str  # the usage name: standardDSv3Family, cores, virtualMachines, NetworkInterfaces…
    usage: Usage | None  # None = the usage list has no such entry (or was not gathered)
    need: int = 0  # known demand
    vms: int = 0  # VMs that charge it
    uncertain: int = 0  # VMs whose demand is unknown (``need`` is then a lower bound)
    missing: list[str] = field(default_factory=list)  # their names, for the message
    where: str = ""  # " in westus2 (subscription …)"

    # The properties below are read by the rules once the plan is built, and cached:
    # thousands of VMs share one need.
    @cached_property
    def text(self) -> str:
        return self.describe(self.where)

    @cached_property
    def brief(self) -> str:
        return self.describe()

    @property
    def label(self) -> str:
        if self.usage is not None and self.usage.localized_name:
            return self.usage.localized_name
        return f"{self.name} vCPUs" if self.name.lower().endswith("family") else self.name

    @property
    def free(self) -> int | None:
        return None if self.usage is None else self.usage.limit - self.usage.current_value

    @cached_property
    def short(self) -> int:
        """How much is missing (0 when it fits or the usage is unknown)."""
        free = self.free
        return 0 if free is None else max(0, self.need - free)

    @cached_property
    def state(self) -> str:
        """``fail`` (too little even for the known demand), ``unknown``, or ``pass``."""
        if self.usage is None:
            return "unknown"
        if self.short > 0:
            return "fail"
        return "unknown" if self.uncertain else "pass"

    def describe(self, where: str = "") -> str:
        """``needs 48 Standard DSv3 Family vCPUs for 3 VMs{where}; 20 of 100 free``."""
        usage = self.usage
        at_least = "at least " if self.uncertain else ""
        vms = f" for {self.vms} VM{'s' if self.vms != 1 else ''}" if self.vms else ""
        amount = (
            f"{at_least}{self.need}" if self.need or not self.uncertain else "an unknown number of"
        )
        text = f"needs {amount} {self.label}{vms}{where}"
        if usage is None:
            return f"{text}; the usage {self.name} was not reported"
        text += f"; {max(0, usage.limit - usage.current_value)} of {usage.limit} free"
        if self.short:
            text += f" (short by {self.short})"
        return text

    def charge(self, amount: int | None, vm: VirtualMachine, *, counts: bool = True) -> None:
        if counts:
            self.vms += 1
        if amount is None:
            self.uncertain += 1
            self.missing.append(vm.name)
        else:
            self.need += amount


@dataclass
class ScopeCapacity:
    """The quota picture of one (target subscription, target region)."""

    subscription: str
    region: str
    capacity: RegionCapacity | None
    families: dict[str, Need] = field(default_factory=dict)  # lower-case family -> need
    unresolved: list[str] = field(default_factory=list)  # VMs whose family is unknown
    cores: Need = field(init=False)
    vm_count: Need = field(init=False)
    network: dict[str, Need] = field(init=False)  # NETWORK_USAGES name -> need

    def __post_init__(self) -> None:
        cap = self.capacity
        self._compute = _usages(cap.compute_usages if cap else None)
        network = _usages(cap.network_usages if cap else None)
        self.cores = Need(CORES, self._compute.get(CORES.lower()), where=self.where)
        self.vm_count = Need(
            VIRTUAL_MACHINES, self._compute.get(VIRTUAL_MACHINES.lower()), where=self.where
        )
        self.network = {name: Need(name, network.get(name.lower())) for name in NETWORK_USAGES}

    def family(self, name: str) -> Need:
        """The need of one VM-family usage (created on first charge)."""
        key = name.lower()
        need = self.families.get(key)
        if need is None:
            need = self.families[key] = Need(name, self._compute.get(key), where=self.where)
        return need

    @property
    def scope(self) -> str:
        return f"{self.subscription}/{self.region}"

    @property
    def where(self) -> str:
        return f" in {self.region} (subscription {self.subscription})"

    def usage_id(self, name: str, provider: str = "Microsoft.Compute") -> str:
        where = f"/subscriptions/{self.subscription}/providers/{provider}/locations/{self.region}"
        return f"{where}/usages/{name}"


def _usages(items: Iterable[Usage] | None) -> dict[str, Usage]:
    return {u.name.lower(): u for u in items or ()}


@dataclass(frozen=True)
class NetworkDemand:
    """The network resources one VM's failover creates: None = could not tell."""

    nics: int | None
    public_ips: int | None
    vnets: frozenset[str] | None


def network_demand(vm: VirtualMachine, nics: Mapping[str, NetworkInterface]) -> NetworkDemand:
    """NICs, public IPs and source VNets of a VM (each source VNet may get a target VNet)."""
    if not vm.nic_ids:
        return NetworkDemand(None, None, None)
    public = 0
    vnets: set[str] = set()
    for nic_id in vm.nic_ids:
        nic = nics.get(nic_id.lower())
        if nic is None:
            return NetworkDemand(len(vm.nic_ids), None, None)
        for ipc in nic.ip_configurations:
            if ipc.public_ip_id or ipc.public_ip:
                public += 1
            if ipc.subnet_id and "/subnets/" in ipc.subnet_id.lower():
                cut = ipc.subnet_id.lower().index("/subnets/")
                vnets.add(ipc.subnet_id[:cut].lower())
    return NetworkDemand(len(vm.nic_ids), public, frozenset(vnets))


@dataclass
class CapacityPlan:
    """The whole estate's answer: a size per VM and the quota picture per target scope."""

    choices: dict[str, SizeChoice]  # by VM id
    scopes: dict[tuple[str, str], ScopeCapacity]  # by (lower subscription, region)
    network: dict[str, NetworkDemand]  # by VM id

    def choice(self, vm: VirtualMachine) -> SizeChoice:
        return self.choices[vm.id]

    def scope_of(self, vm: VirtualMachine) -> ScopeCapacity:
        choice = self.choices[vm.id]
        return self.scopes[(choice.subscription.lower(), choice.region)]


def _find_capacity(snapshot: Snapshot) -> dict[tuple[str, str], RegionCapacity]:
    found: dict[tuple[str, str], RegionCapacity] = {}
    for cap in snapshot.regions:
        found.setdefault((cap.subscription_id.lower(), cap.region.lower()), cap)
    return found


def build_capacity_plan(snapshot: Snapshot, plan: Plan) -> CapacityPlan:
    """Choose every VM's target size and charge the target quotas (see the module docstring)."""
    region = plan.target.region
    zone = plan.target.zone
    pinned = {name.lower(): size for name, size in plan.target.sizes.items()}
    caps = _find_capacity(snapshot)
    known = KnownSizes(snapshot)
    specs = SpecCache()
    nics = {nic.id.lower(): nic for nic in snapshot.network_interfaces}
    indexes: dict[tuple[str, str], RegionSkus | None] = {}
    scopes: dict[tuple[str, str], ScopeCapacity] = {}
    choices: dict[str, SizeChoice] = {}
    demands: dict[str, NetworkDemand] = {}
    vnets_seen: dict[tuple[str, str], set[str]] = {}

    for vm in snapshot.vms:
        subscription = plan.target.subscription or vm.subscription_id
        key = (subscription.lower(), region)
        cap = caps.get((subscription.lower(), region.lower()))
        if key not in scopes:
            indexes[key] = (
                RegionSkus(cap, zone, specs) if cap is not None and cap.skus is not None else None
            )
            scopes[key] = ScopeCapacity(subscription, region, cap)
            vnets_seen[key] = set()
        scope = scopes[key]
        choice = choose_size(
            vm,
            subscription,
            region,
            indexes[key],
            pinned.get(vm.name.lower()) or pinned.get(vm.id.lower()),
            known,
        )
        choices[vm.id] = choice

        # vCPUs: the chosen size charges its own family and the regional total; a VM with no
        # available size charges only the regional total, with its source vCPUs.
        scope.vm_count.charge(1, vm)
        if choice.size is not None:
            family = choice.size.family
            if family is None:
                scope.unresolved.append(vm.name)
            else:
                scope.family(family).charge(choice.size.vcpus, vm)
            scope.cores.charge(choice.size.vcpus, vm)
        elif choice.kind is Choice.NONE:
            scope.cores.charge(choice.source.vcpus if choice.source else None, vm)
        else:  # UNKNOWN: the size (and its family) is unknown; the source vCPUs are a floor
            scope.unresolved.append(vm.name)
            floor = choice.source.vcpus if choice.source else None
            scope.cores.charge(floor, vm)
            if floor is not None:
                scope.cores.uncertain += 1
                scope.cores.missing.append(vm.name)

        demand = network_demand(vm, nics)
        demands[vm.id] = demand
        scope.network[NETWORK_INTERFACES].charge(demand.nics, vm)
        scope.network[PUBLIC_IP_ADDRESSES].charge(
            demand.public_ips, vm, counts=bool(demand.public_ips)
        )
        if demand.vnets is None:
            scope.network[VIRTUAL_NETWORKS].charge(None, vm)
        else:
            fresh = demand.vnets - vnets_seen[key]
            vnets_seen[key] |= fresh
            # every VM on a network the failover may create is affected by that network's quota
            scope.network[VIRTUAL_NETWORKS].charge(len(fresh), vm, counts=bool(demand.vnets))

    # A VM whose target family is unknown could charge any family: every family check in its
    # scope is then a lower bound.
    for scope in scopes.values():
        if scope.unresolved:
            for need in scope.families.values():
                need.uncertain += len(scope.unresolved)
                need.missing.extend(scope.unresolved)
    return CapacityPlan(choices, scopes, demands)
