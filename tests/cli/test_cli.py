from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from junitparser import Failure, JUnitXml, Skipped
from typer.testing import CliRunner

from asr_preflight import __version__, cli, engine, packs
from asr_preflight.api import API_VERSION
from asr_preflight.options import AzureOptions, CollectOptions
from asr_preflight.plan import Plan
from asr_preflight.reporters.json import as_v1
from asr_preflight.snapshot import Snapshot, snapshot_from_json, snapshot_to_json
from asr_preflight.testing import make_vm
from reporting_sample import RULES, sample_snapshot

runner = CliRunner()
PLAN = """\
[azure]
subscriptions = ["00000000-0000-0000-0000-0000000000a1"]
[target]
region = "westus2"
"""


@pytest.fixture(autouse=True)
def scripted_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    """`check` runs the scripted rules, so outcomes (and exit codes) are the test's choice."""
    loaded = packs.RuleSet((packs.Pack("reporting-sample", "1.0", (), "1.0", RULES),), RULES)
    monkeypatch.setattr(packs, "load_rule_set", lambda points=None, disable=(): loaded)


def _snapshot_file(tmp_path: Path, vms: list | None = None) -> Path:  # type: ignore[type-arg]
    path = tmp_path / "snap.json"
    path.write_text(snapshot_to_json(sample_snapshot(vms)))
    return path


