"""SARIF 2.1.0: valid against the OASIS schema, rules documented, levels, locations, suppressions."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import jsonschema
import pytest
from gatekit import build

from asr_preflight.baseline import mark, scan_of
from asr_preflight.plan import Waiver
from asr_preflight.reporters import sarif
from asr_preflight.waivers import apply_waivers

SCHEMA = json.loads((Path(__file__).parents[1] / "data" / "sarif-schema-2.1.0.json").read_text())


def validate(doc: dict[str, object]) -> None:
    jsonschema.Draft4Validator(SCHEMA).validate(doc)


def test_a_mixed_scan_is_valid_sarif_with_one_run(tmp_path: Path) -> None:
    ev = build(["vm-ok", "vm-bad", "vm-warn", "vm-unk", "vm-old"])
    path = sarif.write(ev, tmp_path, plan_uri="dr/plan.toml")
    assert path.name == "results.sarif"
    doc = json.loads(path.read_text())
    validate(doc)
    [run] = doc["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["TST201", "TST501"]
    assert rules[0]["shortDescription"]["text"] == "Outbound connectivity works."
    assert rules[0]["fullDescription"]["text"] == "The outbound rules of the VM."
    assert "## How to fix" in rules[0]["help"]["markdown"]
    assert rules[0]["helpUri"].startswith("https://learn.microsoft.com/")
    assert [r["defaultConfiguration"]["level"] for r in rules] == ["error", "error"]
    got = {(r["ruleId"], r["properties"]["vm"]): (r["level"], r["kind"]) for r in run["results"]}
    assert got == {
        ("TST201", "vm-bad"): ("error", "fail"),
        ("TST201", "vm-warn"): ("warning", "fail"),
        ("TST201", "vm-unk"): ("warning", "fail"),
        ("TST501", "vm-old"): ("error", "fail"),
    }
    unk = next(r for r in run["results"] if r["properties"]["vm"] == "vm-unk")
    assert unk["message"]["text"].startswith("Readiness unknown: ")
    loc = run["results"][0]["locations"][0]
    assert loc["logicalLocations"][0]["fullyQualifiedName"].endswith("/virtualMachines/vm-bad")
    assert loc["physicalLocation"]["artifactLocation"]["uri"] == "dr/plan.toml"
    assert run["properties"]["verdict"] == "not-ready"


def test_waived_results_carry_an_accepted_suppression_and_keep_their_level() -> None:
    w = Waiver(
        rule="TST201",
        target="vm-bad",
        justification="NetOps ticket 4711",
        owner="o",
        expires=date(2030, 1, 1),
    )
    ev, _ = apply_waivers(build(["vm-bad"]), [w], date(2026, 11, 25))
    doc = sarif.render(ev)
    validate(doc)
    [res] = doc["runs"][0]["results"]
    assert res["level"] == "error"
    assert res["suppressions"] == [
        {"kind": "external", "status": "accepted", "justification": "NetOps ticket 4711"}
    ]
    # no plan given: the location is still physical (GitHub needs one); here the fallback
    assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "results.sarif"


def test_fingerprints_are_stable_and_baseline_state_is_set() -> None:
    base = scan_of(build(["vm-a-bad"]))
    ev, _ = mark(build(["vm-a-bad", "vm-b-bad"]), base)
    doc = sarif.render(ev)
    validate(doc)
    states = {r["properties"]["vm"]: r["baselineState"] for r in doc["runs"][0]["results"]}
    assert states == {"vm-a-bad": "unchanged", "vm-b-bad": "new"}
    again = sarif.render(build(["vm-b-bad", "vm-a-bad"]))

    def fp(d: dict) -> list[str]:  # type: ignore[type-arg]
        return sorted(r["partialFingerprints"][sarif.FINGERPRINT] for r in d["runs"][0]["results"])

    assert fp(doc) == fp(again) and len(set(fp(doc))) == 2


@pytest.mark.parametrize("include_passing", [False, True])
def test_passing_results_only_on_request(include_passing: bool) -> None:
    doc = sarif.render(build(["vm-ok", "vm-bad"]), include_passing=include_passing)
    validate(doc)
    kinds = sorted(r["kind"] for r in doc["runs"][0]["results"])
    assert kinds == (["fail", "pass", "pass", "pass"] if include_passing else ["fail"])


def test_the_schema_check_itself_catches_a_broken_document() -> None:
    doc = sarif.render(build(["vm-bad"]))
    doc["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        validate(doc)


def test_the_plan_location_is_relative_to_the_working_directory(tmp_path: Path) -> None:
    plan = tmp_path / "dr" / "plan.toml"
    assert sarif.plan_uri_of(plan, cwd=tmp_path) == "dr/plan.toml"
    outside = sarif.plan_uri_of(plan, cwd=tmp_path / "elsewhere")
    assert outside == plan.resolve().as_uri()
    doc = sarif.render(build(["vm-bad"]), plan_uri=outside)
    validate(doc)
    location = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": outside}
    assert "originalUriBaseIds" not in doc["runs"][0]


def test_a_plan_path_with_spaces_hash_and_non_ascii_is_a_percent_encoded_uri(
    tmp_path: Path,
) -> None:
    # SARIF's artifactLocation.uri is an RFC 3986 URI reference: a raw space is not allowed and
    # "#" would start a fragment (GitHub would point at "snap shot"); the category stays readable.
    from urllib.parse import unquote, urlsplit

    from asr_preflight.reporters import RunInfo

    plan = tmp_path / "my plans" / "plán" / "snap shot#1.toml"
    uri = sarif.plan_uri_of(plan, cwd=tmp_path)
    assert uri == "my%20plans/pl%C3%A1n/snap%20shot%231.toml"
    assert unquote(urlsplit(uri).path) == "my plans/plán/snap shot#1.toml"
    info = RunInfo("t", "2026-11-25T00:00:00Z", plan_path=uri)
    assert sarif.category_of(info) == "asr-preflight/my plans/plán/snap shot#1"
    doc = sarif.render(build(["vm-bad"]), info=info)
    validate(doc)
    location = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": uri, "uriBaseId": "SRCROOT"}


def test_a_warn_rule_is_a_warning_by_default_and_its_findings_are_warnings() -> None:
    from asr_preflight.api import Finding, RuleContext, VirtualMachine, failed, vm_rule
    from asr_preflight.engine import evaluate
    from asr_preflight.testing import make_snapshot, make_vm

    @vm_rule(code="TST502", name="declared-warn", severity="warn")
    def declared_warn(ctx: RuleContext, vm: VirtualMachine) -> Finding:
        return failed(vm, "a fail from a warn rule")  # the engine reports it as warn

    snapshot = make_snapshot(vms=[make_vm("vm-a")])
    assert snapshot.plan is not None
    doc = sarif.render(evaluate(snapshot, snapshot.plan, [declared_warn]))
    [run] = doc["runs"]
    [rule] = run["tool"]["driver"]["rules"]
    assert rule["defaultConfiguration"]["level"] == "warning"
    assert [r["level"] for r in run["results"]] == ["warning"]
