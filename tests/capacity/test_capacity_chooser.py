"""The target-size chooser (asr_preflight.sizing), table-driven over ARM-shaped SKU lists."""

from __future__ import annotations

import random
from typing import Any

import pytest
from arm_shapes import (
    arm_sku,
    catalogue_skus,
    example_body,
    location_restriction,
    region_capacity,
    skus_from_arm,
    zone_restriction,
)

from asr_preflight.sizing import (
    Choice,
    RegionSkus,
    SizeSpec,
    build_capacity_plan,
    choose_substitute,
    requirements,
    unavailable_reason,
)
from asr_preflight.snapshot import Disk, RegionCapacity
from asr_preflight.testing import SUBSCRIPTION, make_plan, make_snapshot, make_vm

NA = location_restriction()
QUOTA_ID = location_restriction(reason="QuotaId")


def choose(
    size: str,
    skus: list[dict[str, Any]],
    *,
    zone: str | None = None,
    pinned: str | None = None,
    elsewhere: list[dict[str, Any]] | None = None,
    **vm_fields: Any,
) -> Any:
    target: dict[str, Any] = {"region": "westus2"}
    if zone:
        target["zone"] = zone
    if pinned:
        target["sizes"] = {"vm-1": pinned}
    regions = [region_capacity(SUBSCRIPTION, skus=skus)]
    if elsewhere is not None:
        regions.append(region_capacity(SUBSCRIPTION, "eastus", skus=elsewhere))
    plan = make_plan(target=target)
    vm = make_vm("vm-1", size=size, **vm_fields)
    snapshot = make_snapshot([vm], plan=plan, regions=tuple(regions))
    return build_capacity_plan(snapshot, plan).choice(vm)


CASES = [
    # id, source size, SKU list, zone, expected kind, expected size
    ("offered", "Standard_D4s_v3", catalogue_skus(), None, Choice.SAME, "Standard_D4s_v3"),
    (
        "restricted: same family first",
        "Standard_D4s_v3",
        catalogue_skus(restricted={"Standard_D4s_v3": [NA]}),
        None,
        Choice.SUBSTITUTE,
        "Standard_D8s_v3",
    ),
    (
        "QuotaId restriction counts too",
        "Standard_D4s_v3",
        catalogue_skus(restricted={"Standard_D4s_v3": [QUOTA_ID]}),
        None,
        Choice.SUBSTITUTE,
        "Standard_D8s_v3",
    ),
    (
        "family gone: same series, same features, newest generation",
        "Standard_D4s_v3",
        catalogue_skus(restricted={"Standard_D4s_v3": [NA], "Standard_D8s_v3": [NA]}),
        None,
        Choice.SUBSTITUTE,
        "Standard_D4s_v5",
    ),
    (
        "not listed at all: capabilities from the source region",
        "Standard_D4s_v3",
        catalogue_skus(only=["Standard_D4s_v5", "Standard_E8s_v5", "Standard_B2s"]),
        None,
        Choice.SUBSTITUTE,
        "Standard_D4s_v5",
    ),
    (
        "no premium-less substitute for a premium size",
        "Standard_D4s_v3",
        catalogue_skus(
            only=["Standard_D4s_v3", "Standard_D4_v3", "Standard_E8s_v5"],
            restricted={"Standard_D4s_v3": [NA]},
        ),
        None,
        Choice.SUBSTITUTE,
        "Standard_E8s_v5",
    ),
    (
        "a Gen2-only size does not replace a V1/V2 size",
        "Standard_F4s_v2",
        catalogue_skus(
            only=["Standard_F4s_v2", "Standard_D4pls_v6", "Standard_E4s_v3"],
            restricted={"Standard_F4s_v2": [NA]},
        ),
        None,
        Choice.SUBSTITUTE,
        "Standard_E4s_v3",
    ),
    (
        "accelerated networking is kept",
        "Standard_D4s_v5",
        [
            *catalogue_skus(
                only=["Standard_D4s_v5", "Standard_D8s_v3"], restricted={"Standard_D4s_v5": [NA]}
            ),
            arm_sku("Standard_D4s_v4", "standardDSv4Family", 4, 16, accelerated=False),
        ],
        None,
        Choice.SUBSTITUTE,
        "Standard_D8s_v3",
    ),
    (
        "nothing large enough",
        "Standard_M128ms",
        catalogue_skus(restricted={"Standard_M128ms": [NA]}),
        None,
        Choice.NONE,
        None,
    ),
    (
        "zone restriction ignored without a planned zone",
        "Standard_D4s_v3",
        catalogue_skus(restricted={"Standard_D4s_v3": [zone_restriction(["2"])]}),
        None,
        Choice.SAME,
        "Standard_D4s_v3",
    ),
    (
        "zone restriction applies to the planned zone",
        "Standard_D4s_v3",
        catalogue_skus(restricted={"Standard_D4s_v3": [zone_restriction(["2"])]}),
        "2",
        Choice.SUBSTITUTE,
        "Standard_D8s_v3",
    ),
    (
        "zone restriction of another zone does not",
        "Standard_D4s_v3",
        catalogue_skus(restricted={"Standard_D4s_v3": [zone_restriction(["2"])]}),
        "1",
        Choice.SAME,
        "Standard_D4s_v3",
    ),
    (
        "not offered in the planned zone",
        "Standard_D4s_v3",
        catalogue_skus(zones={"Standard_D4s_v3": ["1", "2"], "Standard_D8s_v3": ["1"]}),
        "3",
        Choice.SUBSTITUTE,
        "Standard_D4s_v5",
    ),
]