def _error_line(result) -> str:  # type: ignore[no-untyped-def]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def test_version() -> None:
    result = runner.invoke(cli.app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"asr-preflight {__version__}"


def test_check_snapshot_writes_every_report(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    result = runner.invoke(
        cli.app, ["check", "--snapshot", str(_snapshot_file(tmp_path)), "--output-dir", str(out)]
    )
    assert result.exit_code == 1, result.output  # the sample has Not ready VMs
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "results.json", "results.xml"]
    assert json.loads((out / "results.json").read_text())["verdict"] == "not-ready"
    assert "Run verdict: Not ready" in result.stdout
    assert f"wrote {out / 'results.xml'}" in result.stdout


@pytest.mark.parametrize(
    ("tags", "strict", "code"),
    [
        ({}, False, 0),
        ({"TST101": "warn"}, False, 0),
        ({"TST101": "warn"}, True, 4),
        ({"TST401": "unknown"}, False, 3),
        ({"TST201": "fail", "TST401": "unknown"}, False, 1),
    ],
)
def test_exit_code_follows_the_verdict(
    tmp_path: Path, tags: dict[str, str], strict: bool, code: int
) -> None:
    snap = _snapshot_file(tmp_path, [make_vm("vm-ok-01"), make_vm("vm-warn-01", tags=tags)])
    args = ["check", "--snapshot", str(snap), "--output-dir", str(tmp_path / "r")]
    result = runner.invoke(cli.app, [*args, "--format", "json", *(["--strict"] if strict else [])])
    assert result.exit_code == code, result.output
    assert result.stdout == ""  # no console format chosen
    assert [p.name for p in (tmp_path / "r").iterdir()] == ["results.json"]


@pytest.mark.parametrize(
    ("args", "code", "shown"),
    [
        ([], 0, None),  # a passing test named with the warning
        (["--strict"], 4, Failure),  # the CI that reads JUnit goes red as the exit code does
        (["--fail-on", "warn"], 4, Failure),
        (["--fail-on", "fail,unknown", "--strict"], 4, Failure),
        (["--strict", "--junit-warnings", "pass"], 4, None),  # given explicitly: as given
        (["--strict", "--junit-warnings", "skipped"], 4, Skipped),
        (["--fail-on", "warn", "--junit-warnings", "pass"], 4, None),
    ],
)
def test_junit_shows_warnings_as_failures_when_warnings_gate_the_run(
    tmp_path: Path, args: list[str], code: int, shown: type | None
) -> None:
    snap = _snapshot_file(
        tmp_path, [make_vm("vm-ok-01"), make_vm("vm-warn-01", tags={"TST101": "warn"})]
    )
    out = tmp_path / "r"
    result = runner.invoke(
        cli.app,
        ["check", "--snapshot", str(snap), "--format", "junit", "--output-dir", str(out), *args],
    )
    assert result.exit_code == code, result.output
    xml = JUnitXml.fromfile(str(out / "results.xml"))
    cases = [
        c
        for suite in xml
        for c in suite
        if "TST101" in (c.name or "") and "vm-warn-01" in (c.name or "")
    ]
    assert len(cases) == 1, [c.name for suite in xml for c in suite]
    assert [type(r) for r in cases[0].result] == ([] if shown is None else [shown])
    problems = [r for suite in xml for c in suite for r in c.result if isinstance(r, Failure)]
    assert len(problems) == (1 if shown is Failure else 0)  # only the warning; the rest passes


def test_plan_overrides_the_snapshot_plan(tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN.replace("westus2", "northeurope"))
    args = ["check", "--snapshot", str(_snapshot_file(tmp_path)), "--plan", str(plan)]
    result = runner.invoke(cli.app, [*args, "--format", "json", "--output-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert json.loads((tmp_path / "results.json").read_text())["target_region"] == "northeurope"


def test_snapshot_without_plan_needs_one(tmp_path: Path) -> None:
    path = tmp_path / "snap.json"
    path.write_text(snapshot_to_json(replace(sample_snapshot(), plan=None)))
    result = runner.invoke(cli.app, ["check", "--snapshot", str(path)])
    assert result.exit_code == 2
    assert "--plan" in _error_line(result)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["check"], "--plan FILE"),
        (["check", "--plan", "missing.toml"], "missing.toml: cannot read plan file"),
        (["check", "--snapshot", "missing.json"], "cannot read snapshot"),
        (["check", "--format", "pdf", "--snapshot", "x.json"], "unknown format 'pdf'"),
        (["check", "--concurrency", "0"], "--concurrency"),
        (["check", "--no-such-option"], "No such option"),
        (["rules", "explain", "ASR999"], "unknown rule 'ASR999'"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(args: list[str], needle: str) -> None:
    result = runner.invoke(cli.app, args)
    assert result.exit_code == 2, result.output
    assert needle in _error_line(result)
    assert "Traceback" not in result.output


def test_plan_errors_name_the_line(tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN + "regoin = 'x'\n")
    result = runner.invoke(cli.app, ["check", "--plan", str(plan)])
    assert result.exit_code == 2
    assert f"{plan}:5" in _error_line(result)


def test_bad_snapshot_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "snap.json"
    bad.write_text('{"schema": "asr-preflight/snapshot/v0"}')
    result = runner.invoke(cli.app, ["check", "--snapshot", str(bad)])
    assert result.exit_code == 2
    assert "snapshot schema" in _error_line(result)


def _with_broken_pack(monkeypatch: pytest.MonkeyPatch) -> str:
    error = "rule pack contoso 1.0 (contoso:RULES) failed to load: ImportError('x')"
    broken = packs.Pack("contoso", "1.0", ("contoso = contoso:RULES",), error=error)
    healthy = packs.Pack("reporting-sample", "1.0", (), "1.0", RULES)
    loaded = packs.RuleSet((healthy, broken), RULES)
    monkeypatch.setattr(packs, "load_rule_set", lambda points=None, disable=(): loaded)
    return error


def test_a_broken_pack_leaves_the_others_running_and_the_run_at_best_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    error = _with_broken_pack(monkeypatch)
    snapshot = sample_snapshot([make_vm("vm-ok-01")])
    path = tmp_path / "snap.json"
    path.write_text(snapshot_to_json(snapshot))
    out = tmp_path / "reports"
    args = ["check", "--snapshot", str(path), "--output-dir", str(out), "--select", "TST1"]
    result = runner.invoke(cli.app, [*args, "--format", "json,markdown,console"])
    assert result.exit_code == 3, result.output  # every result passes, yet not ready
    document = as_v1(json.loads((out / "results.json").read_text()))
    assert document["verdict"] == "unknown"
    assert {r["outcome"] for r in document["results"]} == {"pass"}
    assert any(error in note for note in document["notes"])
    assert "failed to load" in (out / "summary.md").read_text() and "contoso" in result.stdout


def test_a_required_pack_that_failed_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _with_broken_pack(monkeypatch)
    snap = str(_snapshot_file(tmp_path))
    result = runner.invoke(cli.app, ["check", "--snapshot", snap, "--require-pack", "Contoso"])
    assert result.exit_code == 2
    assert "required rule pack contoso 1.0" in _error_line(result)
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN + "[plugins]\nrequire = ['contoso']\n")
    result = runner.invoke(cli.app, ["check", "--snapshot", snap, "--plan", str(plan)])
    assert result.exit_code == 2 and "contoso" in _error_line(result)


@pytest.mark.parametrize("command", ["check", "demo"])
def test_select_and_ignore_leave_rules_out_entirely(
    tmp_path: Path, command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    snapshot = sample_snapshot()
    assert snapshot.plan is not None
    monkeypatch.setattr(cli, "load_demo", lambda: (snapshot.plan, snapshot))
    path = tmp_path / "snap.json"
    path.write_text(snapshot_to_json(snapshot))
    source = ["--snapshot", str(path)] if command == "check" else []
    out = tmp_path / "out"
    args = [command, *source, "--output-dir", str(out), "--format", "json"]
    runner.invoke(cli.app, [*args, "--select", "TST2,TST1", "--ignore", "TST201"])
    codes = {r["rule"] for r in as_v1(json.loads((out / "results.json").read_text()))["results"]}
    everything = {r.code for r in RULES}
    assert codes == {c for c in everything if c.startswith(("TST1", "TST2")) and c != "TST201"}
    assert codes and len(everything) > len(codes) + 1
    assert {r["code"] for r in json.loads((out / "results.json").read_text())["rules"]} == codes


@pytest.mark.parametrize("command", ["check", "demo", "collect"])
def test_a_selector_that_matches_no_rule_is_a_usage_error(tmp_path: Path, command: str) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN)
    source = {
        "check": ["--snapshot", str(_snapshot_file(tmp_path))],
        "demo": [],
        "collect": ["--plan", str(plan), "--out", str(tmp_path / "s.json")],
    }[command]
    result = runner.invoke(cli.app, [command, *source, "--ignore", "TST2,CTS1", "--select", "XYZ9"])
    assert result.exit_code == 2
    line = _error_line(result)
    assert "CTS1, XYZ9" not in line and "XYZ9, CTS1" in line and "no installed rule" in line


def test_unexpected_exceptions_are_bugs_with_exit_5(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(engine, "evaluate", boom)
    monkeypatch.delenv(cli.DEBUG_ENV, raising=False)
    result = runner.invoke(cli.app, ["check", "--snapshot", str(_snapshot_file(tmp_path))])
    assert result.exit_code == 5
    line = _error_line(result)
    assert "bug" in line and cli.issues_url() in line and "ZeroDivisionError" in line


def test_credential_failures_are_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from azure.identity import CredentialUnavailableError

    def no_login(plan: Plan, options: CollectOptions) -> Snapshot:
        raise CredentialUnavailableError("DefaultAzureCredential failed to retrieve a token.\nmore")

    monkeypatch.setattr(cli, "_collect", no_login)
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN)
    result = runner.invoke(cli.app, ["check", "--plan", str(plan)])
    assert result.exit_code == 2
    assert "Azure sign-in failed: DefaultAzureCredential failed" in _error_line(result)


def test_the_collectors_credential_error_is_printed_as_it_is(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from asr_preflight.azure.credential import CredentialError

    text = "no Azure credential worked (tried: EnvironmentCredential, AzureCliCredential); run az login"

    def no_login(plan: Plan, options: CollectOptions) -> Snapshot:
        raise CredentialError(text)

    monkeypatch.setattr(cli, "_collect", no_login)
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN)
    result = runner.invoke(cli.app, ["check", "--plan", str(plan)])
    assert result.exit_code == 2
    assert _error_line(result).endswith(text)
    assert "Azure sign-in failed" not in result.output


def test_concurrency_defaults_and_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen: list[CollectOptions] = []

    def record(plan: Plan, options: CollectOptions) -> Snapshot:
        seen.append(options)
        raise cli.UsageProblem("stop here")

    monkeypatch.setattr(cli, "_collect", record)
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN)
    runner.invoke(cli.app, ["check", "--plan", str(plan)])
    runner.invoke(cli.app, ["check", "--plan", str(plan), "--concurrency", "4"])
    assert [(o.azure.concurrency, o.guests.concurrency) for o in seen] == [(16, 32), (4, 4)]


def test_check_collects_with_the_options_given(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen: list[CollectOptions] = []

    def fake(plan: Plan, options: CollectOptions) -> Snapshot:
        seen.append(options)
        return sample_snapshot([make_vm("vm-ok-01")])

    monkeypatch.setattr(cli, "_collect", fake)
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN)
    args = ["check", "--plan", str(plan), "--output-dir", str(tmp_path), "--format", "json"]
    flags = ["--no-guest", "--no-eligibility", "--principal-id", OID, "--concurrency", "4"]
    more = ["--cloud", "AzureUSGovernment", "--accept-new-host-keys"]
    result = runner.invoke(cli.app, [*args, *flags, *more])
    assert result.exit_code == 0, result.output
    [options] = seen
    azure, guests = options.azure, options.guests
    assert (guests.enabled, azure.eligibility, azure.principal_id) == (False, False, OID)
    assert (azure.concurrency, azure.cloud, guests.accept_new_host_keys) == (
        4,
        "AzureUSGovernment",
        True,
    )


OID = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


@pytest.mark.parametrize("command", ["check", "collect"])
@pytest.mark.parametrize("bad", ["oid-1", f"{OID}') or true or ('", f"{OID}\n", ""])
def test_principal_id_must_be_an_object_id(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, command: str, bad: str
) -> None:
    """It goes into ARM's assignedTo('<oid>') filter: a usage error naming the option, before
    anything is collected."""
    calls: list[CollectOptions] = []
    monkeypatch.setattr(cli, "_collect", lambda plan, options: calls.append(options))
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN)
    where = ["--output-dir", str(tmp_path)] if command == "check" else ["--out", "s.json"]
    result = runner.invoke(cli.app, [command, "--plan", str(plan), *where, "--principal-id", bad])
    assert result.exit_code == 2, result.output
    assert "--principal-id" in result.stderr and "not an object id" in result.stderr
    assert calls == []


