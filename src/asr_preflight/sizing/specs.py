"""VM sizes as facts: a SKU's capabilities parsed once (:class:`SizeSpec`), why a SKU is not
available, what a substitute must meet (:class:`Requirements`) and how close two sizes are
(the preference tiers)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from asr_preflight.snapshot import (
    VirtualMachine,
    VmSku,
)

#: Disk SKUs that need a size with Premium IO.
_PREMIUM_DISKS = ("premium", "ultrassd")


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
    vcpus_available: int | None = None  # vCPUsAvailable: fewer than vCPUs on constrained sizes

    @classmethod
    def of(cls, sku: VmSku) -> SizeSpec:
        caps = sku.capabilities
        vcpus = _number(_cap(caps, "vCPUs"))
        available = _number(_cap(caps, "vCPUsAvailable"))
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
            vcpus_available=int(available) if available is not None else None,
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


TIER_WHY = (
    "same VM family",
    "same series and generation",
    "same series, another generation",
    "closest size of another series",
)


def preference_tier(source: SizeSpec, candidate: SizeSpec) -> int:
    if source.family and candidate.family and source.family.lower() == candidate.family.lower():
        return 0
    if source.series is not None and source.series == candidate.series:
        return 1 if source.generation == candidate.generation else 2
    return 3
