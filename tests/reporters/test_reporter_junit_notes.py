"""JUnit carries the run's notes beside its verdict: a rule pack that failed to load makes the run
incomplete, and a CI reading only results.xml must see why it is not ready."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import xmlschema

from asr_preflight.engine import evaluate
from asr_preflight.reporters import junit
from reporting_sample import RULES, sample_info, sample_snapshot

XSD = Path(__file__).parents[1] / "data" / "junit-10.xsd"


def test_an_incomplete_runs_notes_are_properties_of_every_suite() -> None:
    snapshot = sample_snapshot()
    assert snapshot.plan is not None
    note = "rule pack contoso 1.0 (contoso:RULES) failed to load: ImportError('\x07bell')"
    evaluation = evaluate(snapshot, snapshot.plan, RULES, incomplete=[note])
    text = junit.render(evaluation, sample_info())
    xmlschema.XMLSchema(XSD).validate(text)
    suites = ET.fromstring(text.encode()).findall("testsuite")
    assert suites
    for suite in suites:
        properties = {p.get("name"): p.get("value", "") for p in suite.iter("property")}
        assert "contoso 1.0" in properties["asr-preflight.note.1"]
        assert "\x07" not in properties["asr-preflight.note.1"]
        assert properties["verdict"] == "not-ready"  # the sample has failures: worse than unknown
