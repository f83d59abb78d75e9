"""Target capacity: the target-size chooser and the quota arithmetic behind ASR101–ASR107.

Will the failover VMs fit in the target region? This module answers it once per run, for the
whole estate, and the capacity rules read the answer (:func:`capacity_plan`):

1. **Size.** For every selected VM, the size its failover VM will get in the target region: the
   size pinned in the plan (``[target] sizes``), else the source size when the target region
   offers it to the target subscription without restriction (in the planned zone, when
   ``[target] zone`` is set), else the closest available size (:func:`choose_substitute`).
2. **Quota.** Per (target subscription, target region): the vCPUs of the chosen sizes per
   VM-family usage (``standardDSv3Family``), in total (``cores``), the VM count
   (``virtualMachines``) and the network resources (``NetworkInterfaces``, ``PublicIPAddresses``,
   ``VirtualNetworks``) the failover creates, against ``limit - currentValue``.

Microsoft does not publish how Site Recovery picks "the same size or the closest possible size".
Ours, in order:

* **Hard requirements** (a candidate failing one is never chosen): offered without a ``Location``
  restriction (and, with a planned zone, listed in that zone with no ``Zone`` restriction for
  it); at least the source size's vCPUs, memory, ``MaxNetworkInterfaces`` and
  ``MaxDataDiskCount`` (and at least the VM's own NIC and data-disk counts); Premium IO when the
  source size has it or a disk is Premium/UltraSSD; accelerated networking when the source size
  supports it; every Hyper-V generation the source size supports.
* **Preference tiers:** 0 the same VM family (quota family, e.g. ``standardDSv3Family``);
  1 the same series and generation (``D…_v5`` for ``D4s_v5``, e.g. ``D4ds_v5``); 2 the same series,
  another generation; 3 any other size.
* **Smallest excess** within a tier: fewest vCPUs (quota is charged in vCPUs), then least memory,
  then the same feature letters (``s`` for ``D4s_v3``, rather than ``as`` or ``ds``), then the
  newest generation, then the name (so the choice is deterministic).

Everything here is pure: it reads facts and returns values, and says ``unknown`` (never a pass)
when a fact it needs is absent.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property, lru_cache
from typing import Any

from asr_preflight.api import Finding, MissingFact, RuleContext, failed, passed, unknown
from asr_preflight.plan import Plan
from asr_preflight.snapshot import (
    NetworkInterface,
    RegionCapacity,
    Snapshot,
    Usage,
    VirtualMachine,
    VmSku,
)

CORES = "cores"
VIRTUAL_MACHINES = "virtualMachines"
NETWORK_INTERFACES = "NetworkInterfaces"
PUBLIC_IP_ADDRESSES = "PublicIPAddresses"
VIRTUAL_NETWORKS = "VirtualNetworks"
NETWORK_USAGES = (NETWORK_INTERFACES, PUBLIC_IP_ADDRESSES, VIRTUAL_NETWORKS)

#: Disk SKUs that need a size with Premium IO.
_PREMIUM_DISKS = ("premium", "ultrassd")


# ---------------------------------------------------------------------------------------------
# Sizes
# ---------------------------------------------------------------------------------------------

# Standard_D4s_v3, Standard_E64-32s_v3, Standard_NC24ads_A100_v4, Standard_DS2_v2, Standard_M128ms
_NAME = re.compile(
    r"^(?:standard|basic)_(?P<series>[a-z]+?)(?P<s>s?)(?P<num>\d+)(?:-\d+)?(?P<feat>[a-z]*)"
    r"(?:_(?!v\d)[a-z]+\d+[a-z]*)?(?:_v(?P<ver>\d+))?(?:_promo)?$",
    re.IGNORECASE,
)


@lru_cache(maxsize=8192)
def _series(name: str) -> tuple[str | None, int | None, str]:
    """(series letters, generation, feature letters) of a size name:
    ``Standard_D4ds_v5`` -> ``("D", 5, "ds")``.

    Old premium names fold into their series (``DS2_v2`` -> ``D``, features ``s``); no ``_vN``
    is generation 1.
    """
    match = _NAME.match(name)
    if match is None:
        return None, None, ""
    ver = match["ver"]
    features = "".join(sorted(set((match["s"] + match["feat"]).lower())))
    return match["series"].upper(), int(ver) if ver else 1, features


def _cap(caps: Mapping[str, str], name: str) -> str | None:
    """A capability by its ARM name, or case-insensitively."""
    value = caps.get(name)
    if value is None:
        lower = name.lower()
        value = next((v for k, v in caps.items() if k.lower() == lower), None)
    return value


@lru_cache(maxsize=4096)
def _generations(value: str) -> frozenset[str]:
    return frozenset(g.strip().upper() for g in value.split(",") if g.strip())


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


def _flag(value: str | None) -> bool | None:
    if value is None:
        return None
    return value.strip().lower() == "true"


@dataclass(frozen=True)
class SizeSpec:
    """A VM size's capabilities as our chooser needs them; ``None`` = not reported."""

    name: str
    family: str | None
    vcpus: int | None
    memory_gb: float | None
    max_nics: int | None
    max_data_disks: int | None
    premium_io: bool | None
    accelerated_networking: bool | None
    hyperv_generations: frozenset[str] | None
    series: str | None = None
    generation: int | None = None
    features: str = ""  # the lower-case letters after the number, sorted ("ds" for D4ds_v5)

    @classmethod
    def of(cls, sku: VmSku) -> SizeSpec:
        caps = sku.capabilities
        vcpus = _number(_cap(caps, "vCPUs"))
        nics = _number(_cap(caps, "MaxNetworkInterfaces"))
        disks = _number(_cap(caps, "MaxDataDiskCount"))
        gens = _cap(caps, "HyperVGenerations")
        series, generation, features = _series(sku.name)
        return cls(
            name=sku.name,
            family=sku.family,
            vcpus=int(vcpus) if vcpus is not None else None,
            memory_gb=_number(_cap(caps, "MemoryGB")),
            max_nics=int(nics) if nics is not None else None,
            max_data_disks=int(disks) if disks is not None else None,
            premium_io=_flag(_cap(caps, "PremiumIO")),
            accelerated_networking=_flag(_cap(caps, "AcceleratedNetworkingEnabled")),
            hyperv_generations=_generations(gens) if gens is not None else None,
            series=series,
            generation=generation,
            features=features,
        )

    def describe(self) -> str:
        """``4 vCPUs, 16 GB, 2 NICs, 8 data disks``: the facts the chooser compared."""
        parts = [
            f"{self.vcpus} vCPU{'s' if self.vcpus != 1 else ''}"
            if self.vcpus is not None
            else "vCPUs unknown",
            f"{_gb(self.memory_gb)} GB" if self.memory_gb is not None else "memory unknown",
        ]
        if self.max_nics is not None:
            parts.append(f"{self.max_nics} NICs")
        if self.max_data_disks is not None:
            parts.append(f"{self.max_data_disks} data disks")
        return ", ".join(parts)


