"""A small evaluation with every outcome, verdict, area and a hostile VM name, for the I/O tests.

The rules here are scripted: a VM's tag named after the rule code says which outcome it gets.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from asr_preflight.api import (
    Finding,
    Outcome,
    Rule,
    RuleContext,
    failed,
    pair_rule,
    passed,
    skipped,
    vm_rule,
    warned,
)
from asr_preflight.engine import Evaluation, evaluate
from asr_preflight.plan import Group
from asr_preflight.reporters import RunInfo
from asr_preflight.snapshot import Snapshot, VirtualMachine
from asr_preflight.testing import make_plan, make_snapshot, make_vm

HOSTILE = "<script>alert(1)</script>"
DOC = """{title}

## What it checks
Whatever its tag says, for `tests` only.

## Why it matters
Reporters must show <every> outcome & escape it.

## How to fix
- Change the tag.
- Or the `test`.

## References
- https://learn.microsoft.com/azure/site-recovery/azure-to-azure-support-matrix
"""


def _scripted(ctx: RuleContext, vm: VirtualMachine, code: str) -> Finding:
    wanted = vm.tags.get(code, "pass")
    if wanted == "fail":
        return failed(vm, f"{vm.name}: {code} failed <b>badly</b>", hint=f"fix {vm.name}")
    if wanted == "warn":
        return warned(vm, f"{vm.name}: {code} warns", hint="consider it")
    if wanted == "unknown":
        raise ctx.missing("network", vm.id, f"the {code} facts of {vm.name}")
    if wanted == "skip":
        return skipped(vm, "in-guest checks were not requested")
    if wanted == "crash":
        raise RuntimeError("scripted crash")
    return passed(vm, f"{vm.name}: {code} is fine")


def scripted_rule(code: str, name: str, severity: str = "fail") -> Rule:
    def check(ctx: RuleContext, vm: VirtualMachine) -> Finding:
        return _scripted(ctx, vm, code)

    check.__doc__ = DOC.format(title=f"Scripted rule {code}.")
    return vm_rule(code=code, name=name, severity=severity)(check)


def _pair(ctx: RuleContext, group: Group, vm: VirtualMachine, peer: VirtualMachine) -> Finding:
    return passed(vm, f"{vm.name} reaches {peer.name}")


_pair.__doc__ = DOC.format(title="Scripted pair rule.")
PAIR = pair_rule(code="TST009", name="scripted-pair", severity="fail")(_pair)

RULES: tuple[Rule, ...] = (
    scripted_rule("TST001", "scripted-plan"),
    PAIR,
    scripted_rule("TST101", "scripted-capacity", "warn"),
    scripted_rule("TST201", "scripted-network"),
    scripted_rule("TST301", "scripted-guest"),
    scripted_rule("TST401", "scripted-identity"),
    scripted_rule("TST501", "scripted-vm"),
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def sample_vms() -> list[VirtualMachine]:
    return [
        make_vm("vm-ok-01"),
        make_vm("vm-warn-01", tags={"TST101": "warn", "TST301": "skip"}),
        make_vm("vm-fail-01", tags={"TST201": "fail", "TST101": "warn"}),
        make_vm("vm-unknown-01", tags={"TST401": "unknown"}),
        make_vm(HOSTILE, tags={"TST501": "fail"}),
    ]


def sample_snapshot(vms: list[VirtualMachine] | None = None) -> Snapshot:
    plan = make_plan(groups=[{"name": "pair", "vms": ["vm-ok-01", "vm-warn-01"]}])
    return make_snapshot(vms=sample_vms() if vms is None else vms, plan=plan)


def sample_evaluation(snapshot: Snapshot | None = None) -> Evaluation:
    snap = snapshot or sample_snapshot()
    assert snap.plan is not None
    evaluation = evaluate(snap, snap.plan, RULES)
    return waive(evaluation, "TST001", "vm-ok-01", "accepted by the DR board, ticket 42")


def waive(evaluation: Evaluation, rule: str, vm: str, why: str) -> Evaluation:
    """Mark one result waived, as the waiver feature will."""
    results = tuple(
        replace(r, outcome=Outcome.WAIVED, waiver=why) if (r.rule, r.vm) == (rule, vm) else r
        for r in evaluation.results
    )
    return replace(evaluation, results=results)


def sample_info() -> RunInfo:
    snap = sample_snapshot()
    assert snap.plan is not None
    return RunInfo.of(snap, snap.plan, now=NOW)
