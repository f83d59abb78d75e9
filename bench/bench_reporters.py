"""How long each reporter takes, and how big its file is, for large estates.

    .venv/bin/python bench/bench_reporters.py [VMS ...]     # default: 1000 10000

A synthetic evaluation: every installed rule for every VM, about 5% of results fail, 3% warn,
2% unknown, 5% skip; messages of realistic length.
"""

from __future__ import annotations

import io
import random
import sys
import time
from datetime import UTC, datetime

from asr_preflight.api import Outcome
from asr_preflight.engine import Evaluation, Result, VmVerdict, load_rules, run_verdict, verdict_of
from asr_preflight.reporters import FILE_REPORTERS, RunInfo, console, gc_paused

WEIGHTS = {
    Outcome.PASS: 85,
    Outcome.FAIL: 5,
    Outcome.WARN: 3,
    Outcome.UNKNOWN: 2,
    Outcome.SKIP: 5,
}


def synthetic(vm_count: int, seed: int = 7) -> Evaluation:
    rng = random.Random(seed)
    rules = load_rules()
    outcomes = list(WEIGHTS)
    weights = list(WEIGHTS.values())
    results: list[Result] = []
    vms: list[VmVerdict] = []
    for i in range(vm_count):
        name = f"vm-{i:05d}"
        vm_id = (
            "/subscriptions/11111111-1111-4111-8111-111111111111/resourceGroups/rg-"
            f"{i % 40:02d}/providers/Microsoft.Compute/virtualMachines/{name}"
        )
        mine = []
        for rule in rules:
            outcome = rng.choices(outcomes, weights)[0]
            message = f"{name}: {rule.title} observed value {rng.randint(0, 999)}; expected another"
            hint = "do the documented fix" if outcome is not Outcome.PASS else ""
            results.append(
                Result(
                    rule.code,
                    rule.name,
                    rule.area,
                    rule.severity,
                    name,
                    vm_id,
                    vm_id,
                    outcome,
                    message,
                    hint,
                )
            )
            mine.append(outcome)
        vms.append(VmVerdict(name, vm_id, verdict_of(mine), {o: mine.count(o) for o in Outcome}))
    return Evaluation(run_verdict(vms), tuple(vms), tuple(results), rules)


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [1000, 10000]
    info = RunInfo("bench", datetime.now(UTC).isoformat(), target_region="westus2")
    print(f"{'VMs':>7} {'results':>9} {'format':<8} {'seconds':>8} {'MB':>8}")
    for size in sizes:
        evaluation = synthetic(size)
        for name, reporter in FILE_REPORTERS.items():
            start = time.perf_counter()
            with gc_paused():  # as write_reports does
                text = reporter.text(evaluation, info)
            took = time.perf_counter() - start
            mb = len(text.encode()) / 1e6
            print(f"{size:>7} {len(evaluation.results):>9} {name:<8} {took:>8.2f} {mb:>8.1f}")
        buffer = io.StringIO()
        start = time.perf_counter()
        console.render(evaluation, info, console=console.make_console(buffer))
        took = time.perf_counter() - start
        mb = len(buffer.getvalue().encode()) / 1e6
        print(f"{size:>7} {len(evaluation.results):>9} {'console':<8} {took:>8.2f} {mb:>8.1f}")


if __name__ == "__main__":
    main(sys.argv[1:])