def _gb(value: float | None) -> str:
    if value is None:
        return "?"
    return f"{value:g}"


def unavailable_reason(sku: VmSku, region: str, zone: str | None) -> str | None:
    """Why ``sku`` cannot be deployed in ``region`` (and ``zone``), or None when it can.

    A ``Location`` restriction blocks the region; a ``Zone`` restriction blocks the zones it lists
    and matters only when a zone is planned; a planned zone must be among the SKU's zones.
    """
    for restriction in sku.restrictions:
        if restriction.type == "Location":
            places = {loc.lower() for loc in restriction.locations}
            if not places or region.lower() in places:
                return f"restricted in {region} ({restriction.reason_code})"
        elif zone is not None and (not restriction.zones or zone in restriction.zones):
            return f"restricted in {region} zone {zone} ({restriction.reason_code})"
    if zone is not None and zone not in sku.zones:
        return f"not offered in {region} zone {zone}"
    return None


@dataclass(frozen=True)
class Requirements:
    """What a substitute must offer at least (derived from the source size and the VM)."""

    vcpus: int
    memory_gb: float
    nics: int
    data_disks: int
    premium_io: bool
    accelerated_networking: bool
    generations: frozenset[str]

    def met_by(self, spec: SizeSpec) -> bool:
        if spec.vcpus is None or spec.memory_gb is None:
            return False
        if spec.vcpus < self.vcpus or spec.memory_gb < self.memory_gb:
            return False
        if self.nics and (spec.max_nics is None or spec.max_nics < self.nics):
            return False
        if self.data_disks and (
            spec.max_data_disks is None or spec.max_data_disks < self.data_disks
        ):
            return False
        if self.premium_io and not spec.premium_io:
            return False
        if self.accelerated_networking and not spec.accelerated_networking:
            return False
        return not (
            self.generations
            and (spec.hyperv_generations is None or not self.generations <= spec.hyperv_generations)
        )

    def describe(self) -> str:
        parts = [f"≥ {self.vcpus} vCPUs", f"≥ {_gb(self.memory_gb)} GB"]
        if self.nics:
            parts.append(f"≥ {self.nics} NICs")
        if self.data_disks:
            parts.append(f"≥ {self.data_disks} data disks")
        if self.premium_io:
            parts.append("Premium IO")
        if self.accelerated_networking:
            parts.append("accelerated networking")
        if self.generations:
            parts.append("Hyper-V " + "/".join(sorted(self.generations)))
        return ", ".join(parts)


