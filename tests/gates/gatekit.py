"""Evaluations for the gates tests (imported by the test modules beside it), built through the real engine with two small rules.

A VM's name decides its outcomes: ``bad`` in the name fails TST201, ``warn`` warns on TST201,
``unk`` makes TST201 unknown (a missing NIC), ``old`` fails TST501; everything else passes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from asr_preflight.api import Finding, RuleContext, failed, passed, vm_rule, warned
from asr_preflight.engine import Evaluation, evaluate
from asr_preflight.snapshot import VirtualMachine
from asr_preflight.testing import make_snapshot, make_vm

DOC = """{title}

## What it checks
The `{what}` of the VM.

## Why it matters
Replication breaks otherwise.

## How to fix
Fix the {what}.

## References
- https://learn.microsoft.com/azure/site-recovery/azure-to-azure-support-matrix
"""


def _doc(title: str, what: str) -> Callable[[Callable[..., Finding]], Callable[..., Finding]]:
    def wrap(func: Callable[..., Finding]) -> Callable[..., Finding]:
        func.__doc__ = DOC.format(title=title, what=what)
        return func

    return wrap


@vm_rule(code="TST201", name="outbound-test", severity="fail")
@_doc("Outbound connectivity works.", "outbound rules")
def outbound(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    if "unk" in vm.name:
        ctx.nic("/subscriptions/x/resourceGroups/y/providers/Microsoft.Network/networkInterfaces/z")
    if "bad" in vm.name:
        return failed(vm, f"{vm.name}: outbound to storage is blocked; it must be allowed")
    if "warn" in vm.name:
        return warned(vm, f"{vm.name}: outbound goes through a proxy; it should be direct")
    return passed(vm, f"{vm.name}: outbound is allowed")


@vm_rule(code="TST501", name="agent-version", severity="fail")  # it fails: declared so
@_doc("The VM agent is recent.", "agent version")
def agent(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    if "old" in vm.name:
        return failed(vm, f"{vm.name}: agent 2.0 is too old; 2.7 or later is expected")
    return passed(vm, f"{vm.name}: agent is recent")


RULES = (outbound, agent)


def build(names: Iterable[str]) -> Evaluation:
    snapshot = make_snapshot(vms=[make_vm(n) for n in names])
    assert snapshot.plan is not None
    return evaluate(snapshot, snapshot.plan, RULES)


def results_json(evaluation: Evaluation) -> dict[str, object]:
    """The DESIGN.md results.json shape (no per-result VM id, as the minimal contract has it)."""
    return {
        "schema": "asr-preflight/results/v1",
        "verdict": str(evaluation.verdict),
        "vms": [{"name": v.name, "id": v.id, "verdict": str(v.verdict)} for v in evaluation.vms],
        "results": [
            {
                "rule": r.rule,
                "name": r.name,
                "vm": r.vm,
                "target": r.target,
                "outcome": str(r.outcome),
                "severity": str(r.severity),
                "message": r.message,
            }
            for r in evaluation.results
        ],
    }
