"""`asr-preflight demo` end to end with the real rule pack: every file written and valid."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import xmlschema
from typer.testing import CliRunner

from asr_preflight import cli, docs

XSD = Path(__file__).parents[1] / "data" / "junit-10.xsd"


def test_demo_writes_valid_reports(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli.app, ["demo", "--output-dir", str(tmp_path)])
    assert result.exit_code in (0, 1, 3, 4), result.output
    assert result.stderr == ""

    doc = json.loads((tmp_path / "results.json").read_text())
    schema = json.loads((docs.SCHEMA_DIR / "results-v2.schema.json").read_text())
    jsonschema.validate(doc, schema)
    assert doc["source"] == "demo" and doc["counts"]["vms"] == len(doc["vms"]) > 0
    assert result.exit_code == {"ready": 0, "not-ready": 1, "unknown": 3}.get(doc["verdict"], 0)

    xmlschema.XMLSchema(XSD).validate(tmp_path / "results.xml")
    page = (tmp_path / "report.html").read_text()
    assert f'data-count="{len(doc["vms"])}"' in page
    assert f"Run verdict: {doc['verdict_label']}" in result.stdout