def test_library_options_refuse_a_principal_id_that_is_not_an_object_id() -> None:
    with pytest.raises(ValueError, match="principal_id .*not an object id"):
        AzureOptions(principal_id="x') or true or ('")
    with pytest.raises(ValueError, match="principal_id"):
        CollectOptions.flat(principal_id="oid-1")
    assert AzureOptions(principal_id=OID.upper()).principal_id == OID.upper()


def test_collect_writes_the_snapshot(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(cli, "_collect", lambda plan, options: sample_snapshot())
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN)
    out = tmp_path / "sub" / "snap.json"
    result = runner.invoke(cli.app, ["collect", "--plan", str(plan), "--out", str(out)])
    assert result.exit_code == 0, result.output
    written = snapshot_from_json(out.read_text())
    # the scripted rules hold no ASR009: eligibility is "not gathered" (unknown if evaluated)
    kept = tuple(e for e in written.errors if not e.cause.startswith("not gathered"))
    assert [e.kind for e in written.errors if e not in kept] == ["eligibility"]
    assert replace(written, errors=kept) == sample_snapshot()
    assert "5 VMs" in result.stdout
    assert [p.name for p in out.parent.iterdir()] == ["snap.json"]


def test_demo_checks_the_bundled_estate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    snapshot = sample_snapshot()
    assert snapshot.plan is not None
    monkeypatch.setattr(cli, "load_demo", lambda: (snapshot.plan, snapshot))
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli.app, ["demo"])
    assert result.exit_code == 1, result.output
    names = sorted(p.name for p in (tmp_path / "reports" / "demo").iterdir())
    assert names == ["report.html", "results.json", "results.xml"]
    assert "vm-unknown-01" in result.stdout


