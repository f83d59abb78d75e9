"""The target size of each VM: the same size, the pinned one, or the closest available substitute
(:func:`choose_size`; :func:`choose_substitute` is the plain reference search)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from asr_preflight.sizing.pool import (
    RegionSkus,
)
from asr_preflight.sizing.specs import (
    TIER_WHY,
    Requirements,
    SizeSpec,
    preference_tier,
    requirements,
)
from asr_preflight.snapshot import (
    Snapshot,
    VirtualMachine,
    VmSku,
)


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
            preference_tier(source, spec),
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
    return spec, f"{TIER_WHY[best[0][0]]}: {spec.describe()}"


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


class KnownSizes:
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


def choose_size(
    vm: VirtualMachine,
    subscription: str,
    region: str,
    skus: RegionSkus | None,
    pinned: str | None,
    known: KnownSizes,
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
