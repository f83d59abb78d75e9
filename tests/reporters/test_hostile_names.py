"""Every report file is written, well-formed and parsable whatever the VM names hold: control
characters XML 1.0 cannot carry, a lone surrogate (the json module, which the snapshot loader and
the Azure SDK fall back to, accepts "\\ud800"), "]]>", very long names."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import orjson
import xmlschema

from asr_preflight.reporters import FILE_REPORTERS, write_reports
from asr_preflight.testing import make_vm
from reporting_sample import sample_evaluation, sample_info, sample_snapshot, sample_vms

DATA = Path(__file__).parents[1] / "data"
NAMES = (
    "x\x00y\x01\x08",
    "a\x0b\x0c\x1fb",
    "s\ud800lone",
    "lo\udfffw",
    "c]]>d",
    "L" * 5000,
    "\ufffe\uffff",
    "\U0001f600",
)


def test_every_format_is_written_and_parses_with_hostile_vm_names(tmp_path: Path) -> None:
    tags = {"TST201": "fail", "TST401": "unknown", "TST101": "warn"}
    vms = [*sample_vms(), *(make_vm(name, tags=tags) for name in NAMES)]
    evaluation = sample_evaluation(sample_snapshot(vms))
    written = write_reports(evaluation, sample_info(), list(FILE_REPORTERS), tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in written)
    texts = {p.name: p.read_bytes().decode("utf-8") for p in written}  # strict UTF-8
    xmlschema.XMLSchema(DATA / "junit-10.xsd").validate(texts["results.xml"])
    failing = [c for c in ET.fromstring(texts["results.xml"]).iter("testcase") if len(c)]
    assert any("lone" in (c.get("name") or "") for c in failing)
    sarif = orjson.loads(texts["results.sarif"])  # strict: no lone surrogate, even escaped
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(sarif)
    assert any("lone" in r["properties"]["vm"] for r in sarif["runs"][0]["results"])
    for name in ("results.json", "results-v1.json"):
        assert "lone" in json.dumps(json.loads(texts[name]))
    assert "lone" in texts["report.html"] and "lone" in texts["summary.md"]
    # summary.md is shown raw too (a terminal, a job log): no control character but the newline
    assert not [c for c in texts["summary.md"] if ord(c) < 32 and c != "\n"]
