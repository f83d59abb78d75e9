"""results.xml: JUnit that GitLab, Azure DevOps and Jenkins show, read here by junitparser (a
consumer nobody here wrote) and validated against the JUnit 10 schema (Jenkins xUnit)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest
import xmlschema
from junitparser import Error, Failure, JUnitXml, Skipped

from asr_preflight.api import Outcome
from asr_preflight.engine import Evaluation, Result, VmVerdict, verdict_of
from asr_preflight.reporters import RunInfo, junit
from asr_preflight.testing import make_vm
from reporting_sample import HOSTILE, sample_evaluation, sample_info, sample_snapshot

XSD = Path(__file__).parents[1] / "data" / "junit-10.xsd"


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(XSD)


@pytest.fixture(scope="module")
def root() -> ET.Element:
    return ET.fromstring(junit.render(sample_evaluation(), sample_info()))


def _info(**changes: object) -> RunInfo:
    return replace(sample_info(), **changes)  # type: ignore[arg-type]


def _case(root: ET.Element, name: str) -> ET.Element:
    found = [c for c in root.iter("testcase") if c.get("name") == name]
    assert len(found) == 1, name
    return found[0]


def _parsed(tmp_path: Path, evaluation: Evaluation, info: RunInfo) -> JUnitXml:
    path = tmp_path / "results.xml"
    path.write_text(junit.render(evaluation, info), encoding="utf-8")
    return JUnitXml.fromfile(str(path))


def test_validates_against_the_junit_10_schema(schema: xmlschema.XMLSchema) -> None:
    for mode in junit.WARNING_MODES:
        schema.validate(junit.render(sample_evaluation(), _info(junit_warnings=mode)))


def test_one_suite_per_area_in_fixed_order(root: ET.Element) -> None:
    names = [s.get("name") for s in root.findall("testsuite")]
    assert names == ["plan", "capacity", "network", "guest", "identity", "vm"]


def test_one_case_per_result_named_by_label(root: ET.Element) -> None:
    evaluation = sample_evaluation()
    names = [c.get("name") for c in root.iter("testcase")]
    want = [
        r.label + (f" (warning: {r.message})" if r.outcome is Outcome.WARN else "")
        for r in evaluation.results
    ]
    assert sorted(names) == sorted(want)
    assert root.get("tests") == str(len(evaluation.results))
    assert "TST009 scripted-pair [vm-ok-01 -> vm-warn-01]" in names


def test_every_element_has_a_time(root: ET.Element) -> None:
    elements = [root, *root.iter("testsuite"), *root.iter("testcase")]
    assert elements and all(e.get("time") == "0" for e in elements)


def test_outcomes_map_to_failure_error_skipped_and_a_visible_warning(root: ET.Element) -> None:
    fail = _case(root, "TST201 scripted-network [vm-fail-01]").find("failure")
    assert fail is not None
    assert "failed <b>badly</b>" in (fail.get("message") or "")
    # GitLab shows only the text: the reason and the hint are there
    assert "vm-fail-01: TST201 failed <b>badly</b>" in (fail.text or "")
    assert "hint: fix vm-fail-01" in (fail.text or "")

    unknown = _case(root, "TST401 scripted-identity [vm-unknown-01]")
    assert unknown.find("error") is not None and unknown.find("failure") is None
    assert "the TST401 facts of vm-unknown-01" in (unknown.find("error").text or "")

    skip = _case(root, "TST301 scripted-guest [vm-warn-01]").find("skipped")
    assert skip.get("message") == "in-guest checks were not requested"
    assert skip.text == "in-guest checks were not requested"

    waived = _case(root, "TST001 scripted-plan [vm-ok-01]").find("skipped")
    assert waived.get("message") == "waived: accepted by the DR board, ticket 42"
    assert "waived: accepted by the DR board" in (waived.text or "")

    # a warning passes by default, its message in the name (no CI shows a pass's output)
    warn = _case(root, "TST101 scripted-capacity [vm-warn-01] (warning: vm-warn-01: TST101 warns)")
    assert [child.tag for child in warn] == ["system-out"]
    assert "hint: consider it" in (warn.find("system-out").text or "")

    passed = _case(root, "TST101 scripted-capacity [vm-ok-01]")
    assert list(passed) == []


@pytest.mark.parametrize(
    ("mode", "element", "counted"),
    [("pass", None, None), ("skipped", Skipped, "skipped"), ("failure", Failure, "failures")],
)
def test_junit_warnings_mode_as_junitparser_reads_it(
    tmp_path: Path, mode: str, element: type | None, counted: str | None
) -> None:
    xml = _parsed(tmp_path, sample_evaluation(), _info(junit_warnings=mode))
    cases = {case.name: case for suite in xml for case in suite if "TST101" in case.name}
    warned = [c for name, c in cases.items() if "vm-warn-01" in name]
    assert len(warned) == 1
    [case] = warned
    if element is None:
        assert case.is_passed and "warning: vm-warn-01: TST101 warns" in case.name
    else:
        [got] = case.result
        assert isinstance(got, element)
        assert "TST101 warns" in (got.message or "") and "hint: consider it" in (got.text or "")
        assert case.name == "TST101 scripted-capacity [vm-warn-01]"
    capacity = next(s for s in xml if s.name == "capacity")
    base = {"failures": 0, "skipped": 0}
    if counted:
        base[counted] = 2  # vm-warn-01 and vm-fail-01 warn on TST101
    assert (capacity.failures, capacity.skipped) == (base["failures"], base["skipped"])


def test_junitparser_sees_every_outcome_with_its_text(tmp_path: Path) -> None:
    evaluation = sample_evaluation()
    xml = _parsed(tmp_path, evaluation, sample_info())
    kinds: dict[str, int] = {"failure": 0, "error": 0, "skipped": 0, "passed": 0}
    for suite in xml:
        for case in suite:
            assert case.time == 0
            for result in case.result:
                kind = {Failure: "failure", Error: "error", Skipped: "skipped"}[type(result)]
                kinds[kind] += 1
                assert result.text and result.message  # GitLab: text; Azure DevOps: message
            if case.is_passed:
                kinds["passed"] += 1
    outcomes = [r.outcome for r in evaluation.results]
    assert kinds == {
        "failure": outcomes.count(Outcome.FAIL),
        "error": outcomes.count(Outcome.UNKNOWN),
        "skipped": outcomes.count(Outcome.SKIP) + outcomes.count(Outcome.WAIVED),
        "passed": outcomes.count(Outcome.PASS) + outcomes.count(Outcome.WARN),
    }


def test_colliding_vm_names_get_their_resource_group_or_subscription(tmp_path: Path) -> None:
    vms = [
        make_vm("vm-web", resource_group="rg-a", tags={"TST201": "fail"}),
        make_vm("vm-web", resource_group="rg-b", tags={"TST201": "fail"}),
        make_vm(
            "VM-WEB",
            resource_group="rg-b",
            subscription_id="22222222-2222-4222-8222-222222222222",
            tags={"TST201": "fail"},
        ),
        make_vm("vm-solo", tags={"TST201": "fail"}),
    ]
    evaluation = sample_evaluation(sample_snapshot(vms))
    xml = _parsed(tmp_path, evaluation, sample_info())
    names = [case.name for suite in xml for case in suite if case.name.startswith("TST201")]
    assert sorted(names) == sorted(
        [
            "TST201 scripted-network [rg-a/vm-web]",
            "TST201 scripted-network [00000000-0000-0000-0000-0000000000a1/rg-b/vm-web]",
            "TST201 scripted-network [22222222-2222-4222-8222-222222222222/rg-b/VM-WEB]",
            "TST201 scripted-network [vm-solo]",
        ]
    )
    assert len(set(names)) == len(names)


def _large(
    vm_count: int, message: str = "{vm}: blocked by nsg-1", fail_every: int = 2
) -> Evaluation:
    base = sample_evaluation()
    rules = [r for r in base.rules if r.code in ("TST201", "TST501")]
    vms: list[VmVerdict] = []
    results: list[Result] = []
    for i in range(vm_count):
        name = f"vm-{i:05d}"
        vm_id = (
            f"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/{name}"
        )
        mine = []
        for rule in rules:
            outcome = (
                Outcome.FAIL if i % fail_every == 0 and rule.code == "TST201" else Outcome.PASS
            )
            if rule.code == "TST501" and i % 7 == 0:
                outcome = Outcome.SKIP
            results.append(
                Result(
                    rule.code,
                    rule.name,
                    rule.area,
                    rule.severity,
                    name,
                    vm_id,
                    vm_id,
                    outcome,
                    message.format(vm=name, i=i),
                    "open port 443",
                )
            )
            mine.append(outcome)
        counts = {o: mine.count(o) for o in Outcome}
        vms.append(VmVerdict(name, vm_id, verdict_of(mine), counts))
    return replace(base, vms=tuple(vms), results=tuple(results))


def test_above_the_threshold_passes_and_skips_are_one_case_per_rule(tmp_path: Path) -> None:
    count = junit.GROUP_ABOVE_VMS + 1
    evaluation = _large(count, message="{vm}: blocked by rule {i}")  # every message differs
    xml = _parsed(tmp_path, evaluation, sample_info())
    cases = [case for suite in xml for case in suite]
    failing = [c for c in cases if c.result and isinstance(c.result[0], Failure)]
    assert len(failing) == (count + 1) // 2  # every failure keeps its own case
    names = {c.name for c in cases}
    assert "TST201 scripted-network [passing VMs]" in names
    assert "TST501 scripted-vm [skipped VMs]" in names
    assert len(cases) == len(failing) + 3  # TST201 and TST501 passes, TST501 skips
    root = ET.fromstring(junit.render(evaluation, sample_info()))
    assert root.find(".//property[@name='asr-preflight.cases']").get("value") == "per-rule"


def test_identical_findings_share_a_case_when_the_file_would_be_too_large(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    evaluation = _large(junit.GROUP_ABOVE_VMS + 1)
    monkeypatch.setattr(junit, "MAX_BYTES", 20_000)
    text = junit.render(evaluation, sample_info())
    assert len(text) < 40_000
    root = ET.fromstring(text)
    assert root.find(".//property[@name='asr-preflight.cases']").get("value") == "per-finding"
    [case] = [c for c in root.iter("testcase") if c.find("failure") is not None]
    assert case.get("name") == "TST201 scripted-network [vm-00000 and 500 more]"
    failure = case.find("failure")
    assert "vm-00000: blocked by nsg-1" in (failure.text or "")
    assert "hint: open port 443" in (failure.text or "")
    assert "the same on 500 more VMs: vm-00002, vm-00004" in (failure.text or "")


def test_hostile_names_and_control_characters_stay_well_formed(
    schema: xmlschema.XMLSchema,
) -> None:
    evaluation = sample_evaluation()
    dirty = tuple(
        replace(r, message=r.message + ' \x00\x1b[31m & ]]> "q"\n\tx') if r.vm == HOSTILE else r
        for r in evaluation.results
    )
    text = junit.render(replace(evaluation, results=dirty), sample_info())
    schema.validate(text)
    root = ET.fromstring(text)
    failure = _case(root, f"TST501 scripted-vm [{HOSTILE}]").find("failure")
    assert failure is not None
    assert failure.get("message", "").endswith('& ]]> "q" x')
    assert "\ufffd\ufffd[31m" in (failure.text or "")


def test_empty_evaluation_is_valid(schema: xmlschema.XMLSchema) -> None:
    evaluation = replace(sample_evaluation(), vms=(), results=())
    text = junit.render(evaluation, sample_info())
    schema.validate(text)
    assert ET.fromstring(text).get("tests") == "0"


def test_the_cli_passes_junit_warnings_through(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from asr_preflight.cli import app

    got = CliRunner().invoke(
        app,
        ["demo", "--format", "junit", "--output-dir", str(tmp_path), "--junit-warnings", "failure"],
    )
    assert got.exit_code == 1, got.output
    xml = JUnitXml.fromfile(str(tmp_path / "results.xml"))
    warn = [r for suite in xml for case in suite for r in case.result if r.type == "warn"]
    assert warn and all(isinstance(r, Failure) for r in warn)
    bad = CliRunner().invoke(app, ["demo", "--junit-warnings", "loud"])
    assert bad.exit_code == 2


def test_a_small_estate_past_the_size_limit_is_grouped_too(monkeypatch: pytest.MonkeyPatch) -> None:
    evaluation = _large(50)
    monkeypatch.setattr(junit, "MAX_BYTES", 2_000)
    root = ET.fromstring(junit.render(evaluation, sample_info()))
    form = root.find(".//property[@name='asr-preflight.cases']").get("value")
    assert form == "per-finding"


def _only_form(monkeypatch: pytest.MonkeyPatch, form: str) -> None:
    monkeypatch.setattr(junit, "FORMS", (form,))
    monkeypatch.setattr(junit, "GROUP_ABOVE_VMS", 10**9)


def test_one_case_per_rule_and_outcome_does_not_call_different_messages_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _only_form(monkeypatch, "per-rule-and-outcome")
    evaluation = _large(6, message="blocked by rule {i}")  # every VM its own reason
    root = ET.fromstring(junit.render(evaluation, sample_info()))
    [case] = [c for c in root.iter("testcase") if c.find("failure") is not None]
    text = case.find("failure").text or ""
    assert "blocked by rule 0" in text
    assert "the same on" not in text  # rules 2 and 4 are other reasons
    assert "2 more VMs" in text and "vm-00002, vm-00004" in text
    assert "results.json" in text
    same = _large(6, message="{vm}: blocked by nsg-1")  # the same finding on every VM
    root = ET.fromstring(junit.render(same, sample_info()))
    [case] = [c for c in root.iter("testcase") if c.find("failure") is not None]
    assert "the same on 2 more VMs: vm-00002, vm-00004" in (case.find("failure").text or "")


def test_one_case_per_finding_keeps_waived_failures_and_unknowns_apart(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _only_form(monkeypatch, "per-finding")
    evaluation = _large(4, message="blocked", fail_every=1)
    results = tuple(
        replace(
            r,
            outcome=Outcome.WAIVED,
            waiver="accepted",
            original=Outcome.FAIL if r.vm in ("vm-00000", "vm-00001") else Outcome.UNKNOWN,
        )
        if r.rule == "TST201"
        else r
        for r in evaluation.results
    )
    root = ET.fromstring(junit.render(replace(evaluation, results=results), sample_info()))
    waived = [c for c in root.iter("testcase") if "TST201" in (c.get("name") or "")]
    texts = sorted((c.find("skipped").text or "").split("\n")[1] for c in waived)
    assert texts == ["fail: blocked", "unknown: blocked"]


def test_grouped_pair_findings_name_each_pair(monkeypatch: pytest.MonkeyPatch) -> None:
    _only_form(monkeypatch, "per-finding")
    base = sample_evaluation()
    pair = next(r for r in base.results if " -> " in r.target)
    results = tuple(
        replace(
            pair, vm=a, vm_id=f"/x/{a}", target=f"{a} -> {b}", outcome=Outcome.FAIL, message="m"
        )
        for a, b in (("a", "b"), ("a", "c"), ("b", "a"))
    )
    root = ET.fromstring(junit.render(replace(base, results=results), sample_info()))
    [case] = [c for c in root.iter("testcase") if c.find("failure") is not None]
    assert case.get("name") == f"{pair.rule} {pair.name} [a -> b and 2 more]"
    assert "the same on 2 more: a -> c, b -> a" in (case.find("failure").text or "")


def test_pairs_of_vms_with_colliding_names_stay_distinct_cases(tmp_path: Path) -> None:
    # Two consistency groups named by VM id, each with a "web" and a "db": four pairs, two of
    # them "web -> db". GitLab would collapse equal names, and a failing pair could hide.
    from asr_preflight.engine import evaluate
    from asr_preflight.testing import make_plan, make_snapshot
    from reporting_sample import PAIR

    vms = [make_vm(n, resource_group=rg) for rg in ("rg-a", "rg-b") for n in ("web", "db")]
    groups = [
        {"name": rg, "vms": [vm.id for vm in vms if f"/{rg}/" in vm.id]} for rg in ("rg-a", "rg-b")
    ]
    snapshot = make_snapshot(vms=vms, plan=make_plan(groups=groups))
    assert snapshot.plan is not None
    evaluation = evaluate(snapshot, snapshot.plan, [PAIR])
    xml = _parsed(tmp_path, evaluation, sample_info())
    names = [case.name for suite in xml for case in suite]
    assert len(names) == 4 and len(set(names)) == 4, names
    assert "TST009 scripted-pair [rg-a/web -> db]" in names


def test_equal_case_names_never_reach_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    # whatever the names, no two cases of a class share a name (a CI would merge them)
    evaluation = sample_evaluation()
    twin = next(r for r in evaluation.results if r.outcome is Outcome.FAIL)
    results = (*evaluation.results, replace(twin, outcome=Outcome.PASS))
    root = ET.fromstring(junit.render(replace(evaluation, results=results), sample_info()))
    keys = [(c.get("classname"), c.get("name")) for c in root.iter("testcase")]
    assert len(keys) == len(set(keys))
