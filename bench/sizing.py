"""Benchmark: the target-size chooser and the capacity rules (ASR101–ASR107) at scale.

    .venv/bin/python bench/sizing.py [--vms 10000] [--skus 3000] [--repeat 3]

Builds a realistic SKU list per (subscription, region) from the shape of the official
ResourceSkus_List example (tests/data/capacity/ListAvailableResourceSkus.json: same keys,
capabilities and restriction layout), with a share of sizes restricted for the subscription
or in a zone, plus compute and network usages; then times, for N VMs spread over two
subscriptions, (1) the capacity plan alone (SKU index per region, size choice per VM, quota
sums) and (2) all seven capacity rules through the real engine. Prints a table.
"""

from __future__ import annotations

import argparse
import copy
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "capacity"))

from arm_shapes import (  # noqa: E402
    example_body,
    location_restriction,
    network_usages,
    quota_usages,
    region_capacity,
    zone_restriction,
)

from asr_preflight.api import RuleContext, RuleKind  # noqa: E402
from asr_preflight.engine import evaluate  # noqa: E402
from asr_preflight.plan import Plan  # noqa: E402
from asr_preflight.sizing import Choice, build_capacity_plan  # noqa: E402
from asr_preflight.snapshot import (  # noqa: E402
    IpConfiguration,
    NetworkInterface,
    RegionCapacity,
    Snapshot,
    VirtualMachine,
)
from asr_preflight.testing import make_snapshot, make_vm  # noqa: E402
from asr_preflight_rules.catalogue import RULES  # noqa: E402

SUBSCRIPTIONS = ("11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222")
SERIES = ("A", "B", "D", "E", "F", "L", "M", "NC", "ND", "NV", "DC", "EC", "HB", "FX")
FEATURES = ("", "s", "ds", "as", "ads", "ls", "lds", "ps", "pds", "pls")
GENERATIONS = (1, 2, 3, 4, 5, 6)
VCPUS = (1, 2, 4, 8, 16, 32, 48, 64, 96, 128)
MEMORY_PER_VCPU = {"A": 2, "B": 4, "D": 4, "E": 8, "F": 2, "L": 8, "M": 28, "FX": 21}


