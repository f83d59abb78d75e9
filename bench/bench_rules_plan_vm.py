"""Time the plan (ASR0xx) and VM (ASR5xx) rules over synthetic estates of growing size.

    python bench/bench_rules_plan_vm.py [--sizes 100,1000,5000]

Prints one row per estate size: VMs, results, seconds, microseconds per result, and what ASR008
and ASR009 said, to show that the clones keep what makes those rules work: every copy of the
demo estate keeps its own SAP consistency group (3 VMs, pass) and its pinned target sizes, all
vm-web clones form one large group (more than 16 VMs: fail), and each clone carries its
original's eligibility answer (rejected OS, unreadable: fail, unknown).
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from dataclasses import replace

from asr_preflight.demo import build_demo
from asr_preflight.engine import Evaluation, evaluate
from asr_preflight.plan import Group
from asr_preflight.snapshot import Snapshot
from asr_preflight_rules.catalogue import RULES

CODES = ("ASR0", "ASR5")


def estate(size: int) -> Snapshot:
    """The demo estate's VMs cloned to ``size`` VMs (copy k of a VM is named ``<name>-<k>``),
    with their groups, pinned sizes, eligibility answers and eligibility errors cloned alike."""
    demo = build_demo()
    assert demo.plan is not None
    plan = demo.plan
    vms, eligibility, errors = [], [], list(demo.errors)
    answers = {e.vm_id.lower(): e for e in demo.eligibility}
    failures = {e.scope.lower(): e for e in demo.errors if e.kind == "eligibility"}
    names: set[str] = set()
    for i in range(size):
        vm = demo.vms[i % len(demo.vms)]
        copy = i // len(demo.vms)
        clone = replace(vm, id=f"{vm.id}-{copy}", name=f"{vm.name}-{copy}")
        vms.append(clone)
        names.add(clone.name)
        if (answer := answers.get(vm.id.lower())) is not None:
            eligibility.append(replace(answer, vm_id=clone.id))
        if (failure := failures.get(vm.id.lower())) is not None:
            errors.append(replace(failure, scope=clone.id))
    copies = -(-size // len(demo.vms))
    groups = [
        Group(name=f"{g.name}-{k}", vms=[f"{m}-{k}" for m in g.vms])
        for k in range(copies)
        for g in plan.groups
        if all(f"{m}-{k}" in names for m in g.vms)
    ]
    web = sorted(n for n in names if n.startswith("vm-web-"))
    if len(web) > 1:
        groups.append(Group(name="web-farm", vms=web))
    sizes = {
        f"{name}-{k}": pinned
        for k in range(copies)
        for name, pinned in plan.target.sizes.items()
        if f"{name}-{k}" in names
    }
    target = plan.target.model_copy(update={"sizes": sizes})
    plan = plan.model_copy(update={"groups": groups, "target": target})
    return replace(
        demo, plan=plan, vms=tuple(vms), eligibility=tuple(eligibility), errors=tuple(errors)
    )


def said(evaluation: Evaluation, code: str) -> str:
    counts = Counter(r.outcome.value for r in evaluation.results if r.rule == code)
    return " ".join(f"{k}={counts[k]}" for k in sorted(counts))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100,1000,5000")
    args = parser.parse_args()
    rules = [r for r in RULES if r.code.startswith(CODES)]
    print(
        f"{'VMs':>6} {'rules':>5} {'results':>8} {'seconds':>8} {'us/result':>10}  "
        f"{'ASR008':<28} ASR009"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        snapshot = estate(size)
        assert snapshot.plan is not None
        start = time.perf_counter()
        evaluation = evaluate(snapshot, snapshot.plan, rules)
        elapsed = time.perf_counter() - start
        n = len(evaluation.results)
        print(
            f"{size:>6} {len(rules):>5} {n:>8} {elapsed:>8.3f} {elapsed / n * 1e6:>10.1f}  "
            f"{said(evaluation, 'ASR008'):<28} {said(evaluation, 'ASR009')}"
        )


if __name__ == "__main__":
    main()