def requirements(source: SizeSpec, vm: VirtualMachine) -> Requirements | None:
    """The hard requirements for a substitute of ``source`` for ``vm``; None if unknowable."""
    if source.vcpus is None or source.memory_gb is None:
        return None
    disks = (vm.os_disk, *vm.data_disks)
    premium_disk = any(
        d is not None and d.sku is not None and d.sku.lower().startswith(_PREMIUM_DISKS)
        for d in disks
    )
    return Requirements(
        vcpus=source.vcpus,
        memory_gb=source.memory_gb,
        nics=max(source.max_nics or 0, len(vm.nic_ids)),
        data_disks=max(source.max_data_disks or 0, len(vm.data_disks)),
        premium_io=bool(source.premium_io) or premium_disk,
        accelerated_networking=bool(source.accelerated_networking),
        generations=source.hyperv_generations or frozenset(),
    )


_TIER_WHY = (
    "same VM family",
    "same series and generation",
    "same series, another generation",
    "closest size of another series",
)


def _tier(source: SizeSpec, candidate: SizeSpec) -> int:
    if source.family and candidate.family and source.family.lower() == candidate.family.lower():
        return 0
    if source.series is not None and source.series == candidate.series:
        return 1 if source.generation == candidate.generation else 2
    return 3


def choose_substitute(
    source: SizeSpec, needs: Requirements, candidates: Iterable[SizeSpec]
) -> tuple[SizeSpec, str] | None:
    """The closest available size meeting ``needs`` and why it was chosen; None if none does."""
    best: tuple[tuple[int, int, float, bool, int, str], SizeSpec] | None = None
    for spec in candidates:
        if spec.name.lower() == source.name.lower() or not needs.met_by(spec):
            continue
        assert spec.vcpus is not None and spec.memory_gb is not None  # met_by checked
        key = (
            _tier(source, spec),
            spec.vcpus,
            spec.memory_gb,
            spec.features != source.features,
            -(spec.generation or 0),
            spec.name,
        )
        if best is None or key < best[0]:
            best = (key, spec)
    if best is None:
        return None
    spec = best[1]
    return spec, f"{_TIER_WHY[best[0][0]]}: {spec.describe()}"


