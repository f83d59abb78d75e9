"""results.json: schema v2 (results inside their VM) by default, v1 on request, both readable."""

from __future__ import annotations

import io
import json
from pathlib import Path

import jsonschema
import pytest

from asr_preflight.baseline import scan_from_json, scan_of
from asr_preflight.reporters import FILE_REPORTERS, parse_formats
from asr_preflight.reporters import json as json_reporter
from reporting_sample import HOSTILE, sample_evaluation, sample_info

SCHEMAS = Path(json_reporter.__file__).parents[1] / "schemas"


@pytest.fixture(scope="module")
def doc() -> dict:
    return json.loads(json_reporter.render(sample_evaluation(), sample_info()))


@pytest.fixture(scope="module")
def v1() -> dict:
    return json.loads(json_reporter.render_v1(sample_evaluation(), sample_info()))


def test_top_level_contract(doc: dict) -> None:
    assert doc["schema"] == "asr-preflight/results/v2"
    assert doc["verdict"] == "not-ready"
    assert doc["target_region"] == "westus2"
    assert doc["generated_at"] == "2026-11-25T12:00:00Z"
    assert list(doc)[-1] == "vms"  # the header first, then one VM per line


def test_vms_carry_name_id_verdict_and_their_results(doc: dict) -> None:
    verdicts = {vm["name"]: vm["verdict"] for vm in doc["vms"]}
    assert verdicts == {
        "vm-ok-01": "ready",
        "vm-warn-01": "ready-with-conditions",
        "vm-fail-01": "not-ready",
        "vm-unknown-01": "unknown",
        HOSTILE: "not-ready",
    }
    assert all(vm["id"].startswith("/subscriptions/") for vm in doc["vms"])
    evaluation = sample_evaluation()
    for vm in doc["vms"]:
        mine = [r for r in evaluation.results if r.vm_id == vm["id"]]
        assert [(r["rule"], r["outcome"]) for r in vm["results"]] == [
            (r.rule, r.outcome.value) for r in mine
        ]
        assert sum(vm["counts"].values()) == len(vm["results"])


def test_a_result_holds_only_what_its_vm_and_rule_do_not(doc: dict) -> None:
    results = [r for vm in doc["vms"] for r in vm["results"]]
    assert all({"rule", "outcome", "message"} <= r.keys() for r in results)
    assert not any({"vm", "vm_id", "name", "severity", "area"} & r.keys() for r in results)
    # target only when it is not the VM itself (a pair here); hint only when there is one
    pairs = [r for r in results if "target" in r]
    assert pairs and all(" -> " in r["target"] for r in pairs)
    assert all(r["hint"] for r in results if "hint" in r)
    assert any("hint" not in r for r in results) and any("hint" in r for r in results)
    waived = next(r for r in results if r["outcome"] == "waived")
    assert waived["waiver"] == "accepted by the DR board, ticket 42"


def test_v2_reads_back_as_v1_with_every_result(doc: dict, v1: dict) -> None:
    def key(r: dict) -> tuple[str, str, str]:
        return (r["rule"], r["vm_id"], r["target"])

    got = sorted(json_reporter.as_v1(doc)["results"], key=key)
    assert got == sorted(v1["results"], key=key)
    assert [vm["name"] for vm in json_reporter.as_v1(doc)["vms"]] == [
        vm["name"] for vm in v1["vms"]
    ]


def test_counts_add_up(doc: dict) -> None:
    counts = doc["counts"]
    assert counts["vms"] == 5
    assert sum(counts["outcomes"].values()) == sum(len(vm["results"]) for vm in doc["vms"])
    assert counts["verdicts"] == {
        "ready": 1,
        "ready-with-conditions": 1,
        "not-ready": 2,
        "unknown": 1,
    }


@pytest.mark.parametrize(("name", "fixture"), [("v2", "doc"), ("v1", "v1")])
def test_validates_against_the_shipped_schema(
    name: str, fixture: str, request: pytest.FixtureRequest
) -> None:
    document = request.getfixturevalue(fixture)
    schema = json.loads((SCHEMAS / f"results-{name}.schema.json").read_text())
    jsonschema.validate(document, schema)
    broken = dict(document, verdict="fine")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_v1_keeps_the_design_keys(v1: dict) -> None:
    assert v1["schema"] == "asr-preflight/results/v1"
    required = {"rule", "name", "vm", "target", "outcome", "severity", "message", "vm_id"}
    assert all(required <= r.keys() for r in v1["results"])


def test_json_v1_is_a_format_of_its_own() -> None:
    assert parse_formats("json,json-v1") == ("json", "json-v1")
    assert FILE_REPORTERS["json-v1"].file_name == "results-v1.json"
    text = FILE_REPORTERS["json-v1"].text(sample_evaluation(), sample_info())
    assert json.loads(text)["schema"] == "asr-preflight/results/v1"


def test_parse_reads_both_schemas_and_refuses_other_documents(doc: dict, v1: dict) -> None:
    for document in (doc, v1):
        assert json_reporter.parse(json.dumps(document))["verdict"] == "not-ready"
    with pytest.raises(json_reporter.ResultsError, match="schema"):
        json_reporter.parse('{"schema": "asr-preflight/snapshot/v1"}')
    with pytest.raises(json_reporter.ResultsError, match="JSON"):
        json_reporter.parse("<xml/>")


def test_baseline_and_diff_read_v1_and_v2_alike(doc: dict, v1: dict) -> None:
    evaluation = sample_evaluation()
    want = scan_of(evaluation)
    for document in (doc, v1):
        scan = scan_from_json(document)
        assert scan.entries == want.entries
        assert scan.verdict == want.verdict


def test_a_lone_surrogate_from_hostile_input_is_written_escaped() -> None:
    out = io.BytesIO()
    json_reporter._write_list(out, "notes", ["bad \ud800 note"], comma=False)
    assert b"\\ud800" in out.getvalue()