def test_rules_list_json_and_explain() -> None:
    listed = runner.invoke(cli.app, ["rules", "list", "--json"])
    assert listed.exit_code == 0
    entries = json.loads(listed.stdout)  # a list of rule objects, as scripts have read it
    assert isinstance(entries, list)
    assert [e["code"] for e in entries] == [r.code for r in RULES]
    old_keys = {"code", "name", "title", "severity", "area", "kind", "distribution"}
    assert all(old_keys <= e.keys() for e in entries) and entries
    assert {(e["pack"], e["requires_api"], e["api_version"]) for e in entries} == {
        ("reporting-sample", "1.0", API_VERSION)
    }
    for args in (["rules", "list", "--json", "--packs"], ["rules", "packs", "--json"]):
        packs = runner.invoke(cli.app, args)
        assert packs.exit_code == 0, args
        document = json.loads(packs.stdout)
        [pack] = document["packs"]
        assert pack["name"] == "reporting-sample" and pack["requires_api"] == "1.0"
        assert pack["rules"] == [r.code for r in RULES]
        assert document["api_version"] == API_VERSION and document["errors"] == []
    packs_table = runner.invoke(cli.app, ["rules", "packs"])
    assert packs_table.exit_code == 0 and "reporting-sample" in packs_table.stdout

    table = runner.invoke(cli.app, ["rules", "list"])
    assert table.exit_code == 0 and "TST201" in table.stdout

    explained = runner.invoke(cli.app, ["rules", "explain", "tst201"])
    assert explained.exit_code == 0
    for heading in ("What it checks", "Why it matters", "How to fix", "References"):
        assert heading in explained.stdout
    assert "Reporters must show <every> outcome" in explained.stdout


