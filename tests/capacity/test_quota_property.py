"""Quota arithmetic, re-derived independently over random estates (hypothesis)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from arm_shapes import (
    CATALOGUE,
    catalogue_skus,
    location_restriction,
    quota_usages,
    region_capacity,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from asr_preflight.engine import evaluate
from asr_preflight.sizing import build_capacity_plan
from asr_preflight.snapshot import RegionCapacity, VirtualMachine
from asr_preflight.testing import SUBSCRIPTION, make_plan, make_snapshot, make_vm
from asr_preflight_rules.capacity.asr102_family_vcpu_quota import family_vcpu_quota
from asr_preflight_rules.capacity.asr103_regional_vcpu_quota import regional_vcpu_quota
from asr_preflight_rules.capacity.asr104_vm_count_quota import vm_count_quota

SUB2 = "00000000-0000-0000-0000-0000000000b2"
Estate = tuple[list[VirtualMachine], list[RegionCapacity], dict[str, Any]]
SIZES = sorted(CATALOGUE)
FAMILIES = sorted({spec["family"] for spec in CATALOGUE.values()})


@st.composite
def estates(draw: st.DrawFn) -> Estate:
    count = draw(st.integers(1, 10))
    vms = [
        make_vm(
            f"vm-{i}",
            size=draw(st.sampled_from(SIZES)),
            subscription_id=draw(st.sampled_from((SUBSCRIPTION, SUB2))),
        )
        for i in range(count)
    ]
    regions: list[RegionCapacity] = []
    limits: dict[str, Any] = {}
    for sub in (SUBSCRIPTION, SUB2):
        restricted = draw(st.sets(st.sampled_from(SIZES), max_size=4))
        families = {f: (draw(st.integers(0, 40)), 40) for f in FAMILIES}
        cores = (draw(st.integers(0, 200)), 200)
        vm_limit = (draw(st.integers(0, 12)), 12)
        limits[sub] = (families, cores, vm_limit)
        skus = catalogue_skus(restricted={n: [location_restriction()] for n in restricted})
        compute = quota_usages(families, cores=cores, vms=vm_limit)
        regions.append(region_capacity(sub, skus=skus, compute=compute, network=[]))
    return vms, regions, limits


@settings(max_examples=40, deadline=None)
@given(estates())
def test_quota_outcomes_match_an_independent_sum(estate: Estate) -> None:
    vms, regions, limits = estate
    plan = make_plan(target={"region": "westus2"})
    snapshot = make_snapshot(vms, plan=plan, regions=tuple(regions))
    choices = build_capacity_plan(snapshot, plan).choices
    family_need: dict[tuple[str, str], int] = defaultdict(int)
    cores_need: dict[str, int] = defaultdict(int)
    count: dict[str, int] = defaultdict(int)
    for vm in vms:
        choice = choices[vm.id]
        count[vm.subscription_id] += 1
        if choice.size is not None:
            family = CATALOGUE[choice.size.name]["family"]
            family_need[vm.subscription_id, family] += CATALOGUE[choice.size.name]["vcpus"]
            cores_need[vm.subscription_id] += CATALOGUE[choice.size.name]["vcpus"]
        else:  # no available size: the source vCPUs still count in the regional total
            cores_need[vm.subscription_id] += CATALOGUE[vm.size]["vcpus"]
    results = evaluate(snapshot, plan, [family_vcpu_quota, regional_vcpu_quota, vm_count_quota])
    for r in results.results:
        vm = next(v for v in vms if v.name == r.vm)
        families, (cores_used, cores_limit), (vms_used, vms_limit) = limits[vm.subscription_id]
        choice = choices[vm.id]
        if r.rule == "ASR102":
            if choice.size is None:
                assert r.outcome == "skip"
                continue
            family = CATALOGUE[choice.size.name]["family"]
            used, limit = families[family]
            over = family_need[vm.subscription_id, family] > limit - used
        elif r.rule == "ASR103":
            over = cores_need[vm.subscription_id] > cores_limit - cores_used
        else:
            over = count[vm.subscription_id] > vms_limit - vms_used
        assert r.outcome == ("fail" if over else "pass"), (r.rule, r.vm, r.message)
