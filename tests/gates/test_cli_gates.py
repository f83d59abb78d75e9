"""`asr-preflight diff` and `asr-preflight waivers check` through Typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from gatekit import build, results_json
from typer.testing import CliRunner

from asr_preflight.cli_gates import register

app = typer.Typer()


@app.callback()
def _root() -> None:
    """The test's stand-in for the main app."""


register(app)
runner = CliRunner()

WAIVERS = """\
[[waivers]]
rule = "ASR505"
target = "vm-web-01"
justification = "rebuilt from image in the target region"
owner = "platform@contoso.com"
expires = {expires}
"""


def _scans(tmp_path: Path) -> tuple[Path, Path]:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(results_json(build(["vm-a", "vm-b-bad"]))))
    new.write_text(json.dumps(results_json(build(["vm-a-bad", "vm-b"]))))
    return old, new


def test_diff_prints_changes_and_exits_0(tmp_path: Path) -> None:
    old, new = _scans(tmp_path)
    got = runner.invoke(app, ["diff", str(old), str(new)])
    assert got.exit_code == 0, got.output
    assert got.output.splitlines()[0] == "verdict: not-ready (unchanged)"
    assert "VMs added (2): vm-a-bad, vm-b" in got.output


def test_diff_json_and_fail_on_new(tmp_path: Path) -> None:
    old, new = _scans(tmp_path)
    got = runner.invoke(app, ["diff", str(old), str(new), "--format", "json", "--fail-on-new"])
    assert got.exit_code == 1
    data = json.loads(got.output)
    assert [r["vm"] for r in data["new"]] == ["vm-a-bad"]
    assert [r["vm"] for r in data["gone"]] == ["vm-b-bad"]
    same = runner.invoke(app, ["diff", str(old), str(old), "--fail-on-new"])
    assert same.exit_code == 0


def test_diff_of_a_non_results_file_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "snapshot.json"
    bad.write_text('{"schema": "asr-preflight/snapshot/v1"}')
    got = runner.invoke(app, ["diff", str(bad), str(bad)])
    assert got.exit_code == 2
    assert "expected 'asr-preflight/results/v1'" in got.output


def test_waivers_check(tmp_path: Path) -> None:
    path = tmp_path / "waivers.toml"
    path.write_text(WAIVERS.format(expires="2027-01-31"))
    ok = runner.invoke(app, ["waivers", "check", str(path), "--today", "2026-11-25"])
    assert ok.exit_code == 0, ok.output
    assert "1 waiver(s), 0 error(s)" in ok.output
    soon = runner.invoke(app, ["waivers", "check", str(path), "--today", "2027-01-20"])
    assert soon.exit_code == 0 and "expires in 11 day(s)" in soon.output
    late = runner.invoke(app, ["waivers", "check", str(path), "--today", "2027-02-01"])
    assert late.exit_code == 1 and "expired on 2027-01-31" in late.output


def test_waivers_check_names_the_line_of_a_malformed_waiver(tmp_path: Path) -> None:
    path = tmp_path / "waivers.toml"
    path.write_text(WAIVERS.format(expires="2027-01-31").replace("owner", "owners"))
    got = runner.invoke(app, ["waivers", "check", str(path)])
    assert got.exit_code == 2
    assert f"{path}:5: [waivers[0]] owners: unknown key (did you mean 'owner'?)" in " ".join(
        got.output.split()
    )


def test_diff_as_markdown_escapes_estate_text(tmp_path: Path) -> None:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(results_json(build(["vm-a"]))))
    new.write_text(json.dumps(results_json(build(["vm-a", "<img src=x onerror=alert(1)>-bad"]))))
    got = runner.invoke(app, ["diff", str(old), str(new), "--format", "markdown"])
    assert got.exit_code == 0, got.output
    text = got.output
    assert text.startswith("## ASR readiness: changes since the previous scan\n")
    assert "Verdict: ready → **not\\-ready**" in text
    assert "**1 new** problem(s), 0 fixed" in text
    assert "<img" not in text
    assert "&lt;img src\\=x onerror\\=alert\\(1\\)&gt;\\-bad" in text
    assert "| TST201 outbound\\-test | &lt;img" in text


def test_diff_escapes_control_characters_from_the_scans(tmp_path: Path) -> None:
    """A results file is data too: a VM name cannot drive the terminal or forge a line."""
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    evil = "vm-\x1b]0;owned\x07\nFORGED: all fixed"
    old.write_text(json.dumps(results_json(build(["vm-a"]))))
    new.write_text(json.dumps(results_json(build(["vm-a", evil]))))
    got = runner.invoke(app, ["diff", str(old), str(new)])
    assert got.exit_code == 0, got.output
    assert "\x1b" not in got.output and "\x07" not in got.output
    assert "vm-\\x1b]0;owned\\x07\\nFORGED: all fixed" in got.output
    assert not any(line.startswith("FORGED") for line in got.output.splitlines())


@pytest.mark.parametrize("fmt", ["markdown", "json"])
def test_diff_formats_escape_control_characters_too(tmp_path: Path, fmt: str) -> None:
    """--format markdown and json print to the terminal as well: no raw ESC, BEL, C1 or bidi."""
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    evil = "vm-\x1b]0;owned\x07\x9b2J\u202e"
    old.write_text(json.dumps(results_json(build(["vm-a"]))))
    new.write_text(json.dumps(results_json(build(["vm-a", evil]))))
    got = runner.invoke(app, ["diff", "--format", fmt, str(old), str(new)])
    assert got.exit_code == 0, got.output
    for raw in ("\x1b", "\x07", "\x9b", "\u202e"):
        assert raw not in got.output, (fmt, raw)
    if fmt == "json":
        assert json.loads(got.output)["vms"]["added"] == [evil]  # the same value, escaped
