"""Meta-test: every installed rule matches the published catalogue (docs/RULES.md), is documented,
registered, and tested. It checks the installed rules against the catalogue, so it keeps passing
as rules are added, and catches a rule that drifts from its published code, name or severity."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from asr_preflight.api import CODE_PATTERN, DOC_SECTIONS, Area, Rule, doc_sections
from asr_preflight.engine import builtin_rules
from asr_preflight_rules import catalogue

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "docs" / "RULES.md"
RULES_DIR = ROOT / "rules" / "asr_preflight_rules"
ROW = re.compile(r"^\|\s*(ASR\d{3})\s*\|\s*([a-z0-9-]+)\s*\|[^|]*\|\s*([a-z/]+)\s*\|")

INSTALLED = builtin_rules()  # a third-party pack installed beside it changes nothing here
BUILTIN = tuple(r for r in INSTALLED if r.func.__module__.startswith("asr_preflight_rules."))


def published() -> dict[str, tuple[str, str]]:
    """code -> (name, severity) from the catalogue's tables."""
    rows: dict[str, tuple[str, str]] = {}
    for line in CATALOGUE.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            code, name, severity = match.groups()
            assert code not in rows, f"{code} is listed twice in docs/RULES.md"
            rows[code] = (name, severity)
    return rows


PUBLISHED = published()


def test_catalogue_copy_names_its_source_and_parses() -> None:
    first = CATALOGUE.read_text(encoding="utf-8").splitlines()[0]
    assert "Source:" in first and "RULES.md" in first
    assert len(PUBLISHED) >= 50
    assert PUBLISHED["ASR505"] == ("no-ephemeral-os-disk", "fail")


def test_builtin_pack_is_installed_and_complete() -> None:
    assert BUILTIN, "the built-in rule pack is not installed (pip install -e .)"
    assert {r.code for r in BUILTIN} == {r.code for r in catalogue.RULES}


def test_catalogue_module_is_sorted_and_unique() -> None:
    codes = [r.code for r in catalogue.RULES]
    assert codes == sorted(codes)
    assert len(codes) == len(set(codes))


@pytest.mark.parametrize("rule", BUILTIN, ids=lambda r: r.code)
def test_rule_matches_published_catalogue(rule: Rule) -> None:
    assert re.fullmatch(r"ASR\d{3}", rule.code) and CODE_PATTERN.match(rule.code)
    assert rule.code in PUBLISHED, f"{rule.code} is not in docs/RULES.md"
    name, listed = PUBLISHED[rule.code]
    assert rule.name == name
    severities = listed.split("/")  # "fail/warn" (ASR101): the rule declares the worst, fail
    expected = "fail" if "fail" in severities else severities[0]
    assert rule.severity == expected


@pytest.mark.parametrize("rule", INSTALLED, ids=lambda r: r.code)
def test_rule_is_documented(rule: Rule) -> None:
    assert rule.title and not rule.title.startswith("#")
    sections = doc_sections(rule.doc)
    for heading in DOC_SECTIONS:
        assert sections.get(heading, "").strip(), f"{rule.code}: '## {heading}' missing or empty"
    assert re.search(r"https://\S+", sections["References"]), f"{rule.code}: no URL in References"


def test_codes_are_unique_across_packs() -> None:
    codes = [r.code for r in INSTALLED]
    assert len(codes) == len(set(codes))


def _rule_modules() -> list[Path]:
    return sorted(RULES_DIR.glob("*/asr[0-9][0-9][0-9]_*.py"))


@pytest.mark.parametrize("path", _rule_modules(), ids=lambda p: p.stem)
def test_each_rule_module_is_registered_where_its_code_says(path: Path) -> None:
    area, stem = path.parent.name, path.stem
    module = importlib.import_module(f"asr_preflight_rules.{area}.{stem}")
    rules = [
        v
        for v in vars(module).values()
        if isinstance(v, Rule) and v.func.__module__ == module.__name__
    ]
    assert len(rules) == 1, f"{path.name}: expected exactly one rule defined here"
    [rule] = rules
    assert rule.code == stem.split("_", 1)[0].upper()
    assert rule.area == Area(area)
    assert rule in catalogue.RULES, f"{rule.code} is not listed in catalogue.RULES"


def test_every_installed_rule_code_appears_in_a_test_file() -> None:
    me = Path(__file__).resolve()
    text = "\n".join(
        p.read_text(encoding="utf-8", errors="replace")
        for p in (ROOT / "tests").rglob("*.py")
        if p.resolve() != me
    )
    untested = [r.code for r in INSTALLED if r.code not in text]
    assert not untested, f"no test file under tests/ mentions {untested}"
