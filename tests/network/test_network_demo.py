"""The demo's network story: each network rule shows a pass and, where sensible, a failure."""

from __future__ import annotations

import pytest

from asr_preflight.demo import load_demo
from asr_preflight.engine import Evaluation, evaluate, load_rules

#: (rule, VM or pair) -> outcome; every other network result passes or skips.
STORY = {
    ("ASR201", "vm-db-01"): "fail",
    ("ASR202", "vm-db-01"): "fail",
    ("ASR203", "vm-app-01"): "fail",
    ("ASR204", "vm-app-01"): "fail",
    ("ASR205", "vm-win-sql-01"): "fail",
    ("ASR206", "vm-app-01"): "warn",
    ("ASR206", "vm-web-03"): "warn",
    ("ASR207", "vm-win-ad-01"): "warn",
    ("ASR207", "vm-win-sql-01"): "warn",
    ("ASR207", "vm-win-file-01"): "warn",
    ("ASR208", "vm-batch-01"): "warn",
    ("ASR209", "vm-sap-app-01 -> vm-sap-db-01"): "fail",
    ("ASR209", "vm-sap-ascs-01 -> vm-sap-db-01"): "fail",
    ("ASR210", "vm-batch-01"): "fail",
    ("ASR211", "vm-sap-db-01"): "fail",
}
CODES = [f"ASR2{i:02d}" for i in range(1, 12)]


@pytest.fixture(scope="module")
def evaluation() -> Evaluation:
    plan, snapshot = load_demo()
    return evaluate(snapshot, plan, load_rules())


@pytest.mark.parametrize("code", CODES)
def test_network_rules_tell_the_story(evaluation: Evaluation, code: str) -> None:
    results = [r for r in evaluation.results if r.rule == code]
    for r in results:
        key = r.target if " -> " in r.target else r.vm
        expected = STORY.get((code, key))
        if expected is None:
            assert r.outcome in ("pass", "skip"), (key, r.message)
        else:
            assert r.outcome == expected, (key, r.message)
    assert any(r.outcome == "pass" for r in results)


def test_demo_messages_name_the_deciding_rule(evaluation: Evaluation) -> None:
    by = {(r.rule, r.target if " -> " in r.target else r.vm): r for r in evaluation.results}
    assert "3 of 119 prefixes denied by nsg-db/Deny-Blocklist-Out (priority 150)" in (
        by["ASR201", "vm-db-01"].message
    )
    assert "denied by nsg-vm-sap-db-01/Deny-VNet-In (priority 4000)" in (
        by["ASR209", "vm-sap-app-01 -> vm-sap-db-01"].message
    )
    assert "rt-batch-egress" in by["ASR208", "vm-batch-01"].message
