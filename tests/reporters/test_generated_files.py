"""The README's rule list and the shipped JSON Schemas are generated; these tests fail when stale."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from asr_preflight import docs
from asr_preflight.cli import load_demo
from asr_preflight.snapshot import snapshot_from_json, snapshot_to_json
from reporting_sample import sample_snapshot

ROOT = Path(__file__).parents[2]
HOW = "stale: run `python -m asr_preflight.docs` and commit the result"


def test_shipped_schemas_are_current() -> None:
    for name, text in docs.schemas().items():
        assert (docs.SCHEMA_DIR / name).read_text(encoding="utf-8") == text, f"{name} {HOW}"


def test_readme_rule_list_is_current() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert docs.with_rules(readme, docs.builtin_rules()) == readme, f"README.md rules {HOW}"
    for rule in docs.builtin_rules():
        assert f"| {rule.code} |" in readme


def test_rule_list_replaces_only_the_marked_block() -> None:
    text = f"intro\n{docs.BEGIN}\nstale-row-x1\n{docs.END}\noutro\n"
    rules = docs.builtin_rules()
    out = docs.with_rules(text, rules)
    assert out.startswith("intro\n") and out.endswith("\noutro\n")
    assert "stale-row-x1" not in out and f"| {rules[0].code} |" in out


def test_round_tripped_snapshots_validate_against_the_shipped_schema() -> None:
    schema = json.loads((docs.SCHEMA_DIR / "snapshot-v1.schema.json").read_text())
    _, demo = load_demo()
    for snapshot in (sample_snapshot(), demo):
        text = snapshot_to_json(snapshot)
        again = snapshot_to_json(snapshot_from_json(text))
        assert again == text
        jsonschema.validate(json.loads(again), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(dict(json.loads(text), vms=[{"name": "no id"}]), schema)


def test_check_mode_reports_stale_files(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"{docs.BEGIN}\n{docs.END}\n")
    assert docs.main(["--readme", str(readme), "--check"]) == 1
    assert readme.read_text() == f"{docs.BEGIN}\n{docs.END}\n"