@pytest.mark.parametrize(
    ("args", "what"),
    [
        (["check", "--plan", "{f}"], "cannot read plan file: not UTF-8"),
        (["check", "--snapshot", "{f}"], "cannot read snapshot"),
        (["waivers", "check", "{f}"], "cannot read waiver file: not UTF-8"),
        (["diff", "{f}", "{f}"], "cannot read results file: not UTF-8"),
    ],
)
def test_a_utf16_input_file_is_a_one_line_usage_error(
    tmp_path: Path, args: list[str], what: str
) -> None:
    utf16 = tmp_path / "from-powershell.toml"
    utf16.write_text('[target]\nregion = "westus2"\n', encoding="utf-16")
    result = runner.invoke(cli.app, [a.format(f=utf16) for a in args])
    assert result.exit_code == 2
    assert what in _error_line(result)


def test_waiver_errors_stay_on_one_line_however_long(tmp_path: Path) -> None:
    waivers = tmp_path / "w.toml"
    waivers.write_text(
        '[[waivers]]\nrule = "ASR201"\ntarget = "vm-web-01"\njustification = "x"\n'
        'owner = "netops@contoso.com"\nexpires = "' + "not a date " * 12 + '"\n'
    )
    result = runner.invoke(cli.app, ["waivers", "check", str(waivers)])
    assert result.exit_code == 2
    line = _error_line(result)  # one line, although longer than a terminal's 80 columns
    assert "expires" in line and len(line) > 100


@pytest.mark.parametrize("command", ["check", "collect"])
def test_an_unwritable_output_location_fails_before_collecting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, command: str
) -> None:
    collected: list[Plan] = []

    def record(plan: Plan, options: CollectOptions) -> Snapshot:
        collected.append(plan)
        raise AssertionError("collection must not start")

    monkeypatch.setattr(cli, "_collect", record)
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    where = ["--output-dir", str(blocker / "reports")]
    if command == "collect":
        where = ["--out", str(blocker / "snap.json")]
    result = runner.invoke(cli.app, [command, "--plan", str(plan), *where])
    assert result.exit_code == 2
    assert "a-file" in _error_line(result)
    assert collected == []


