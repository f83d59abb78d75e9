"""Time the plan (ASR0xx) and VM (ASR5xx) rules over synthetic estates of growing size.

    python bench/bench_rules_plan_vm.py [--sizes 100,1000,5000]

Prints one row per estate size: VMs, results, seconds, and microseconds per result.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

from asr_preflight.demo import build_demo
from asr_preflight.engine import evaluate
from asr_preflight.snapshot import Eligibility, Snapshot
from asr_preflight_rules.catalogue import RULES

CODES = ("ASR0", "ASR5")


def estate(size: int) -> Snapshot:
    """The demo estate's VMs cloned ``size`` times over (unique ids), with their eligibility."""
    demo = build_demo()
    vms, eligibility = [], []
    for i in range(size):
        vm = demo.vms[i % len(demo.vms)]
        clone = replace(vm, id=f"{vm.id}-{i}", name=f"{vm.name}-{i}")
        vms.append(clone)
        eligibility.append(Eligibility(clone.id))
    return replace(demo, vms=tuple(vms), eligibility=tuple(eligibility))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100,1000,5000")
    args = parser.parse_args()
    rules = [r for r in RULES if r.code.startswith(CODES)]
    print(f"{'VMs':>6} {'rules':>5} {'results':>8} {'seconds':>8} {'us/result':>10}")
    for size in (int(s) for s in args.sizes.split(",")):
        snapshot = estate(size)
        assert snapshot.plan is not None
        start = time.perf_counter()
        evaluation = evaluate(snapshot, snapshot.plan, rules)
        elapsed = time.perf_counter() - start
        n = len(evaluation.results)
        print(f"{size:>6} {len(rules):>5} {n:>8} {elapsed:>8.3f} {elapsed / n * 1e6:>10.1f}")


if __name__ == "__main__":
    main()
