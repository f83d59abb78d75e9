from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest
import xmlschema

from asr_preflight.reporters import junit
from reporting_sample import HOSTILE, sample_evaluation, sample_info

XSD = Path(__file__).parents[1] / "data" / "junit-10.xsd"


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(XSD)


@pytest.fixture(scope="module")
def root() -> ET.Element:
    return ET.fromstring(junit.render(sample_evaluation(), sample_info()))


def _case(root: ET.Element, name: str) -> ET.Element:
    found = [c for c in root.iter("testcase") if c.get("name") == name]
    assert len(found) == 1, name
    return found[0]


def test_validates_against_the_junit_10_schema(schema: xmlschema.XMLSchema) -> None:
    schema.validate(junit.render(sample_evaluation(), sample_info()))


def test_one_suite_per_area_in_fixed_order(root: ET.Element) -> None:
    names = [s.get("name") for s in root.findall("testsuite")]
    assert names == ["plan", "capacity", "network", "guest", "identity", "vm"]


def test_one_case_per_result_named_by_label(root: ET.Element) -> None:
    evaluation = sample_evaluation()
    names = [c.get("name") for c in root.iter("testcase")]
    assert sorted(names) == sorted(r.label for r in evaluation.results)
    assert root.get("tests") == str(len(evaluation.results))
    assert "TST009 scripted-pair [vm-ok-01 -> vm-warn-01]" in names


def test_outcomes_map_to_failure_error_skipped_and_system_out(root: ET.Element) -> None:
    fail = _case(root, "TST201 scripted-network [vm-fail-01]")
    assert fail.find("failure") is not None
    assert "failed <b>badly</b>" in (fail.find("failure").get("message") or "")
    assert "hint: fix vm-fail-01" in (fail.find("failure").text or "")

    unknown = _case(root, "TST401 scripted-identity [vm-unknown-01]")
    assert unknown.find("error") is not None and unknown.find("failure") is None

    skip = _case(root, "TST301 scripted-guest [vm-warn-01]")
    assert skip.find("skipped").get("message") == "in-guest checks were not requested"

    waived = _case(root, "TST001 scripted-plan [vm-ok-01]")
    assert waived.find("skipped").get("message") == "waived: accepted by the DR board, ticket 42"

    warn = _case(root, "TST101 scripted-capacity [vm-warn-01]")
    assert [child.tag for child in warn] == ["system-out"]
    assert "TST101 warns" in (warn.find("system-out").text or "")

    passed = _case(root, "TST101 scripted-capacity [vm-ok-01]")
    assert list(passed) == []


def test_suite_counts_match_outcomes(root: ET.Element) -> None:
    network = next(s for s in root.findall("testsuite") if s.get("name") == "network")
    assert (network.get("failures"), network.get("errors")) == ("1", "0")
    identity = next(s for s in root.findall("testsuite") if s.get("name") == "identity")
    assert identity.get("errors") == "1"
    assert root.get("failures") == "2" and root.get("errors") == "1"


def test_hostile_names_and_control_characters_stay_well_formed(
    schema: xmlschema.XMLSchema,
) -> None:
    evaluation = sample_evaluation()
    dirty = tuple(
        replace(r, message=r.message + " \x00\x1b[31m & ]]>") if r.vm == HOSTILE else r
        for r in evaluation.results
    )
    text = junit.render(replace(evaluation, results=dirty), sample_info())
    schema.validate(text)
    root = ET.fromstring(text)
    assert _case(root, f"TST501 scripted-vm [{HOSTILE}]").find("failure") is not None


def test_empty_evaluation_is_valid(schema: xmlschema.XMLSchema) -> None:
    evaluation = replace(sample_evaluation(), vms=(), results=())
    text = junit.render(evaluation, sample_info())
    schema.validate(text)
    assert ET.fromstring(text).get("tests") == "0"