@pytest.mark.parametrize(
    ("source", "skus", "zone", "kind", "size"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_chooser(
    source: str, skus: list[dict[str, Any]], zone: str | None, kind: Choice, size: str | None
) -> None:
    choice = choose(source, skus, zone=zone, elsewhere=catalogue_skus(region="eastus"))
    assert choice.kind is kind
    assert (choice.size.name if choice.size else None) == size
    if kind is Choice.SUBSTITUTE:
        assert choice.blocked and choice.why
        assert choice.size is not None and choice.source is not None
        assert choice.size.vcpus is not None and choice.source.vcpus is not None
        assert choice.size.vcpus >= choice.source.vcpus


def test_substitute_must_fit_the_vms_own_nics_and_disks() -> None:
    skus = catalogue_skus(
        only=["Standard_D4s_v3", "Standard_D8s_v3", "Standard_D4s_v5", "Standard_D8s_v5"],
        restricted={"Standard_D4s_v3": [NA], "Standard_D8s_v3": [NA]},
    )
    disks = tuple(Disk(name=f"data{i}", lun=i, size_gb=128, sku="Premium_LRS") for i in range(12))
    choice = choose("Standard_D4s_v3", skus, data_disks=disks)
    assert choice.size is not None and choice.size.name == "Standard_D8s_v5"


def test_premium_disk_requires_premium_io() -> None:
    skus = catalogue_skus(
        only=["Standard_D4_v3", "Standard_D4s_v5"], restricted={"Standard_D4_v3": [NA]}
    )
    plain = choose("Standard_D4_v3", skus, os_disk=Disk(name="os", sku="Standard_LRS"))
    premium = choose("Standard_D4_v3", skus, os_disk=Disk(name="os", sku="Premium_LRS"))
    assert plain.kind is premium.kind is Choice.SUBSTITUTE
    assert plain.size is not None and premium.size is not None
    assert premium.size.premium_io


def test_source_capabilities_unknown_is_unknown() -> None:
    skus = catalogue_skus(only=["Standard_D8s_v5"])
    choice = choose("Standard_D4s_v3", skus)
    assert choice.kind is Choice.UNKNOWN and choice.missing == "source"


def test_skus_not_gathered_is_unknown() -> None:
    plan = make_plan()
    vm = make_vm("vm-1")
    regions = (RegionCapacity(SUBSCRIPTION, "westus2", skus=None),)
    choice = build_capacity_plan(make_snapshot([vm], plan=plan, regions=regions), plan).choice(vm)
    assert choice.kind is Choice.UNKNOWN and choice.missing == "skus"


@pytest.mark.parametrize(
    ("pinned", "kind", "size"),
    [
        ("Standard_E8s_v5", Choice.PINNED, "Standard_E8s_v5"),
        ("standard_e8s_v5", Choice.PINNED, "Standard_E8s_v5"),
        ("Standard_D8s_v3", Choice.NONE, None),  # pinned but restricted: no fallback
        ("Standard_X99", Choice.NONE, None),  # pinned but not offered
    ],
)
def test_pinned_size(pinned: str, kind: Choice, size: str | None) -> None:
    skus = catalogue_skus(restricted={"Standard_D8s_v3": [NA]})
    choice = choose("Standard_D4s_v3", skus, pinned=pinned)
    assert choice.kind is kind
    assert (choice.size.name if choice.size else None) == size
    if kind is Choice.NONE:  # the source size itself is offered: that is the suggestion
        assert choice.suggestion is not None and choice.suggestion.name == "Standard_D4s_v3"
        assert choice.blocked


def test_official_sku_example() -> None:
    skus = skus_from_arm(example_body("ListAvailableResourceSkus.json"), "westus")
    a0, a1 = skus
    assert a0.zones == ("1", "2") and a1.zones == ("1", "2", "3")
    spec = SizeSpec.of(a0)
    assert (spec.vcpus, spec.memory_gb, spec.max_nics, spec.max_data_disks) == (1, 0.75, 2, 1)
    assert spec.premium_io is False and spec.hyperv_generations == frozenset({"V1"})
    assert unavailable_reason(a0, "westus", None) is None
    assert unavailable_reason(a0, "westus", "3") == "not offered in westus zone 3"


@pytest.mark.parametrize(
    ("name", "series", "generation", "features"),
    [
        ("Standard_D4s_v3", "D", 3, "s"),
        ("Standard_DS2_v2", "D", 2, "s"),
        ("Standard_D4ads_v5", "D", 5, "ads"),
        ("Standard_E64-32s_v3", "E", 3, "s"),
        ("Standard_NC24ads_A100_v4", "NC", 4, "ads"),
        ("Standard_M128ms", "M", 1, "ms"),
        ("Standard_A1", "A", 1, ""),
        ("Standard_B2s", "B", 1, "s"),
    ],
)
def test_series_parsing(name: str, series: str, generation: int, features: str) -> None:
    spec = SizeSpec.of(skus_from_arm({"value": [arm_sku(name, "f", 2, 4)]}, "westus2")[0])
    assert (spec.series, spec.generation, spec.features) == (series, generation, features)


def test_indexed_search_agrees_with_the_reference_chooser() -> None:
    """RegionSkus searches pool by pool with a bisect; it must pick what the plain scan picks."""
    rng = random.Random(11)
    items = []
    for series in ("D", "E", "F", "NC"):
        for features in ("", "s", "ds", "as"):
            for gen in (1, 3, 4, 5):
                for vcpus in (2, 4, 8, 16):
                    suffix = f"_v{gen}" if gen > 1 else ""
                    restricted = [NA] if rng.random() < 0.3 else []
                    items.append(
                        arm_sku(
                            f"Standard_{series}{vcpus}{features}{suffix}",
                            f"standard{series}{features.upper()}v{gen}Family",
                            vcpus,
                            vcpus * rng.choice((2, 4, 8)),
                            nics=rng.choice((2, 4, 8)),
                            disks=rng.choice((4, 8, 16, 32)),
                            premium="s" in features,
                            accelerated=rng.random() < 0.7,
                            generations=rng.choice(("V1", "V1,V2", "V2")),
                            restrictions=restricted,
                        )
                    )
    cap = region_capacity(SUBSCRIPTION, skus=items)
    index = RegionSkus(cap, None)
    vm = make_vm("vm-1", os_disk=Disk(name="os", sku="Standard_LRS"))
    checked = 0
    for sku in cap.skus or ():
        source = SizeSpec.of(sku)
        needs = requirements(source, vm)
        assert needs is not None
        fast = index.substitute(source, needs)
        slow = choose_substitute(source, needs, index.available)
        assert (fast[0].name if fast else None) == (slow[0].name if slow else None), sku.name
        checked += fast is not None
    assert checked > 100  # the comparison covered real choices, not only "none"
