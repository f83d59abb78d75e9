"""`collect` then `check --snapshot` gives what a live `check` gives, through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from arm.conftest import PLAN, SUB_A
from asr_preflight import cli
from asr_preflight.reporters.json import as_v1
from fakes.arm import FakeAzure
from fakes.estate import EstateBuilder, VmSpec

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


def _cloud(fake: FakeAzure) -> list[str]:
    return ["--arm-endpoint", fake.url, "--authority-host", fake.url, "--no-guest"]


def test_check_with_timeout_against_a_hung_arm_ends_with_reports(
    fake: FakeAzure, tmp_path: Path
) -> None:
    import time

    fake.fail("/subscriptions/", kind="hang", times=None)  # every ARM read hangs
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN)
    out = tmp_path / "reports"
    started = time.monotonic()
    result = runner.invoke(
        cli.app,
        ["check", "--plan", str(plan), *_cloud(fake), "--timeout", "3", "--output-dir", str(out)],
    )
    assert time.monotonic() - started < 30  # deadline 3 s; generous: "finished" is the point
    assert result.exit_code == 3, result.output  # unknown, not a crash and not a pass
    assert json.loads((out / "results.json").read_text())["verdict"] == "unknown"
    assert "time limit of 3 s (--timeout) passed" in result.stdout


def test_check_timeout_zero_is_no_limit_and_the_default_applies_without_it(
    fake: FakeAzure, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--timeout 0 is accepted and means no limit; without --timeout guard.DEFAULT_TIMEOUT
    applies (shortened here so that the hung read ends it)."""
    from asr_preflight.azure import guard

    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN)
    out = tmp_path / "reports"
    args = ["check", "--plan", str(plan), *_cloud(fake), "--output-dir", str(out)]
    unlimited = runner.invoke(cli.app, [*args, "--timeout", "0"])
    assert unlimited.exit_code in (0, 1), unlimited.output  # a verdict, nothing cut short
    assert "time limit" not in unlimited.stdout
    monkeypatch.setattr(guard, "DEFAULT_TIMEOUT", 2.0)
    fake.fail("/subscriptions/", kind="hang", times=None)
    default = runner.invoke(cli.app, args)
    assert default.exit_code == 3, default.output
    assert "time limit of 2 s (--timeout) passed" in default.stdout


def test_a_hostile_token_error_cannot_drive_the_terminal(fake: FakeAzure, tmp_path: Path) -> None:
    evil = "AADSTS7000215: bad\x1b]0;owned\x07\x1b[2J secret\r\nRun verdict: Ready (exit code 0)"
    fake.fail(
        "/oauth2/v2.0/token",
        status=401,
        body={"error": "invalid_client", "error_description": evil},
        times=None,
    )
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN)
    result = runner.invoke(
        cli.app,
        ["check", "--plan", str(plan), *_cloud(fake), "--output-dir", str(tmp_path / "r")],
    )
    assert result.exit_code == 2, result.output
    [line] = result.stderr.splitlines()
    assert line.startswith("error: ") and "AADSTS7000215" in line
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr and "\r" not in result.stderr
    assert "\\x1b]0;owned\\x07" in line


def test_a_lone_surrogate_from_arm_is_collected_and_reported(
    fake: FakeAzure, tmp_path: Path
) -> None:
    """JSON may carry a lone surrogate (``"\\ud800"``) and azure-core reads it; UTF-8 cannot hold
    it. A VM and an NSG rule named with one: `collect` still writes the snapshot (U+FFFD in its
    place), and `check --snapshot` writes every report and prints the console."""
    # a VM of its own network (a new builder would rebuild the estate's rg-shop-prod network)
    EstateBuilder(fake.estate).vm(SUB_A, VmSpec("vm-\udfff-01", "rg-erp-prod"))
    nsgs = f"/subscriptions/{SUB_A}/providers/microsoft.network/networksecuritygroups"
    [nsg] = [n for n in fake.estate.lists[nsgs] if n["name"] == "rg-erp-prod-nsg"]
    nsg["properties"]["securityRules"].append(
        {
            "name": "deny-\ud800-https",
            "id": f"{nsg['id']}/securityRules/deny-https",
            "properties": {
                "protocol": "Tcp",
                "sourcePortRange": "*",
                "destinationPortRange": "443",
                "sourceAddressPrefix": "*",
                "destinationAddressPrefix": "*",
                "access": "Deny",
                "priority": 100,
                "direction": "Outbound",
            },
        }
    )
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN)
    snap = tmp_path / "snapshot.json"
    collected = runner.invoke(
        cli.app, ["collect", "--plan", str(plan), "--out", str(snap), *_cloud(fake)]
    )
    assert collected.exit_code == 0, collected.output
    text = snap.read_text(encoding="utf-8")  # strict UTF-8: no surrogate in the file
    assert "deny-\ufffd-https" in text and "vm-\ufffd-01" in text
    out = tmp_path / "reports"
    formats = "junit,html,json,sarif,markdown,console"
    checked = runner.invoke(
        cli.app,
        ["check", "--snapshot", str(snap), "--format", formats, "--output-dir", str(out)],
    )
    assert checked.exit_code == 1, checked.output  # not ready: not a crash (5)
    assert "vm-\ufffd-01: outbound TCP 443" in checked.stdout
    assert "denied by rg-erp-prod-nsg/deny-\ufffd-https" in checked.stdout
    names = {"results.xml", "report.html", "results.json", "results.sarif", "summary.md"}
    assert names <= {p.name for p in out.iterdir()}
    results = as_v1(json.loads((out / "results.json").read_text(encoding="utf-8")))
    ours = [r for r in results["results"] if r["vm"].startswith("vm-\ufffd")]
    assert any(r["rule"] == "ASR201" and r["outcome"] == "fail" for r in ours), ours
    # the live run reads the surrogates themselves: console and reports cope ("?" or escaped)
    live_out = tmp_path / "live"
    args = ["--plan", str(plan), *_cloud(fake), "--format", formats, "--output-dir", str(live_out)]
    live = runner.invoke(cli.app, ["check", *args])
    assert live.exit_code == 1, live.output
    assert "denied by rg-erp-prod-nsg/deny-?-https" in live.stdout
    assert names <= {p.name for p in live_out.iterdir()}
