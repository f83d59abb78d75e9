"""`collect --select/--ignore` gathers less; `check --snapshot` with a wider selection (or the
plan file without that selection) must say unknown for what was not gathered, never skip it as
if --no-guest/--no-eligibility had been asked for."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from arm.conftest import PLAN
from asr_preflight import cli
from asr_preflight.reporters.json import as_v1
from fakes.arm import FakeAzure

runner = CliRunner()

GUEST = """
[guest]
address = "private"
[guest.linux]
user = "azureuser"
"""


def _outcomes(folder: Path, code: str) -> set[str]:
    data = as_v1(json.loads((folder / "results.json").read_text()))
    return {r["outcome"] for r in data["results"] if r["rule"] == code}


def _collect(fake: FakeAzure, tmp_path: Path, *args: str, plan_text: str = PLAN) -> Path:
    plan = tmp_path / "plan.toml"
    plan.write_text(plan_text)
    snap = tmp_path / "snapshot.json"
    cloud = ["--arm-endpoint", fake.url, "--authority-host", fake.url]
    done = runner.invoke(
        cli.app, ["collect", "--plan", str(plan), "--out", str(snap), *cloud, *args]
    )
    assert done.exit_code == 0, done.output
    return snap


def _check(snap: Path, out: Path, *args: str, codes: tuple[int, ...] = (1, 3)) -> str:
    done = runner.invoke(
        cli.app,
        ["check", "--snapshot", str(snap), "--format", "json", "--output-dir", str(out), *args],
    )
    assert done.exit_code in codes, done.output
    return done.output


def test_eligibility_not_collected_for_the_selection_is_unknown_not_skip(
    fake: FakeAzure, tmp_path: Path
) -> None:
    snap = _collect(fake, tmp_path, "--no-guest", "--ignore", "ASR009")
    # the plan file, which does not ignore ASR009, with the snapshot
    _check(snap, tmp_path / "plan", "--plan", str(tmp_path / "plan.toml"))
    assert _outcomes(tmp_path / "plan", "ASR009") == {"unknown"}
    # --no-eligibility is still a skip, as DESIGN says
    asked = _collect(fake, tmp_path, "--no-guest", "--no-eligibility")
    _check(asked, tmp_path / "asked")
    assert _outcomes(tmp_path / "asked", "ASR009") == {"skip"}


def test_guests_not_probed_for_the_selection_are_unknown_not_skip(
    fake: FakeAzure, tmp_path: Path
) -> None:
    snap = _collect(fake, tmp_path, "--select", "ASR0", plan_text=PLAN + GUEST)
    _check(snap, tmp_path / "wider", "--select", "ASR301")
    assert _outcomes(tmp_path / "wider", "ASR301") == {"unknown"}
    asked = _collect(fake, tmp_path, "--no-guest", plan_text=PLAN + GUEST)
    _check(asked, tmp_path / "asked", "--select", "ASR301", codes=(0,))  # skips only: ready
    assert _outcomes(tmp_path / "asked", "ASR301") == {"skip"}


def test_a_selection_that_keeps_no_rule_is_refused_not_ready(
    fake: FakeAzure, tmp_path: Path
) -> None:
    """The snapshot's plan ignores ASR009 (collect --ignore); --select ASR009 then keeps no rule
    (ignore wins for the same selector): no rule evaluated must not read as Ready (exit 0)."""
    snap = _collect(fake, tmp_path, "--no-guest", "--ignore", "ASR009")
    out = tmp_path / "none"
    args = ["check", "--snapshot", str(snap), "--select", "ASR009", "--output-dir", str(out)]
    done = runner.invoke(cli.app, args)
    assert done.exit_code == 2, done.output
    assert "keeps no rule" in done.output and not (out / "results.json").exists()