@pytest.mark.parametrize("form", ["demo", "snapshot", "plain-file"])
def test_a_bad_output_dir_is_one_line_naming_the_option(tmp_path: Path, form: str) -> None:
    """demo and check --snapshot too: not a temporary file's name after the evaluation."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    where = str(blocker if form == "plain-file" else blocker / "reports")
    if form == "snapshot":
        snap = tmp_path / "snap.json"
        snap.write_text(snapshot_to_json(sample_snapshot()))
        args = ["check", "--snapshot", str(snap), "--output-dir", where]
    else:
        args = ["demo", "--output-dir", where]
    result = runner.invoke(cli.app, args)
    assert result.exit_code == 2
    line = _error_line(result)
    assert line.startswith(f"error: --output-dir {where}: cannot write there (")
    assert ".tmp" not in line
    if form == "plain-file":
        assert "it is a file, not a directory" in line


def test_rules_list_names_the_broken_pack(monkeypatch: pytest.MonkeyPatch) -> None:
    error = _with_broken_pack(monkeypatch)
    table = runner.invoke(cli.app, ["rules", "list"])
    assert table.exit_code == 0 and "TST201" in table.stdout
    assert table.stderr.strip() == f"error: {error}"
    as_list = runner.invoke(cli.app, ["rules", "list", "--json"])
    assert as_list.stderr.strip() == f"error: {error}"
    assert {r["pack"] for r in json.loads(as_list.stdout)} == {"reporting-sample"}
    for args in (["rules", "list", "--json", "--packs"], ["rules", "packs", "--json"]):
        listed = runner.invoke(cli.app, args)
        assert listed.stderr.strip() == f"error: {error}"
        document = json.loads(listed.stdout)
        assert document["errors"] == [error]
        assert [(p["name"], p["status"]) for p in document["packs"]] == [
            ("reporting-sample", "loaded"),
            ("contoso", "failed"),
        ]


def test_collect_gathers_nothing_only_ignored_rules_read_and_records_the_selection(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen: list[CollectOptions] = []

    def fake(plan: Plan, options: CollectOptions) -> Snapshot:
        seen.append(options)
        return replace(sample_snapshot(), plan=plan)

    monkeypatch.setattr(cli, "_collect", fake)
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN + "[rules]\nignore = ['TST0']\n")
    out = tmp_path / "snap.json"
    base = ["collect", "--plan", str(plan), "--out", str(out)]
    assert runner.invoke(cli.app, base).exit_code == 0
    assert runner.invoke(cli.app, [*base, "--ignore", "tst3"]).exit_code == 0
    assert [o.guests.enabled for o in seen] == [True, False]  # TST301 is the only guest rule
    assert not any(o.azure.eligibility for o in seen)  # ASR009 is not among the rules run
    recorded = snapshot_from_json(out.read_text()).plan
    assert recorded is not None and recorded.rules.ignore == ["TST0", "TST3"]
    checked = runner.invoke(
        cli.app,
        ["check", "--snapshot", str(out), "--output-dir", str(tmp_path), "--format", "json"],
    )
    codes = {
        r["rule"] for r in as_v1(json.loads((tmp_path / "results.json").read_text()))["results"]
    }
    assert (
        checked.exit_code in (1, 3)
        and codes
        and not any(c.startswith(("TST0", "TST3")) for c in codes)
    )


def test_collect_warns_about_a_broken_pack_and_still_collects(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    error = _with_broken_pack(monkeypatch)
    monkeypatch.setattr(cli, "_collect", lambda plan, options: sample_snapshot())
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN)
    out = tmp_path / "snap.json"
    result = runner.invoke(cli.app, ["collect", "--plan", str(plan), "--out", str(out)])
    assert result.exit_code == 0 and out.is_file()
    assert result.stderr.startswith(f"warning: {error}")


def test_rules_commands_escape_a_packs_control_characters(monkeypatch: pytest.MonkeyPatch) -> None:
    """A third-party pack's names, docs and load errors are text from outside: no ESC, OSC or
    bare CR reaches the terminal from `rules list`, `rules packs` or `rules explain`."""
    hostile = "\x1b]0;pwned\x07\x1b[2J\r"
    rule = replace(
        RULES[0], name=f"name{hostile}", doc=RULES[0].doc.replace("\n", f"{hostile}\n", 1)
    )
    loaded = packs.RuleSet(
        (
            packs.Pack(f"contoso{hostile}", "1.0", (), "1.0", (rule,)),
            packs.Pack("broken", "2.0", (), None, (), error=f"broken 2.0: {hostile}boom"),
        ),
        (rule,),
    )
    monkeypatch.setattr(packs, "load_rule_set", lambda points=None, disable=(): loaded)
    for args in (["rules", "list"], ["rules", "packs"], ["rules", "explain", rule.code]):
        done = runner.invoke(cli.app, args)
        assert done.exit_code == 0, (args, done.output)
        for stream in (done.stdout, done.stderr):
            assert "\x1b" not in stream and "\x07" not in stream and "\r" not in stream, args
        assert "\\x1b" in done.stdout + done.stderr  # shown, escaped
