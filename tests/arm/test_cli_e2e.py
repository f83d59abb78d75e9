"""`collect` then `check --snapshot` gives what a live `check` gives, through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from arm.conftest import PLAN
from asr_preflight import cli
from asr_preflight.reporters.json import as_v1
from fakes.arm import FakeAzure

runner = CliRunner()


def _results(folder: Path) -> dict[str, object]:
    data = as_v1(json.loads((folder / "results.json").read_text()))
    return {"verdict": data["verdict"], "vms": data["vms"], "results": data["results"]}


def test_collect_then_check_offline_equals_live(fake: FakeAzure, tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN)
    cloud = ["--arm-endpoint", fake.url, "--authority-host", fake.url, "--no-guest"]
    snap = tmp_path / "snapshot.json"
    collected = runner.invoke(cli.app, ["collect", "--plan", str(plan), "--out", str(snap), *cloud])
    assert collected.exit_code == 0, collected.output
    offline = runner.invoke(
        cli.app,
        ["check", "--snapshot", str(snap), "--format", "json", "--output-dir", str(tmp_path / "a")],
    )
    live = runner.invoke(
        cli.app,
        [
            "check",
            "--plan",
            str(plan),
            *cloud,
            "--format",
            "json",
            "--output-dir",
            str(tmp_path / "b"),
        ],
    )
    assert offline.exit_code == live.exit_code == 1, (offline.output, live.output)  # not ready
    assert _results(tmp_path / "a") == _results(tmp_path / "b")
    assert {r["outcome"] for r in _results(tmp_path / "a")["results"]} >= {"pass", "fail"}  # type: ignore[union-attr]


def test_credential_failure_is_one_line(
    fake: FakeAzure, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "not-the-secret")
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN)
    result = runner.invoke(
        cli.app,
        [
            "collect",
            "--plan",
            str(plan),
            "--out",
            str(tmp_path / "s.json"),
            "--arm-endpoint",
            fake.url,
            "--authority-host",
            fake.url,
        ],
    )
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "az login" in lines[0] and "Traceback" not in result.output
    assert "not-the-secret" not in result.output
