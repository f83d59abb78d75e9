"""`check`/`demo` with the gate options, end to end through the CLI (the bundled demo estate)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from asr_preflight.cli import app
from asr_preflight.reporters.json import as_v1

runner = CliRunner()
SARIF_SCHEMA = json.loads(
    (Path(__file__).parents[1] / "data" / "sarif-schema-2.1.0.json").read_text()
)
EXAMPLES = Path(__file__).parents[2] / "examples"
WAIVE_ALL = """\
[[waivers]]
rule = "ASR*"
target = "*"
justification = "accepted for the audit of 2026-11, ticket CAB-1234"
owner = "dr-team@contoso.com"
expires = 2099-12-31
"""


def results_of(path: Path) -> dict:  # type: ignore[type-arg]
    """A results.json (v2) with its results flat, as v1 had them."""
    return as_v1(json.loads(path.read_text()))


def demo(tmp_path: Path, *args: str) -> tuple[int, str]:
    got = runner.invoke(app, ["demo", "--output-dir", str(tmp_path), *args])
    return got.exit_code, got.output


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("first")
    code, output = demo(out, "--format", "json,junit,sarif,markdown")
    assert code == 1, output  # the demo estate has VMs that are Not ready
    return out


def test_sarif_and_markdown_files_are_written(first: Path) -> None:
    sarif = json.loads((first / "results.sarif").read_text())
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(sarif)
    results = results_of(first / "results.json")
    fails = sum(1 for r in results["results"] if r["outcome"] == "fail")
    levels = [r["level"] for r in sarif["runs"][0]["results"]]
    assert levels.count("error") == fails
    summary = (first / "summary.md").read_text()
    assert summary.startswith("## ❌ Azure Site Recovery readiness: Not ready")


def test_waivers_turn_problems_into_waived_and_decide_the_exit_code(
    first: Path, tmp_path: Path
) -> None:
    waivers = tmp_path / "waivers.toml"
    waivers.write_text(WAIVE_ALL)
    code, output = demo(tmp_path, "--format", "json,junit", "--waivers", str(waivers))
    assert code == 0, output
    data = results_of(tmp_path / "results.json")
    assert data["verdict"] == "ready"
    waived = [r for r in data["results"] if r["outcome"] == "waived"]
    before = results_of(first / "results.json")
    problems = [r for r in before["results"] if r["outcome"] in ("fail", "warn", "unknown")]
    assert sorted(r["original"] for r in waived) == sorted(r["outcome"] for r in problems)
    assert {r["waiver"] for r in waived} == {"accepted for the audit of 2026-11, ticket CAB-1234"}
    junit = (tmp_path / "results.xml").read_text()
    assert junit.count("ticket CAB-1234") >= len(waived)


def test_baseline_and_fail_on_new(first: Path, tmp_path: Path) -> None:
    base = str(first / "results.json")
    code, output = demo(tmp_path, "--format", "json,console", "--baseline", base, "--fail-on-new")
    assert code == 0, output  # the same estate: nothing new
    assert "0 new problem(s)" in output
    data = results_of(tmp_path / "results.json")
    marks = {r["change"] for r in data["results"] if r["outcome"] in ("fail", "warn", "unknown")}
    assert marks == {"unchanged"}
    # a baseline in which everything passed makes every problem new
    clean = results_of(first / "results.json")
    for r in clean["results"]:
        r["outcome"] = "pass"
    (tmp_path / "clean.json").write_text(json.dumps(clean))
    code, output = demo(
        tmp_path,
        "--format",
        "console,html,markdown",
        "--baseline",
        str(tmp_path / "clean.json"),
        "--fail-on-new",
    )
    assert code == 1
    assert "NEW ASR" in output
    html = (tmp_path / "report.html").read_text()
    problems = sum(1 for r in data["results"] if r["outcome"] in ("fail", "warn", "unknown"))
    found = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html)
    assert found is not None
    page = json.loads(found.group(1))  # the page's script marks these "new" (test_browser)
    assert sum(f[6] == "new" for vm in page["vms"] for f in vm["f"]) == problems
    assert f"**{problems} new** problem(s)" in (tmp_path / "summary.md").read_text()


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--fail-on", "warn"], 4),
        (["--fail-on", "unknown"], 3),
        (["--fail-on", "fail", "--fail-on", "unknown"], 1),
        (["--strict"], 1),
    ],
)
def test_fail_on(tmp_path: Path, args: list[str], code: int) -> None:
    got, output = demo(tmp_path, "--format", "json", *args)
    assert got == code, output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fail-on", "error"], "--fail-on 'error': expected fail, warn or unknown"),
        (["--fail-on-new"], "--fail-on-new needs --baseline"),
        (["--baseline", "absent.json"], "absent.json: cannot read results file"),
        (["--waivers", "absent.toml"], "absent.toml: cannot read waiver file"),
    ],
)
def test_bad_gate_options_are_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    code, output = demo(tmp_path, "--format", "json", *args)
    assert code == 2
    assert message in output
    assert not (tmp_path / "results.json").exists()  # nothing was checked


def test_a_malformed_waiver_file_is_a_plan_error_naming_the_line(tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.toml"
    waivers.write_text(WAIVE_ALL.replace("expires = 2099-12-31", "expires = someday"))
    code, output = demo(tmp_path, "--format", "json", "--waivers", str(waivers))
    assert code == 2
    assert f"{waivers}: not valid TOML" in output or f"{waivers}:6" in output


@pytest.mark.parametrize("example", ["github-actions.yml", "azure-pipelines.yml"])
def test_the_ci_examples_use_only_options_check_has(example: str, tmp_path: Path) -> None:
    text = (EXAMPLES / example).read_text().replace("\\\n", " ")
    commands = [line for line in text.splitlines() if "asr-preflight check" in line]
    commands += [line for line in text.splitlines() if "baseline=(--" in line]
    used = {opt for line in commands for opt in re.findall(r"(?<![\w-])--[a-z][a-z-]+", line)}
    assert {"--plan", "--format", "--output-dir", "--baseline", "--fail-on-new"} <= used
    help_text = runner.invoke(app, ["check", "--help"], env={"COLUMNS": "200"}).output
    assert not {u for u in used if u not in help_text}
    formats = re.search(r"--format (\S+)", commands[0])
    assert formats
    code, output = demo(tmp_path, "--format", formats.group(1))
    assert code == 1, output
    assert {p.name for p in tmp_path.iterdir()} == {
        "results.xml",
        "report.html",
        "results.json",
        "results.sarif",
        "summary.md",
    }


def test_diff_and_waivers_check_are_commands_of_the_main_app(first: Path, tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.toml"
    waivers.write_text(WAIVE_ALL)
    got = runner.invoke(app, ["waivers", "check", str(waivers)])
    assert got.exit_code == 0, got.output
    code, _ = demo(tmp_path, "--format", "json", "--waivers", str(waivers))
    assert code == 0
    old, new = str(first / "results.json"), str(tmp_path / "results.json")
    got = runner.invoke(app, ["diff", old, new])
    assert got.exit_code == 0, got.output
    assert got.output.splitlines()[0] == "verdict: not-ready -> ready"
    back = runner.invoke(app, ["diff", new, old, "--fail-on-new"])
    assert back.exit_code == 1  # un-waiving brings every problem back as new


def test_check_points_sarif_at_the_plan_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asr_preflight.demo

    demo_dir = Path(asr_preflight.demo.__file__).parent
    monkeypatch.chdir(demo_dir.parent)
    got = runner.invoke(
        app,
        [
            "check",
            "--snapshot",
            "demo/snapshot.json",
            "--plan",
            "demo/plan.toml",
            "--format",
            "sarif",
            "--output-dir",
            str(tmp_path),
        ],
    )
    assert got.exit_code == 1, got.output
    doc = json.loads((tmp_path / "results.sarif").read_text())
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(doc)
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in doc["runs"][0]["results"]
    }
    assert uris == {"demo/plan.toml"}