# ---------------------------------------------------------------------------------------------
# Per-region SKU index
# ---------------------------------------------------------------------------------------------


class SpecCache:
    """Parsed capabilities, shared by regions listing the same SKU (one parse per distinct SKU)."""

    def __init__(self) -> None:
        self._specs: dict[tuple[object, ...], SizeSpec] = {}

    def __call__(self, sku: VmSku) -> SizeSpec:
        key = (sku.name, sku.family, *sku.capabilities.items())
        spec = self._specs.get(key)
        if spec is None:
            spec = self._specs[key] = SizeSpec.of(sku)
        return spec


class RegionSkus:
    """The SKUs of one (target subscription, region), indexed once, with memoised choices."""

    def __init__(
        self, capacity: RegionCapacity, zone: str | None, specs: SpecCache | None = None
    ) -> None:
        parse = specs or SpecCache()
        self.region = capacity.region
        self.zone = zone
        self.skus: dict[str, VmSku] = {}
        self.specs: dict[str, SizeSpec] = {}
        self.blocked: dict[str, str] = {}
        available: list[SizeSpec] = []
        for sku in capacity.skus or ():
            key = sku.name.lower()
            spec = parse(sku)
            self.skus[key], self.specs[key] = sku, spec
            reason = unavailable_reason(sku, capacity.region, zone)
            if reason is None:
                if spec.vcpus is not None and spec.memory_gb is not None:
                    available.append(spec)
            else:
                self.blocked[key] = reason
        order = sorted(available, key=_size_order)
        self.available: tuple[SizeSpec, ...] = tuple(order)
        # preference pools, each sorted by (vCPUs, memory): family, series+generation, series
        self._pools: dict[tuple[str, object], _Pool] = {("all", None): _Pool(order)}
        groups: dict[tuple[str, object], list[SizeSpec]] = {}
        for spec in order:
            if spec.family:
                groups.setdefault(("family", spec.family.lower()), []).append(spec)
            if spec.series is not None:
                groups.setdefault(("series-gen", (spec.series, spec.generation)), []).append(spec)
                groups.setdefault(("series", spec.series), []).append(spec)
        self._pools.update((key, _Pool(specs)) for key, specs in groups.items())
        self._memo: dict[tuple[str, Requirements], tuple[SizeSpec, str] | None] = {}

    def status(self, size: str) -> str | None:
        """None when ``size`` is offered without restriction; else why it is not."""
        key = size.lower()
        if key not in self.skus:
            where = f"{self.region} zone {self.zone}" if self.zone else self.region
            return f"not offered in {where}"
        return self.blocked.get(key)

    def substitute(self, source: SizeSpec, needs: Requirements) -> tuple[SizeSpec, str] | None:
        """:func:`choose_substitute` over the available sizes, searched pool by pool."""
        key = (source.name.lower(), needs)
        if key not in self._memo:
            self._memo[key] = self._search(source, needs)
        return self._memo[key]

    def _search(self, source: SizeSpec, needs: Requirements) -> tuple[SizeSpec, str] | None:
        keys: list[tuple[str, object]] = []
        if source.family:
            keys.append(("family", source.family.lower()))
        if source.series is not None:
            keys += [("series-gen", (source.series, source.generation)), ("series", source.series)]
        keys.append(("all", None))
        for key in keys:
            pool = self._pools.get(key)
            found = pool.smallest(source, needs) if pool is not None else None
            if found is not None:
                return found, f"{_TIER_WHY[_tier(source, found)]}: {found.describe()}"
        return None


def _size_order(spec: SizeSpec) -> tuple[int, float]:
    return (spec.vcpus or 0, spec.memory_gb or 0.0)


