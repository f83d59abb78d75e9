"""`asr-preflight init` against the fake ARM, through the real CLI: read-only, a commented plan
that `check` accepts as is (round trip), no overwrite without --force, management groups."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from arm.conftest import SUB_A, SUB_B, TARGET
from arm.helpers import assert_read_only
from asr_preflight import cli
from asr_preflight.azure import survey
from asr_preflight.azure.survey import Found, Survey
from asr_preflight.init_plan import InitRequest, render_plan
from asr_preflight.plan import parse_plan
from fakes.arm import FakeAzure
from fakes.estate import EstateBuilder

runner = CliRunner()


def _cloud(fake: FakeAzure) -> list[str]:
    return ["--arm-endpoint", fake.url, "--authority-host", fake.url]


def test_init_then_check_round_trips(fake: FakeAzure, tmp_path: Path) -> None:
    out = tmp_path / "plan.toml"
    args = ["init", "--subscription", SUB_A, "--subscription", SUB_B, "--target-region", TARGET]
    made = runner.invoke(cli.app, [*args, "--out", str(out), *_cloud(fake)])
    assert made.exit_code == 0, made.output
    assert "7 VMs in 2 subscriptions, 1 vault in westus2" in made.stdout
    text = out.read_text()
    plan = parse_plan(text)
    assert plan.target.region == TARGET
    assert plan.target.vault is not None and plan.target.vault.endswith("/rv-dr-westus2")
    assert sorted(plan.azure.subscriptions) == sorted([SUB_A, SUB_B])
    assert plan.select.vms == [] and plan.groups == []  # every unknown is left as a comment
    assert "# cache_storage_account = " in text and "asrcachewestus2" in text
    assert "vm-sap-db-01 (eastus)" in text
    assert_read_only(fake)
    checked = runner.invoke(
        cli.app,
        [
            "check",
            "--plan",
            str(out),
            *_cloud(fake),
            "--no-guest",
            "--format",
            "json",
            "--output-dir",
            str(tmp_path / "r"),
        ],
    )
    assert checked.exit_code in (0, 1, 3), checked.output  # evaluated, not refused
    results = json.loads((tmp_path / "r" / "results.json").read_text())
    assert {vm["name"] for vm in results["vms"]} >= {"vm-web-01", "vm-other-01", "vm-sap-db-01"}
    assert_read_only(fake)


def test_init_refuses_to_overwrite_without_force(fake: FakeAzure, tmp_path: Path) -> None:
    out = tmp_path / "plan.toml"
    out.write_text("# mine\n")
    args = ["init", "--subscription", SUB_A, "--target-region", TARGET, "--out", str(out)]
    refused = runner.invoke(cli.app, [*args, *_cloud(fake)])
    assert refused.exit_code == 2
    assert "exists; pass --force" in refused.stderr
    assert out.read_text() == "# mine\n"
    assert fake.arm_requests() == []  # refused before reading anything
    forced = runner.invoke(cli.app, [*args, "--force", *_cloud(fake)])
    assert forced.exit_code == 0, forced.output
    assert parse_plan(out.read_text()).azure.subscriptions == [SUB_A]


def test_init_keeps_a_file_created_during_the_survey(
    fake: FakeAzure, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "plan.toml"
    real_survey = survey.survey_azure

    def survey_then_someone_writes(*args: Any, **kwargs: Any) -> Found:
        found = real_survey(*args, **kwargs)
        out.write_text("# written meanwhile\n")
        return found

    monkeypatch.setattr(survey, "survey_azure", survey_then_someone_writes)
    args = ["init", "--subscription", SUB_A, "--target-region", TARGET, "--out", str(out)]
    refused = runner.invoke(cli.app, [*args, *_cloud(fake)])
    assert refused.exit_code == 2, refused.output
    assert "was created while the estate was surveyed" in refused.stderr
    assert "--force" in refused.stderr
    assert out.read_text() == "# written meanwhile\n"
    assert not list(tmp_path.glob(".plan.toml.*"))  # no temporary file left
    forced = runner.invoke(cli.app, [*args, "--force", *_cloud(fake)])
    assert forced.exit_code == 0, forced.output
    assert parse_plan(out.read_text()).azure.subscriptions == [SUB_A]


def test_init_from_a_management_group(fake: FakeAzure, tmp_path: Path) -> None:
    EstateBuilder(fake.estate).management_group("mg-prod", {SUB_A: "mg-prod", SUB_B: "mg-prod"})
    out = tmp_path / "plan.toml"
    made = runner.invoke(
        cli.app,
        [
            "init",
            "--management-group",
            "mg-prod",
            "--target-region",
            TARGET,
            "--out",
            str(out),
            *_cloud(fake),
        ],
    )
    assert made.exit_code == 0, made.output
    plan = parse_plan(out.read_text())
    assert plan.azure.management_groups == ["mg-prod"] and plan.azure.subscriptions == []
    assert f"# under them today: {SUB_A}, {SUB_B}" in out.read_text()
    assert_read_only(fake)


def test_init_names_what_it_could_not_read(fake: FakeAzure, tmp_path: Path) -> None:
    fake.fail("/microsoft.storage/storageaccounts", status=403, times=None)
    out = tmp_path / "plan.toml"
    made = runner.invoke(
        cli.app,
        [
            "init",
            "--subscription",
            SUB_A,
            "--target-region",
            TARGET,
            "--out",
            str(out),
            *_cloud(fake),
        ],
    )
    assert made.exit_code == 0, made.output
    assert "storage accounts of" in made.stderr
    assert "# NOT READ: storage accounts of" in out.read_text()
    parse_plan(out.read_text())


def _vm(name: str, rg: str = "rg", **tags: str) -> Found:
    return Found(
        f"/subscriptions/{SUB_A}/resourceGroups/{rg}/providers/Microsoft.Compute/"
        f"virtualMachines/{name}",
        name,
        "eastus",
        tags=tags,
    )


def test_rendered_plan_survives_hostile_names_and_proposes_groups() -> None:
    evil = 'x"\n[target]\nregion = "eastus'
    vms = (
        _vm("vm-a", app="sap"),
        _vm("vm-b", app="sap"),
        _vm("vm-b", rg="rg2", app="sap"),  # the same name in another group: ids are used
        _vm("vm-c", app=evil),
        _vm("vm-\x1b[31mred", app=evil),
    )
    survey = Survey((SUB_A,), vms=vms, problems=("line one\nline two",))
    text = render_plan(survey, InitRequest(TARGET, subscriptions=(SUB_A,)))
    data = tomllib.loads(text)  # still valid TOML, and nothing leaked out of a comment
    assert data["target"] == {"region": TARGET}
    assert "\x1b" not in text
    assert all(
        line == "" or line.startswith("#") or "=" in line or "[" in line
        for line in text.splitlines()
    )
    # the groups are proposals, commented; uncommented they parse and name unique refs
    lines = text.splitlines()
    block = [lines[i + 1][2:] for i, line in enumerate(lines) if line == '# name = "sap"']
    assert block, text
    refs = tomllib.loads(block[0])["vms"]
    assert refs[0] == "vm-a" and all(r.startswith("/subscriptions/") for r in refs[1:])
    parse_plan(text)


def test_rendered_plan_keeps_hostile_subscriptions_and_locations_in_comments() -> None:
    """Every string from Azure that reaches a comment is made printable there: a newline in a
    subscription id (management group listing) or a location cannot add a key to the plan."""
    evil_sub = 'x\nsubscriptions = ["22222222-2222-4222-8222-222222222222"]'
    vault = Found(
        f"/subscriptions/{SUB_A}/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/rv",
        "rv",
        "east\x00us",
    )
    vm = Found(_vm("vm-a").id, "vm-a", "east\x07us")
    survey = Survey((SUB_A, evil_sub), vms=(vm,), vaults=(vault,))
    text = render_plan(survey, InitRequest(TARGET, management_groups=("mg-prod",)))
    plan = parse_plan(text)  # valid: no control character left in a comment
    assert plan.azure.subscriptions == []  # nothing injected
    assert all(ch == "\n" or ch.isprintable() for ch in text)


def test_a_lone_surrogate_from_azure_cannot_stop_the_plan_being_written() -> None:
    """JSON lets ARM send ``\\ud800``; TOML and UTF-8 cannot carry it: it becomes U+FFFD."""
    vault = Found(
        f"/subscriptions/{SUB_A}/resourceGroups/rg/providers/Microsoft.RecoveryServices/"
        "vaults/rv\ud800",
        "rv",
        TARGET,
    )
    text = render_plan(Survey((SUB_A,), vaults=(vault,)), InitRequest(TARGET, (SUB_A,)))
    text.encode("utf-8")  # fsutil.write_text writes UTF-8
    assert parse_plan(text).target.vault == vault.id.replace("\ud800", "\ufffd")


def test_init_warnings_carry_no_control_characters(fake: FakeAzure, tmp_path: Path) -> None:
    """An ARM error message is estate text: it reaches the terminal printable."""
    body = {"error": {"code": "Forbidden\x1b[2J", "message": "no \x1b]0;owned\x07 access"}}
    fake.fail("/microsoft.storage/storageaccounts", status=403, times=None, body=body)
    out = tmp_path / "plan.toml"
    args = ["init", "--subscription", SUB_A, "--target-region", TARGET, "--out", str(out)]
    made = runner.invoke(cli.app, [*args, *_cloud(fake)])
    assert made.exit_code == 0, made.output
    assert "storage accounts of" in made.stderr
    assert "\x1b" not in made.stderr and "\x07" not in made.stderr
