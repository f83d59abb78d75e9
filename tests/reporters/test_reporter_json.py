from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from asr_preflight.reporters import json as json_reporter
from reporting_sample import HOSTILE, sample_evaluation, sample_info

SCHEMA = Path(json_reporter.__file__).parents[1] / "schemas" / "results-v1.schema.json"


@pytest.fixture(scope="module")
def doc() -> dict:
    return json.loads(json_reporter.render(sample_evaluation(), sample_info()))


def test_top_level_contract(doc: dict) -> None:
    assert doc["schema"] == "asr-preflight/results/v1"
    assert doc["verdict"] == "not-ready"
    assert doc["target_region"] == "westus2"
    assert doc["generated_at"] == "2026-11-25T12:00:00Z"


def test_vms_carry_name_id_and_verdict(doc: dict) -> None:
    verdicts = {vm["name"]: vm["verdict"] for vm in doc["vms"]}
    assert verdicts == {
        "vm-ok-01": "ready",
        "vm-warn-01": "ready-with-conditions",
        "vm-fail-01": "not-ready",
        "vm-unknown-01": "unknown",
        HOSTILE: "not-ready",
    }
    assert all(vm["id"].startswith("/subscriptions/") for vm in doc["vms"])


def test_results_have_the_design_keys(doc: dict) -> None:
    evaluation = sample_evaluation()
    assert len(doc["results"]) == len(evaluation.results)
    required = {"rule", "name", "vm", "target", "outcome", "severity", "message"}
    for entry, result in zip(doc["results"], evaluation.results, strict=True):
        assert required <= entry.keys()
        assert (entry["rule"], entry["vm"], entry["outcome"]) == (
            result.rule,
            result.vm,
            result.outcome.value,
        )
    pair = [r for r in doc["results"] if r["rule"] == "TST009" and " -> " in r["target"]]
    assert {(r["vm"], r["target"]) for r in pair} == {
        ("vm-ok-01", "vm-ok-01 -> vm-warn-01"),
        ("vm-warn-01", "vm-warn-01 -> vm-ok-01"),
    }
    waived = next(r for r in doc["results"] if r["outcome"] == "waived")
    assert waived["waiver"] == "accepted by the DR board, ticket 42"


def test_counts_add_up(doc: dict) -> None:
    counts = doc["counts"]
    assert counts["vms"] == 5
    assert sum(counts["outcomes"].values()) == len(doc["results"])
    assert counts["verdicts"] == {
        "ready": 1,
        "ready-with-conditions": 1,
        "not-ready": 2,
        "unknown": 1,
    }


def test_validates_against_the_shipped_schema(doc: dict) -> None:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.validate(doc, schema)
    broken = dict(doc, verdict="fine")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_parse_reads_back_and_refuses_other_documents() -> None:
    text = json_reporter.render(sample_evaluation(), sample_info())
    assert json_reporter.parse(text)["verdict"] == "not-ready"
    with pytest.raises(json_reporter.ResultsError, match="schema"):
        json_reporter.parse('{"schema": "asr-preflight/snapshot/v1"}')
    with pytest.raises(json_reporter.ResultsError, match="JSON"):
        json_reporter.parse("<xml/>")
