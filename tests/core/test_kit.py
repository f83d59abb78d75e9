"""The public contract: api.py's __all__ and the rule kit are what packs may import."""

from __future__ import annotations

import sys
import types
from importlib.metadata import EntryPoint

import asr_preflight.api as api
import asr_preflight.snapshot as snapshot
from asr_preflight.engine import builtin_rules, evaluate, load_rule_set
from asr_preflight_rules import kit
from asr_preflight_rules.network.asr201_outbound_storage import DOC


def test_api_all_names_exist_and_cover_every_fact_type_a_rule_reads() -> None:
    assert all(hasattr(api, name) for name in api.__all__)
    facts = {
        name
        for name, value in vars(snapshot).items()
        if isinstance(value, type) and value.__module__ == snapshot.__name__
    }
    unpublished = facts - {"SnapshotError"} - set(api.__all__)
    assert not unpublished, f"re-export these fact types from asr_preflight.api: {unpublished}"
    major, minor, patch = (int(part) for part in api.API_VERSION.split("."))
    assert major >= 1 and minor >= 0 and patch >= 0


def test_kit_names_exist_and_a_third_party_outbound_rule_loads_and_runs() -> None:
    assert all(hasattr(kit, name) for name in kit.__all__)
    rule = kit.outbound_tag_rule(
        code="CTS201",
        name="outbound-storage-again",
        severity="warn",
        tag="Storage.{source}",
        doc=DOC,
        module=__name__,
    )
    module = types.ModuleType("tstpack_kit")
    module.RULES = (rule,)  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    point = EntryPoint(name="kit", value="tstpack_kit:RULES", group="asr_preflight.rules")
    loaded = load_rule_set([point])
    assert not loaded.errors
    from asr_preflight.cli import load_demo

    plan, facts = load_demo()
    [builtin] = [r for r in builtin_rules() if r.code == "ASR201"]
    ours = evaluate(facts, plan, loaded.rules).results
    theirs = evaluate(facts, plan, [builtin]).results
    # the same check, with the severity the pack declared: a warn rule never fails a VM
    expected = ["warn" if r.outcome == "fail" else r.outcome for r in theirs]
    assert [r.outcome for r in ours] == expected and "warn" in expected