class _Pool:
    """Sizes sorted by (vCPUs, memory), for a bisect to the first one large enough."""

    def __init__(self, specs: list[SizeSpec]) -> None:
        self.specs = specs
        self.vcpus = [spec.vcpus or 0 for spec in specs]

    def smallest(self, source: SizeSpec, needs: Requirements) -> SizeSpec | None:
        """The first (vCPUs, memory) group holding a size that meets ``needs``, its best one."""
        group: list[SizeSpec] = []
        for spec in self.specs[bisect_left(self.vcpus, needs.vcpus) :]:
            if group and _size_order(spec) != _size_order(group[0]):
                break
            if spec.name.lower() != source.name.lower() and needs.met_by(spec):
                group.append(spec)
        if not group:
            return None
        return min(
            group, key=lambda s: (s.features != source.features, -(s.generation or 0), s.name)
        )


# ---------------------------------------------------------------------------------------------
# Choices
# ---------------------------------------------------------------------------------------------


class Choice(StrEnum):
    SAME = "same"  # the source size, offered without restriction
    PINNED = "pinned"  # the plan's [target] sizes entry, offered without restriction
    SUBSTITUTE = "substitute"  # the closest available size
    NONE = "none"  # nothing suitable is available (or the pinned size is not)
    UNKNOWN = "unknown"  # the facts needed to decide are missing


@dataclass(frozen=True)
class SizeChoice:
    vm: VirtualMachine
    subscription: str  # target subscription
    region: str  # target region
    kind: Choice
    requested: str  # the source size, or the pinned size
    size: SizeSpec | None = None  # the target size (SAME, PINNED, SUBSTITUTE)
    source: SizeSpec | None = None  # the source size's capabilities, when known
    blocked: str = ""  # why the requested size cannot be used
    why: str = ""  # why this substitute
    missing: str = ""  # UNKNOWN: "skus" (target list absent) or "source" (capabilities absent)
    suggestion: SizeSpec | None = None  # a pinned size is unavailable: what the chooser would take

    @property
    def scope(self) -> str:
        return f"{self.subscription}/{self.region}"


class _KnownSizes:
    """Every size listed in any region of the snapshot (the source region's too), by name;
    capabilities parsed on first use."""

    def __init__(self, snapshot: Snapshot) -> None:
        self._skus: dict[str, VmSku] = {}
        for cap in snapshot.regions:
            for sku in cap.skus or ():
                self._skus.setdefault(sku.name.lower(), sku)
        self._specs: dict[str, SizeSpec | None] = {}

    def get(self, name: str) -> SizeSpec | None:
        key = name.lower()
        if key not in self._specs:
            sku = self._skus.get(key)
            self._specs[key] = SizeSpec.of(sku) if sku is not None else None
        return self._specs[key]


def _choose(
    vm: VirtualMachine,
    subscription: str,
    region: str,
    skus: RegionSkus | None,
    pinned: str | None,
    known: _KnownSizes,
) -> SizeChoice:
    requested = pinned or vm.size
    source = skus.specs.get(vm.size.lower()) if skus is not None else None
    source = source or known.get(vm.size.lower())

    def make(kind: Choice, **rest: Any) -> SizeChoice:
        return SizeChoice(vm, subscription, region, kind, requested, source=source, **rest)

    if skus is None:
        return make(Choice.UNKNOWN, missing="skus")
    blocked = skus.status(requested)
    if blocked is None:
        kind = Choice.PINNED if pinned else Choice.SAME
        return make(kind, size=skus.specs[requested.lower()])
    if pinned and skus.status(vm.size) is None:  # the pinned size is not, the source size is
        return make(Choice.NONE, blocked=blocked, suggestion=skus.specs[vm.size.lower()])
    needs = requirements(source, vm) if source is not None else None
    found = skus.substitute(source, needs) if source is not None and needs is not None else None
    if pinned:
        return make(Choice.NONE, blocked=blocked, suggestion=found[0] if found else None)
    if needs is None:
        return make(Choice.UNKNOWN, blocked=blocked, missing="source")
    if found is None:
        why = f"no available size has {needs.describe()}"
        return make(Choice.NONE, blocked=blocked, why=why)
    return make(Choice.SUBSTITUTE, size=found[0], blocked=blocked, why=found[1])


