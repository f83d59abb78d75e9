"""The SKUs of one (target subscription, region), indexed once: sizes sorted into preference
pools for a bisect to the first one large enough (:class:`RegionSkus`)."""

from __future__ import annotations

from bisect import bisect_left

from asr_preflight.sizing.specs import (
    TIER_WHY,
    Requirements,
    SizeSpec,
    preference_tier,
    unavailable_reason,
)
from asr_preflight.snapshot import (
    RegionCapacity,
    VmSku,
)


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
                return found, f"{TIER_WHY[preference_tier(source, found)]}: {found.describe()}"
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
