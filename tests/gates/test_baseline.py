"""Baselines: new / unchanged / fixed marks, the comparison behind `diff`, and bad inputs."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from gatekit import build, results_json

from asr_preflight.api import Outcome
from asr_preflight.baseline import (
    BaselineError,
    classify,
    compare,
    comparison_to_json,
    diff_lines,
    load_scan,
    mark,
    scan_from_json,
    scan_of,
)
from asr_preflight.plan import Waiver
from asr_preflight.waivers import apply_waivers

Oc = Outcome


@pytest.mark.parametrize(
    ("old", "new", "change"),
    [
        (None, Oc.FAIL, "new"),
        (Oc.PASS, Oc.FAIL, "new"),
        (Oc.WARN, Oc.FAIL, "new"),
        (Oc.WAIVED, Oc.FAIL, "new"),  # an expired waiver brings its problem back as new
        (Oc.FAIL, Oc.FAIL, "unchanged"),
        (Oc.FAIL, Oc.UNKNOWN, "unchanged"),
        (Oc.UNKNOWN, Oc.WARN, "unchanged"),
        (Oc.WARN, Oc.UNKNOWN, "new"),
        (Oc.FAIL, Oc.PASS, "fixed"),
        (Oc.UNKNOWN, Oc.SKIP, "fixed"),
        (Oc.PASS, Oc.PASS, None),
        (None, Oc.PASS, None),
        (Oc.FAIL, Oc.WAIVED, None),
    ],
)
def test_classification(old: Outcome | None, new: Outcome, change: str | None) -> None:
    got = classify(old, new)
    assert (got.value if got else None) == change


def _baseline(names: list[str]):  # type: ignore[no-untyped-def]
    return scan_from_json(json.loads(json.dumps(results_json(build(names)))))


def test_marks_against_a_results_json_baseline() -> None:
    old = _baseline(["vm-a-bad", "vm-b-bad", "vm-c", "vm-gone-bad"])
    marked, cmp = mark(build(["vm-a-bad", "vm-b", "vm-c-old", "vm-new-warn"]), old)
    changes = {(r.rule, r.vm): r.change for r in marked.results if r.change}
    assert changes == {
        ("TST201", "vm-a-bad"): "unchanged",
        ("TST501", "vm-c-old"): "new",
        ("TST201", "vm-new-warn"): "new",
    }
    # vm-b-bad was renamed: a different VM id, so its old failure is gone, not fixed
    assert [t.entry.vm for t in cmp.gone] == ["vm-b-bad", "vm-gone-bad"]
    assert cmp.added_vms == ("vm-b", "vm-c-old", "vm-new-warn")
    assert cmp.removed_vms == ("vm-b-bad", "vm-c", "vm-gone-bad")


def test_a_fixed_result_is_marked_fixed() -> None:
    old = _baseline(["vm-x"])
    # same VM id, outcome pass now where it failed before: rewrite the old result to fail
    data = results_json(build(["vm-x"]))
    for r in data["results"]:  # type: ignore[attr-defined]
        r["outcome"] = "fail"
    old = scan_from_json(data)
    marked, cmp = mark(build(["vm-x"]), old)
    assert {r.change for r in marked.results} == {"fixed"}
    assert len(cmp.fixed) == 2 and not cmp.new


def test_diff_of_two_scans_reports_verdicts_vms_and_results(tmp_path: Path) -> None:
    old_path, new_path = tmp_path / "old.json", tmp_path / "new.json"
    old_path.write_text(json.dumps(results_json(build(["vm-a", "vm-b-warn"]))))
    waived, _ = apply_waivers(
        build(["vm-a-bad", "vm-b-warn"]),
        [
            Waiver(
                rule="TST201",
                target="vm-b-warn",
                justification="j",
                owner="o",
                expires=date(2030, 1, 1),
            )
        ],
        date(2026, 11, 25),
    )
    new_path.write_text(json.dumps(results_json(waived)))
    cmp = compare(load_scan(old_path), load_scan(new_path))
    assert (cmp.old_verdict, cmp.new_verdict) == ("ready-with-conditions", "not-ready")
    lines = diff_lines(cmp)
    assert lines[0] == "verdict: ready-with-conditions -> not-ready"
    assert "VMs added (1): vm-a-bad" in lines and "VMs removed (1): vm-a" in lines
    assert any(
        line.startswith("waived  TST201 outbound-test [vm-b-warn]: warn -> waived")
        for line in lines
    )
    as_json = comparison_to_json(cmp)
    assert [(r["vm"], r["old"], r["new"]) for r in as_json["new"]] == [("vm-a-bad", None, "fail")]
    assert cmp.changed
    assert not compare(load_scan(old_path), load_scan(old_path)).changed


def test_in_memory_and_json_scans_agree() -> None:
    ev = build(["vm-a-bad", "vm-b-unk"])
    assert scan_of(ev).entries.keys() == scan_from_json(results_json(ev)).entries.keys()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "not valid JSON"),
        ('{"schema": "asr-preflight/snapshot/v1"}', "schema is 'asr-preflight/snapshot/v1'"),
        ('{"schema": "asr-preflight/results/v1", "vms": []}', "malformed results file"),
        ("[1]", "schema is None"),
    ],
)
def test_unreadable_baselines_are_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "results.json"
    path.write_text(content)
    with pytest.raises(BaselineError, match=message):
        load_scan(path)
    with pytest.raises(BaselineError, match="cannot read"):
        load_scan(tmp_path / "absent.json")
