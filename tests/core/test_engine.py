"""The engine's guarantees: discovery validates packs, and every (rule, target) gets one outcome."""

from __future__ import annotations

import pytest

from asr_preflight.api import (
    Finding,
    MissingFact,
    Outcome,
    RuleContext,
    estate_rule,
    failed,
    pair_rule,
    passed,
    vm_rule,
    warned,
)
from asr_preflight.engine import (
    ExitCode,
    Verdict,
    evaluate,
    exit_code,
    run_verdict,
    verdict_of,
)
from asr_preflight.snapshot import FactError, VirtualMachine
from asr_preflight.testing import make_plan, make_snapshot, make_vm

DOC = """{title}

## What it checks
Something.

## Why it matters
Because.

## How to fix
Fix it.

## References
- https://learn.microsoft.com/azure/site-recovery/
"""


def _documented(func):  # type: ignore[no-untyped-def]
    func.__doc__ = DOC.format(title=f"Test rule {func.__name__}.")
    return func


@vm_rule(code="TST001", name="always-pass", severity="fail")
@_documented
def always_pass(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    return passed(vm, f"{vm.name} fine")


@vm_rule(code="TST002", name="crash-on-b", severity="fail")
@_documented
def crash_on_b(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    if vm.name == "b":
        raise KeyError("boom")
    return passed(vm, "ok")


@vm_rule(code="TST003", name="needs-nic", severity="fail")
@_documented
def needs_nic(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    nic = ctx.primary_nic(vm)
    return passed(vm, nic.name)


# -- fail-closed evaluation ---------------------------------------------------------------------


def test_crash_in_one_rule_for_one_vm_is_that_pair_unknown_only() -> None:
    snap = make_snapshot(vms=[make_vm("a"), make_vm("b"), make_vm("c")])
    ev = evaluate(snap, make_plan(), [always_pass, crash_on_b])
    by = {(r.rule, r.vm): r for r in ev.results}
    assert len(ev.results) == 6
    assert by[("TST002", "b")].outcome is Outcome.UNKNOWN
    assert "KeyError" in by[("TST002", "b")].message
    assert by[("TST002", "a")].outcome is Outcome.PASS
    assert by[("TST001", "b")].outcome is Outcome.PASS
    assert len(ev.rule_errors) == 1 and ev.rule_errors[0].startswith("TST002 [b]")
    assert {v.name: v.verdict for v in ev.vms} == {
        "a": Verdict.READY,
        "b": Verdict.UNKNOWN,
        "c": Verdict.READY,
    }


def test_missing_fact_is_unknown_with_the_collectors_hint() -> None:
    vm = make_vm("a")
    err = FactError("network", f"/subscriptions/{vm.subscription_id}", "HTTP 403", "needs Reader")
    snap = make_snapshot(vms=[vm], errors=(err,))
    [result] = evaluate(snap, make_plan(), [needs_nic]).results
    assert result.outcome is Outcome.UNKNOWN
    assert "HTTP 403" in result.message and result.hint == "needs Reader"


def test_missing_fact_without_a_recorded_error_is_still_unknown() -> None:
    [result] = evaluate(make_snapshot(vms=[make_vm("a")]), make_plan(), [needs_nic]).results
    assert result.outcome is Outcome.UNKNOWN
    assert "not in the snapshot" in result.message


def test_the_most_specific_fact_error_explains() -> None:
    vm = make_vm("a")
    broad = FactError("network", f"/subscriptions/{vm.subscription_id}", "broad", "b")
    narrow = FactError("network", vm.primary_nic_id or "", "narrow", "n")
    other_kind = FactError("vms", vm.primary_nic_id or "", "wrong kind", "w")
    snap = make_snapshot(vms=[vm], errors=(broad, other_kind, narrow))
    [result] = evaluate(snap, make_plan(), [needs_nic]).results
    assert "narrow" in result.message and result.hint == "n"


def test_rule_returning_something_else_is_unknown() -> None:
    @vm_rule(code="TST004", name="returns-none", severity="fail")
    @_documented
    def returns_none(ctx: RuleContext, vm: VirtualMachine) -> Finding:
        return None  # type: ignore[return-value]

    [result] = evaluate(make_snapshot(vms=[make_vm("a")]), make_plan(), [returns_none]).results
    assert result.outcome is Outcome.UNKNOWN
    assert "NoneType" in result.message


def test_rule_answering_for_another_vm_is_unknown() -> None:
    other = make_vm("other")

    @vm_rule(code="TST005", name="wrong-vm", severity="fail")
    @_documented
    def wrong_vm(ctx: RuleContext, vm: VirtualMachine) -> Finding:
        return passed(other, "ok")

    [result] = evaluate(make_snapshot(vms=[make_vm("a")]), make_plan(), [wrong_vm]).results
    assert result.outcome is Outcome.UNKNOWN and result.vm == "a"


def test_estate_rule_silent_about_a_vm_gives_it_unknown_and_worst_wins() -> None:
    @estate_rule(code="TST006", name="partial", severity="fail")
    @_documented
    def partial(ctx: RuleContext) -> list[Finding]:
        a = ctx.vm_named("a")
        assert a is not None
        return [passed(a, "ok"), failed(a, "worse"), warned(a, "meh")]

    snap = make_snapshot(vms=[make_vm("a"), make_vm("b")])
    results = {r.vm: r for r in evaluate(snap, make_plan(), [partial]).results}
    assert results["a"].outcome is Outcome.FAIL and results["a"].message == "worse"
    assert results["b"].outcome is Outcome.UNKNOWN


def test_estate_rule_crash_makes_every_vm_unknown() -> None:
    @estate_rule(code="TST007", name="crashes", severity="fail")
    @_documented
    def crashes(ctx: RuleContext) -> list[Finding]:
        raise ZeroDivisionError

    snap = make_snapshot(vms=[make_vm("a"), make_vm("b")])
    ev = evaluate(snap, make_plan(), [crashes])
    assert [r.outcome for r in ev.results] == [Outcome.UNKNOWN, Outcome.UNKNOWN]
    assert ev.verdict is Verdict.UNKNOWN and ev.rule_errors


def test_estate_rule_missing_fact_is_unknown_with_hint() -> None:
    @estate_rule(code="TST008", name="needs-quota", severity="fail")
    @_documented
    def needs_quota(ctx: RuleContext) -> list[Finding]:
        raise MissingFact("quota could not be read", "needs Reader")

    ev = evaluate(make_snapshot(vms=[make_vm("a")]), make_plan(), [needs_quota])
    assert ev.results[0].outcome is Outcome.UNKNOWN and ev.results[0].hint == "needs Reader"


def test_pair_rule_covers_every_ordered_pair_and_skips_ungrouped_vms() -> None:
    seen: list[tuple[str, str]] = []

    @pair_rule(code="TST010", name="pairs", severity="fail")
    @_documented
    def pairs(ctx: RuleContext, group: object, vm: VirtualMachine, peer: VirtualMachine) -> Finding:
        seen.append((vm.name, peer.name))
        if (vm.name, peer.name) == ("b", "a"):
            raise RuntimeError("probe exploded")
        return passed(vm, "open")

    plan = make_plan(groups=[{"name": "g", "vms": ["a", "B", "c"]}])
    snap = make_snapshot(vms=[make_vm(n) for n in "abcd"], plan=plan)
    ev = evaluate(snap, plan, [pairs])
    assert sorted(seen) == sorted(
        [("a", "b"), ("a", "c"), ("b", "a"), ("b", "c"), ("c", "a"), ("c", "b")]
    )
    targets = {r.target: r.outcome for r in ev.results}
    assert targets["b -> a"] is Outcome.UNKNOWN
    assert targets["a -> b"] is Outcome.PASS
    [d] = [r for r in ev.results if r.vm == "d"]
    assert d.outcome is Outcome.SKIP
    labels = {r.label for r in ev.results}
    assert "TST010 pairs [a -> c]" in labels and "TST010 pairs [d]" in labels


def test_group_with_a_single_selected_member_is_unknown_not_silently_fine() -> None:
    @pair_rule(code="TST011", name="pairs-two", severity="fail")
    @_documented
    def pairs_two(
        ctx: RuleContext, group: object, vm: VirtualMachine, peer: VirtualMachine
    ) -> Finding:
        return passed(vm, "open")

    plan = make_plan(groups=[{"name": "g", "vms": ["a", "missing-vm"]}])
    ev = evaluate(make_snapshot(vms=[make_vm("a")], plan=plan), plan, [pairs_two])
    assert [r.outcome for r in ev.results] == [Outcome.UNKNOWN]


# -- verdicts and exit codes --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcomes", "verdict"),
    [
        ([], Verdict.READY),
        ([Outcome.PASS, Outcome.SKIP, Outcome.WAIVED], Verdict.READY),
        ([Outcome.PASS, Outcome.WARN], Verdict.CONDITIONS),
        ([Outcome.WARN, Outcome.UNKNOWN], Verdict.UNKNOWN),
        ([Outcome.UNKNOWN, Outcome.FAIL, Outcome.WARN], Verdict.NOT_READY),
    ],
)
def test_vm_verdict(outcomes: list[Outcome], verdict: Verdict) -> None:
    assert verdict_of(outcomes) is verdict


def test_run_verdict_is_the_worst_and_empty_is_unknown() -> None:
    ev = evaluate(make_snapshot(vms=[make_vm("a")]), make_plan(), [always_pass])
    assert ev.verdict is Verdict.READY
    assert run_verdict([]) is Verdict.UNKNOWN
    ev2 = evaluate(make_snapshot(vms=[make_vm("a"), make_vm("b")]), make_plan(), [crash_on_b])
    assert ev2.verdict is Verdict.UNKNOWN


@pytest.mark.parametrize(
    ("verdict", "strict", "code"),
    [
        (Verdict.READY, False, ExitCode.READY),
        (Verdict.READY, True, ExitCode.READY),
        (Verdict.CONDITIONS, False, ExitCode.READY),
        (Verdict.CONDITIONS, True, ExitCode.WARNINGS_STRICT),
        (Verdict.NOT_READY, False, ExitCode.NOT_READY),
        (Verdict.UNKNOWN, True, ExitCode.UNKNOWN),
    ],
)
def test_exit_codes_match_the_design(verdict: Verdict, strict: bool, code: int) -> None:
    assert exit_code(verdict, strict=strict) == code
    assert (ExitCode.READY, ExitCode.NOT_READY, ExitCode.USAGE) == (0, 1, 2)
    assert (ExitCode.UNKNOWN, ExitCode.WARNINGS_STRICT, ExitCode.INTERNAL) == (3, 4, 5)