# ---------------------------------------------------------------------------------------------
# Quota
# ---------------------------------------------------------------------------------------------


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
    known = _KnownSizes(snapshot)
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
        choice = _choose(
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


# ---------------------------------------------------------------------------------------------
# For the rules
# ---------------------------------------------------------------------------------------------


def capacity_plan(ctx: RuleContext) -> CapacityPlan:
    """The run's capacity plan, built once and shared by ASR101–ASR107."""
    return ctx.cached("asr_preflight.sizing", lambda: build_capacity_plan(ctx.snapshot, ctx.plan))


def unresolved_size(ctx: RuleContext, choice: SizeChoice) -> MissingFact:
    """Why ``choice`` (of kind UNKNOWN) has no target size, as a MissingFact for the engine."""
    where = f"{choice.region} for subscription {choice.subscription}"
    if choice.missing == "skus":
        return ctx.missing("skus", choice.scope, f"the VM sizes offered in {where}")
    return MissingFact(
        f"{choice.vm.name}: {choice.requested} is {choice.blocked} and its capabilities (vCPUs, "
        "memory) are not in the snapshot, so the closest available size cannot be chosen",
        "pin a target size for this VM in the plan's [target] sizes, or collect again so that "
        "the source region's SKUs are gathered",
    )


def usage_missing(ctx: RuleContext, scope: ScopeCapacity, kind: str, need: Need) -> MissingFact:
    """The usage behind ``need`` is absent: the list was not gathered, or it lacks the entry."""
    cap = scope.capacity
    where = f"{scope.region} for subscription {scope.subscription}"
    if (
        cap is None
        or (cap.compute_usages if kind == "compute_usages" else cap.network_usages) is None
    ):
        what = "compute quota usages" if kind == "compute_usages" else "network usages"
        return ctx.missing(kind, scope.scope, f"the {what} of {where}")
    return MissingFact(
        f"the usage list of {where} has no entry {need.name}, so its headroom is unknown",
        "check the quota in the portal (Subscriptions > Usage + quotas) and re-run collect",
    )


def judge_quota(
    ctx: RuleContext,
    vm: VirtualMachine,
    scope: ScopeCapacity,
    need: Need,
    *,
    subject: str,
    uncertain: str,
) -> Finding:
    """One VM's outcome for one compute usage: fail when even the known demand overflows,
    unknown when some demand is unknown (``uncertain`` says whose what: "the vCPUs of"), or pass.
    """
    if need.usage is None:
        raise usage_missing(ctx, scope, "compute_usages", need)
    target = scope.usage_id(need.name)
    text = f"{subject}: the failover {need.text}"
    if need.state == "fail":
        hint = f"request at least {need.short} more {need.label} in {scope.region} for "
        hint += f"subscription {scope.subscription}, or protect fewer VMs into it"
        return failed(vm, text, target=target, hint=hint)
    if need.state == "unknown":
        who = ", ".join(need.missing[:5]) + (" …" if len(need.missing) > 5 else "")
        return unknown(
            vm,
            f"{text}, but {uncertain} {who} {'is' if len(need.missing) == 1 else 'are'} unknown",
            target=target,
            hint="resolve the unknown ASR101 results (SKUs or source sizes) first",
        )
    return passed(vm, text, target=target)


def each_vm(ctx: RuleContext, judge: Callable[[VirtualMachine], Finding]) -> Iterator[Finding]:
    """An estate rule's findings, one per VM: a MissingFact for one VM makes only it unknown."""
    for vm in ctx.vms:
        try:
            yield judge(vm)
        except MissingFact as exc:
            yield unknown(vm, exc.message, hint=exc.hint)
