"""SARIF that GitHub code scanning accepts: physical locations, at most 25,000 results per run,
a category that is not hard-coded; checked by the SARIF multitool's GitHub rules where it is
installed (``make test`` installs it from npm) and by the documented upload requirements."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from gatekit import build
from typer.testing import CliRunner

from asr_preflight.api import Outcome
from asr_preflight.cli import app
from asr_preflight.reporters import RunInfo, sarif

SCHEMA = json.loads((Path(__file__).parents[1] / "data" / "sarif-schema-2.1.0.json").read_text())
TOOLS = Path(os.environ.get("ASR_NPM_TOOLS", Path(__file__).parents[2] / ".cache" / "npm-tools"))
MULTITOOL = TOOLS / "node_modules" / "@microsoft" / "sarif-multitool-linux" / "Sarif.Multitool"
PLAN = """\
[azure]
subscriptions = ["00000000-0000-0000-0000-0000000000a1"]

[select]
resource_groups = ["prod-rg"]

[target]
region = "westus2"

[guest]
address = "private"
"""


def github_requirements(doc: dict[str, Any]) -> list[str]:
    """What GitHub's SARIF upload documents and enforces, as checks: SARIF 2.1.0 against the
    schema; per run at most 25,000 results, 1,000 rules; every result with a ruleId, a message
    text and at least one location with a physical artifact URI (relative, or file:) and, when
    a region is given, a startLine >= 1; partialFingerprints present."""
    problems: list[str] = []
    jsonschema.Draft4Validator(SCHEMA).validate(doc)
    if doc.get("version") != "2.1.0":
        problems.append("version is not 2.1.0")
    for i, run in enumerate(doc["runs"]):
        results = run.get("results", [])
        if len(results) > 25_000:
            problems.append(f"run {i}: {len(results)} results (GitHub keeps 25,000)")
        if len(run["tool"]["driver"].get("rules", [])) > 1_000:
            problems.append(f"run {i}: more than 1,000 rules")
        for j, result in enumerate(results):
            where = f"runs[{i}].results[{j}]"
            if not result.get("ruleId"):
                problems.append(f"{where}: no ruleId")
            if not result.get("message", {}).get("text"):
                problems.append(f"{where}: no message text")
            if not result.get("partialFingerprints"):
                problems.append(f"{where}: no partialFingerprints")
            locations = result.get("locations") or []
            if not locations:
                problems.append(f"{where}: no location")
            for location in locations:
                physical = location.get("physicalLocation") or {}
                uri = physical.get("artifactLocation", {}).get("uri", "")
                if not uri:
                    problems.append(f"{where}: expected artifact location")
                elif "://" in uri and not uri.startswith("file:"):
                    problems.append(f"{where}: artifact URI {uri!r} is not a file")
                line = physical.get("region", {}).get("startLine", 1)
                if not isinstance(line, int) or line < 1:
                    problems.append(f"{where}: startLine {line!r}")
    return problems


def multitool(path: Path, tmp_path: Path) -> list[dict[str, Any]]:
    """The SARIF multitool's GitHub (Ghas) and SARIF rules: the errors and warnings it reports."""
    if not MULTITOOL.exists():
        reason = (
            "SARIF MULTITOOL CHECKS NOT RUN: @microsoft/sarif-multitool is not installed in "
            f"{TOOLS} (`make test` installs it with npm)"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}, and CI=true requires it")
        pytest.skip(reason)
    out = tmp_path / "validation.sarif"
    done = subprocess.run(
        [
            str(MULTITOOL),
            "validate",
            "--rule-kind",
            "Ghas;Sarif",
            "--level",
            "Error;Warning",
            "-o",
            str(out),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.exists(), done.stdout + done.stderr
    found: list[dict[str, Any]] = json.loads(out.read_text())["runs"][0]["results"]
    return found


def demo(tmp_path: Path, *args: str) -> dict[str, Any]:
    got = CliRunner().invoke(
        app, ["demo", "--format", "sarif", "--output-dir", str(tmp_path), *args]
    )
    assert got.exit_code == 1, got.output
    doc: dict[str, Any] = json.loads((tmp_path / "results.sarif").read_text())
    return doc


def test_the_demo_sarif_has_a_physical_location_on_every_result(tmp_path: Path) -> None:
    doc = demo(tmp_path)
    assert github_requirements(doc) == []
    results = doc["runs"][0]["results"]
    assert results
    for result in results:
        physical = result["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == "demo/plan.toml"
        assert physical["region"]["startLine"] > 1  # the key's line, not the file's head
    assert doc["runs"][0]["automationDetails"]["id"] == "asr-preflight/demo/plan/"


def test_the_demo_sarif_passes_the_multitool_github_rules(tmp_path: Path) -> None:
    demo(tmp_path)
    findings = multitool(tmp_path / "results.sarif", tmp_path)
    assert [(f["ruleId"], f["message"]) for f in findings if f["ruleId"].startswith("GH")] == []
    assert [f for f in findings if f.get("level") == "error"] == []


def test_the_multitool_check_itself_catches_a_result_without_location(tmp_path: Path) -> None:
    doc = demo(tmp_path)
    doc["runs"][0]["results"][0]["locations"] = []
    bad = tmp_path / "bad.sarif"
    bad.write_text(json.dumps(doc))
    assert any(f["ruleId"].startswith("GH") for f in multitool(bad, tmp_path))
    assert github_requirements(doc) == ["runs[0].results[0]: no location"]


def test_locations_point_at_the_key_each_area_depends_on(tmp_path: Path) -> None:
    lines = sarif.plan_lines(PLAN)
    assert lines["target.region"] == 8 and lines["guest"] == 10
    assert lines["azure.subscriptions"] == 2 and lines["select"] == 4
    info = RunInfo("t", "2026-11-25T00:00:00Z", plan_path="dr/plan.toml", plan_lines=lines)
    doc = sarif.render(build(["vm-bad", "vm-old"]), info=info)
    assert github_requirements(doc) == []
    got = {
        r["ruleId"]: r["locations"][0]["physicalLocation"]["region"]["startLine"]
        for r in doc["runs"][0]["results"]
    }
    assert got == {"TST201": 8, "TST501": 4}  # network: [target] region; vm: [select]
    assert doc["runs"][0]["automationDetails"]["id"] == "asr-preflight/dr/plan/"


def test_without_a_plan_the_snapshot_file_is_the_location() -> None:
    info = RunInfo("t", "2026-11-25T00:00:00Z", snapshot_path="/data/estate-snapshot.json")
    doc = sarif.render(build(["vm-bad"]), info=info)
    [result] = doc["runs"][0]["results"]
    physical = result["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": "/data/estate-snapshot.json"}
    assert physical["region"] == {"startLine": 1}
    assert doc["runs"][0]["automationDetails"]["id"] == "asr-preflight/estate-snapshot/"


@pytest.mark.parametrize(
    ("category", "want"),
    [("prod-eastus", "prod-eastus/"), ("dr/weekly/", "dr/weekly/"), ("  ", "asr-preflight/")],
)
def test_sarif_category_sets_the_automation_id(category: str, want: str) -> None:
    info = RunInfo("t", "2026-11-25T00:00:00Z", plan_path="plan.toml", sarif_category=category)
    doc = sarif.render(build(["vm-bad"]), info=info)
    assert doc["runs"][0]["automationDetails"]["id"] == want


def test_above_the_limit_results_are_grouped_per_rule_and_resource_group() -> None:
    names = [f"vm-{i:02d}-bad" for i in range(12)] + ["vm-old", "vm-warn"]
    evaluation = build(names)
    ungrouped = sarif.render(evaluation)
    assert len(ungrouped["runs"][0]["results"]) == 14
    assert "grouping" not in ungrouped["runs"][0]["properties"]
    doc = sarif.render(evaluation, max_results=5)
    assert github_requirements(doc) == []
    run = doc["runs"][0]
    assert run["properties"]["grouping"]["by"] == "rule and resource group"
    assert run["properties"]["grouping"]["problems"] == 14
    results = {(r["ruleId"], r["level"]): r for r in run["results"]}
    assert set(results) == {("TST201", "error"), ("TST201", "warning"), ("TST501", "error")}
    bad = results[("TST201", "error")]
    assert bad["properties"]["vmCount"] == 12
    assert bad["properties"]["vms"] == sorted(n for n in names if "bad" in n)
    assert bad["message"]["text"].startswith("TST201 on 12 VMs of /subscriptions/")
    assert sarif.grouping_of(evaluation, max_results=5) == "rule and resource group"
    assert sarif.grouping_of(evaluation) is None


def test_grouped_fingerprints_are_stable(tmp_path: Path) -> None:
    names = [f"vm-{i:02d}-bad" for i in range(8)]
    one = sarif.render(build(names), max_results=2)
    two = sarif.render(build(list(reversed(names))), max_results=2)

    def prints(doc: dict[str, Any]) -> list[str]:
        return [r["partialFingerprints"][sarif.FINGERPRINT] for r in doc["runs"][0]["results"]]

    assert prints(one) == prints(two) and len(prints(one)) == 1


def test_an_absolute_plan_outside_the_working_directory_stays_a_file_uri() -> None:
    info = RunInfo("t", "2026-11-25T00:00:00Z", plan_path="file:///srv/dr/plan.toml")
    doc = sarif.render(build(["vm-bad"]), info=info)
    assert github_requirements(doc) == []
    assert "originalUriBaseIds" not in doc["runs"][0]
    info = replace(info, plan_path="dr/plan.toml")
    doc = sarif.render(build(["vm-bad"]), info=info)
    assert doc["runs"][0]["originalUriBaseIds"]["SRCROOT"]


def test_check_snapshot_without_plan_points_at_the_snapshot_and_takes_a_category(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asr_preflight.demo

    monkeypatch.chdir(Path(asr_preflight.demo.__file__).parent.parent)
    got = CliRunner().invoke(
        app,
        [
            *("check", "--snapshot", "demo/snapshot.json", "--format", "sarif,console"),
            *("--output-dir", str(tmp_path), "--sarif-category", "dr-audit/eastus"),
        ],
    )
    assert got.exit_code == 1, got.output
    doc = json.loads((tmp_path / "results.sarif").read_text())
    assert github_requirements(doc) == []
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in doc["runs"][0]["results"]
    }
    assert uris == {"demo/snapshot.json"}
    assert doc["runs"][0]["automationDetails"]["id"] == "dr-audit/eastus/"
    assert "note: results.sarif" not in got.output  # the demo is far below the limit


def test_grouping_keeps_under_the_limit_when_every_vm_has_its_own_shared_target() -> None:
    # A problem about a resource other than the VM (a key vault, a resource group) is grouped
    # under that resource; when each VM has its own, only grouping by rule alone fits the limit.
    evaluation = build([f"vm-{i:02d}-bad" for i in range(12)])
    results = tuple(
        replace(r, target=f"/subscriptions/s/resourceGroups/rg/providers/x/vaults/kv-{r.vm}")
        if r.outcome is not Outcome.PASS
        else r
        for r in evaluation.results
    )
    doc = sarif.render(replace(evaluation, results=results), max_results=3)
    run = doc["runs"][0]
    assert len(run["results"]) <= 3
    assert run["properties"]["grouping"]["problems"] == 12
    [grouped] = run["results"]
    assert grouped["properties"]["vmCount"] == 12


def test_a_grouped_result_counts_vms_of_the_same_name_apart() -> None:
    from gatekit import RULES

    from asr_preflight.engine import evaluate
    from asr_preflight.testing import make_snapshot, make_vm

    vms = [make_vm("vm-bad", resource_group=rg) for rg in ("rg-a", "rg-b")] + [make_vm("x-bad")]
    snapshot = make_snapshot(vms=vms)
    assert snapshot.plan is not None
    doc = sarif.render(evaluate(snapshot, snapshot.plan, RULES), max_results=1)
    [grouped] = doc["runs"][0]["results"]
    assert grouped["properties"]["vmCount"] == 3
    assert grouped["properties"]["vms"] == ["rg-a/vm-bad", "rg-b/vm-bad", "x-bad"]
    assert grouped["message"]["text"].startswith("TST201 on 3 VMs of ")
