"""--fail-on / --strict / --fail-on-new mapped onto the exit codes of DESIGN.md."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from gatekit import build, results_json

from asr_preflight.baseline import mark, scan_of
from asr_preflight.engine import Evaluation, exit_code
from asr_preflight.gate import GateError, GateRun, Gates, gate_exit_code, gated_outcomes
from asr_preflight.testing import make_plan


def run_gates(evaluation: Evaluation, *, today: date | None = None, **options: Any) -> GateRun:
    """Load the gates as the CLI does, then apply them."""
    return Gates.load(**options).apply(evaluation, today)


@pytest.mark.parametrize(
    ("names", "fail_on", "strict", "code"),
    [
        (["vm-ok"], [], False, 0),
        (["vm-warn"], [], False, 0),
        (["vm-warn"], [], True, 4),
        (["vm-unk", "vm-warn"], [], True, 3),
        (["vm-bad", "vm-unk"], [], False, 1),
        (["vm-unk"], ["fail"], False, 0),  # only failures gate
        (["vm-unk"], ["fail"], True, 0),
        (["vm-warn"], ["fail"], True, 4),  # --strict adds warn to an explicit set too
        (["vm-warn"], ["warn"], False, 4),
        (["vm-bad", "vm-warn"], ["warn"], False, 4),  # fail not gated: the warn decides
        (["vm-bad", "vm-unk"], ["unknown", "warn"], False, 3),
        (["vm-bad", "vm-unk"], ["fail,unknown"], False, 1),
        ([], [], False, 3),  # nothing selected: unknown
        ([], ["fail"], False, 0),
    ],
)
def test_gate(names: list[str], fail_on: list[str], strict: bool, code: int) -> None:
    assert gate_exit_code(build(names), gated_outcomes(fail_on, strict=strict)) == code


@pytest.mark.parametrize(
    "names", [["vm-ok"], ["vm-warn"], ["vm-unk", "vm-warn"], ["vm-bad", "vm-unk"], []]
)
@pytest.mark.parametrize("strict", [False, True])
def test_the_default_gate_is_the_engines_exit_code(names: list[str], strict: bool) -> None:
    ev = build(names)
    assert gate_exit_code(ev, gated_outcomes(strict=strict)) == exit_code(ev.verdict, strict=strict)


def test_fail_on_new_gates_only_on_new_problems() -> None:
    base = scan_of(build(["vm-a-bad", "vm-b-unk"]))
    same, _ = mark(build(["vm-a-bad", "vm-b-unk"]), base)
    assert gate_exit_code(same, gated_outcomes(), only_new=True) == 0
    assert gate_exit_code(same, gated_outcomes()) == 1
    worse, _ = mark(build(["vm-a-bad", "vm-b-unk", "vm-c-unk"]), base)
    assert gate_exit_code(worse, gated_outcomes(), only_new=True) == 3


def test_fail_on_new_with_no_vm_selected_is_unknown_not_ready() -> None:
    """A run that selected no VM checked nothing: every baseline problem is merely "gone", and
    --fail-on-new must not turn that unknown run into exit 0 (a CI gate gone green)."""
    base = scan_of(build(["vm-a-bad", "vm-b-unk"]))
    empty, _ = mark(build([]), base)
    assert gate_exit_code(empty, gated_outcomes(), only_new=True) == 3
    assert gate_exit_code(empty, gated_outcomes(["fail"]), only_new=True) == 0  # not gated


def test_bad_fail_on_values_are_refused() -> None:
    for bad in ("pass", "error", "skip"):
        with pytest.raises(GateError, match="expected fail, warn or unknown"):
            gated_outcomes([bad])


def test_run_gates_waives_then_marks_then_gates(tmp_path: Path) -> None:
    base = tmp_path / "old.json"
    base.write_text(json.dumps(results_json(build(["vm-a-bad"]))))
    waivers = tmp_path / "w.toml"
    waivers.write_text(
        '[[waivers]]\nrule = "TST201"\ntarget = "vm-b-*"\njustification = "accepted"\n'
        'owner = "me@contoso.com"\nexpires = 2027-01-31\n'
    )
    run = run_gates(
        build(["vm-a-bad", "vm-b-bad", "vm-c-unk"]),
        waivers_file=waivers,
        baseline=base,
        fail_on_new=True,
        today=date(2026, 11, 25),
    )
    marks = {
        r.vm: (r.outcome.value, r.change) for r in run.evaluation.results if r.rule == "TST201"
    }
    assert marks == {
        "vm-a-bad": ("fail", "unchanged"),
        "vm-b-bad": ("waived", ""),  # a waived problem is not new
        "vm-c-unk": ("unknown", "new"),
    }
    assert run.exit_code == 3  # the only new problem is an unknown
    assert run.notes() == ["against the baseline: 1 new problem(s), 1 unchanged, 0 fixed, 0 gone"]


def test_run_gates_refuses_fail_on_new_without_a_baseline() -> None:
    with pytest.raises(GateError, match="--fail-on-new needs --baseline"):
        run_gates(build(["vm-a"]), fail_on_new=True)


def test_run_gates_applies_plan_waivers() -> None:
    plan = make_plan(
        waivers=[
            {
                "rule": "TST201",
                "target": "*",
                "justification": "j",
                "owner": "o",
                "expires": "2026-01-01",
            }
        ]
    )
    run = run_gates(build(["vm-bad"]), plan_waivers=plan.waivers, today=date(2026, 11, 25))
    assert run.exit_code == 1  # the waiver expired
    assert run.notes()[0].startswith("expired waiver no longer applies: plan [[waivers]] #1:")
