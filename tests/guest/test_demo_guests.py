"""The demo estate's in-guest story: every ASR3xx rule shows a pass and a failure, the three
always-ready VMs stay clean, and the guest that refused the checker is unknown."""

from __future__ import annotations

import pytest

from asr_preflight.api import Outcome
from asr_preflight.demo import load_demo
from asr_preflight.engine import Evaluation, evaluate, load_rules


@pytest.fixture(scope="module")
def evaluation() -> Evaluation:
    plan, snapshot = load_demo()
    return evaluate(snapshot, plan, [r for r in load_rules() if r.code.startswith("ASR3")])


@pytest.mark.parametrize(
    "code", [*(f"ASR30{i}" for i in range(1, 10)), "ASR311", "ASR312", "ASR313"]
)
def test_each_guest_rule_passes_and_fails_somewhere(evaluation: Evaluation, code: str) -> None:
    outcomes = {r.outcome for r in evaluation.results if r.rule == code}
    assert {Outcome.PASS, Outcome.FAIL} <= outcomes


def test_always_ready_vms_stay_clean(evaluation: Evaluation) -> None:
    for r in evaluation.results:
        if r.vm in ("vm-web-02", "vm-app-02", "vm-win-iis-01"):
            assert r.outcome in (Outcome.PASS, Outcome.SKIP), (r.rule, r.vm, r.message)


@pytest.mark.parametrize(
    ("vm", "why"), [("vm-win-ad-01", "WinRM certificate"), ("vm-win-file-01", "no WinRM answer")]
)
def test_unreachable_guests_are_unknown_with_the_reason(
    evaluation: Evaluation, vm: str, why: str
) -> None:
    mine = [r for r in evaluation.results if r.vm == vm and r.outcome != Outcome.SKIP]
    assert mine and all(r.outcome == Outcome.UNKNOWN for r in mine)
    assert all(why in r.message for r in mine)


def test_filtered_20004_pair(evaluation: Evaluation) -> None:
    [pair] = [r for r in evaluation.results if r.target == "vm-sap-app-01 -> vm-sap-db-01"]
    assert pair.outcome == Outcome.FAIL and pair.vm == "vm-sap-app-01"