def generated_skus(count: int, region: str, rng: random.Random) -> list[dict[str, Any]]:
    """``count`` SKUs in the official example's shape, with realistic names and capabilities."""
    template = example_body("ListAvailableResourceSkus.json")["value"][0]
    names = [
        (series, feat, gen, vcpus)
        for series in SERIES
        for feat in FEATURES
        for gen in GENERATIONS
        for vcpus in VCPUS
    ]
    rng.shuffle(names)
    out = []
    for series, feat, gen, vcpus in names[:count]:
        suffix = "" if gen == 1 else f"_v{gen}"
        name = f"Standard_{series}{vcpus}{feat}{suffix}"
        family = f"standard{series}{feat.upper()}{'v' + str(gen) if gen > 1 else ''}Family"
        memory = vcpus * MEMORY_PER_VCPU.get(series, 6) / (2 if "l" in feat else 1)
        caps = {
            "MaxResourceVolumeMB": str(vcpus * 8192),
            "OSVhdSizeMB": "1047552",
            "vCPUs": str(vcpus),
            "HyperVGenerations": "V2" if gen >= 6 else "V1,V2",
            "MemoryGB": f"{memory:g}",
            "MaxDataDiskCount": str(min(64, max(2, vcpus * 2))),
            "LowPriorityCapable": "True",
            "PremiumIO": str("s" in feat),
            "vCPUsAvailable": str(vcpus),
            "ACUs": "160",
            "vCPUsPerCore": "2",
            "EphemeralOSDiskSupported": "True",
            "AcceleratedNetworkingEnabled": str(vcpus >= 2),
            "RdmaEnabled": str(series in ("HB", "ND")),
            "MaxNetworkInterfaces": str(min(8, max(2, vcpus // 2))),
        }
        item = copy.deepcopy(template)
        item.update(
            name=name,
            size=name.removeprefix("Standard_"),
            family=family,
            locations=[region],
            capabilities=[{"name": k, "value": v} for k, v in caps.items()],
            locationInfo=[{"location": region, "zones": ["1", "2", "3"]}],
        )
        draw = rng.random()
        if draw < 0.05:
            item["restrictions"] = [location_restriction(region)]
        elif draw < 0.15:
            item["restrictions"] = [zone_restriction([rng.choice("123")], region)]
        out.append(item)
    return out


def build(vm_count: int, sku_count: int, seed: int = 7) -> tuple[Snapshot, Plan]:
    rng = random.Random(seed)
    regions: list[RegionCapacity] = []
    target_lists: dict[str, list[dict[str, Any]]] = {}
    for sub in SUBSCRIPTIONS:
        skus = generated_skus(sku_count, "westus2", random.Random(seed))  # same offer…
        for item in skus:  # …but restrictions differ per subscription
            draw = rng.random()
            item["restrictions"] = (
                [location_restriction("westus2")]
                if draw < 0.05
                else [zone_restriction([rng.choice("123")], "westus2")]
                if draw < 0.15
                else []
            )
        target_lists[sub] = skus
        families = {item["family"]: (rng.randrange(0, 200), 5000) for item in skus}
        regions.append(
            region_capacity(
                sub,
                skus=skus,
                compute=quota_usages(families, cores=(100, 100000), vms=(50, 25000)),
                network=network_usages(),
            )
        )
    # the source region lists more sizes than the target (some are not offered there)
    source = generated_skus(int(sku_count * 1.2), "eastus", random.Random(seed + 1))
    regions.append(region_capacity(SUBSCRIPTIONS[0], "eastus", skus=source, compute=[], network=[]))
    popular = [item["name"] for item in source[:120]]
    vms: list[VirtualMachine] = []
    nics: list[NetworkInterface] = []
    for i in range(vm_count):
        sub = SUBSCRIPTIONS[i % 2]
        vm = make_vm(f"vm-{i:05d}", size=rng.choice(popular), subscription_id=sub)
        subnet = (
            f"/subscriptions/{sub}/resourceGroups/net/providers/Microsoft.Network"
            f"/virtualNetworks/vnet-{i % 40}/subnets/default"
        )
        ipc = IpConfiguration(name="ipconfig1", primary=True, subnet_id=subnet)
        nics.append(
            NetworkInterface(id=vm.nic_ids[0], name=f"vm-{i:05d}-nic", ip_configurations=(ipc,))
        )
        vms.append(vm)
    plan = Plan.model_validate({"target": {"region": "westus2", "zone": "1"}})
    snapshot = make_snapshot(vms, plan=plan, regions=tuple(regions), network_interfaces=tuple(nics))
    return snapshot, plan


def timed(func: Any, repeat: int) -> tuple[str, Any]:
    """Median wall and CPU time of ``repeat`` runs (CPU time: less sensitive to a busy machine)."""
    wall, cpu, result = [], [], None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = func()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return f"{statistics.median(wall):.3f} s wall, {statistics.median(cpu):.3f} s CPU", result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vms", type=int, default=10000)
    parser.add_argument("--skus", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    start = time.perf_counter()
    snapshot, plan = build(args.vms, args.skus)
    setup = time.perf_counter() - start
    capacity = [r for r in RULES if r.code.startswith("ASR1")]

    plan_time, capacity_plan = timed(lambda: build_capacity_plan(snapshot, plan), args.repeat)
    rules_time, evaluation = timed(lambda: evaluate(snapshot, plan, capacity), args.repeat)

    def bare() -> int:
        """The seven rule functions on one context: the plan and the rules, no engine."""
        ctx = RuleContext(snapshot, plan)
        count = 0
        for rule in capacity:
            if rule.kind is RuleKind.ESTATE:
                count += len(list(rule.func(ctx)))
            else:
                count += len([rule.func(ctx, vm) for vm in ctx.vms])
        return count

    bare_time, _ = timed(bare, args.repeat)
    kinds = Counter(c.kind for c in capacity_plan.choices.values())
    outcomes = Counter(r.outcome for r in evaluation.results)

    rows = [
        ("VMs", f"{len(snapshot.vms):,}"),
        (
            "target SKUs per (subscription, region)",
            f"{args.skus:,} x {len(SUBSCRIPTIONS)} subscriptions",
        ),
        ("source-region SKUs", f"{int(args.skus * 1.2):,}"),
        ("planned zone", plan.target.zone or "-"),
        (
            "choices: same / substitute / none / unknown",
            " / ".join(
                str(kinds[k]) for k in (Choice.SAME, Choice.SUBSTITUTE, Choice.NONE, Choice.UNKNOWN)
            ),
        ),
        (
            "results (7 rules)",
            f"{len(evaluation.results):,}: "
            + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())),
        ),
        ("setup (facts, not timed)", f"{setup:.2f} s"),
        ("capacity plan (index + choose + quota)", plan_time),
        ("ASR101-ASR107 rule functions (incl. plan)", bare_time),
        ("ASR101-ASR107 through the engine (incl. plan)", rules_time),
        ("budget", "2 s"),
    ]
    width = max(len(k) for k, _ in rows)
    print(f"{'measure':<{width}}  value")
    print(f"{'-' * width}  {'-' * 40}")
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    print(f"(median of {args.repeat} runs; python {sys.version.split()[0]})")


if __name__ == "__main__":
    main()
