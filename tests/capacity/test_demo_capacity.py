"""The capacity story of the bundled demo estate (ASR101–ASR107): src/asr_preflight/demo/capacity.py."""

from __future__ import annotations

import pytest

from asr_preflight.demo import load_demo
from asr_preflight.engine import Evaluation, evaluate, load_rules

SAP_ESV5 = ("vm-sap-app-01", "vm-sap-db-01", "vm-sap-ascs-01")
ERP = (*SAP_ESV5, "vm-win-ad-01", "vm-win-sql-01", "vm-win-file-01", "vm-batch-01")
STORY = {
    ("ASR101", "vm-batch-01"): "warn",  # B1s not offered to the subscription: B1ms instead
    ("ASR101", "vm-win-sql-01"): "fail",  # pinned to a restricted size
    **{("ASR102", vm): "fail" for vm in SAP_ESV5},  # ESv5: 20 needed, 14 free
    ("ASR102", "vm-win-sql-01"): "skip",
    ("ASR105", "vm-win-sql-01"): "skip",
    ("ASR106", "vm-sap-db-01"): "fail",  # pinned to a 4-disk size, 6 data disks
    ("ASR106", "vm-win-sql-01"): "skip",
    **{("ASR107", vm): "warn" for vm in ERP},  # 50 of 50 virtual networks in use
}
CODES = [f"ASR10{i}" for i in range(1, 8)]


@pytest.fixture(scope="module")
def evaluation() -> Evaluation:
    plan, snapshot = load_demo()
    return evaluate(snapshot, plan, [r for r in load_rules() if r.code in CODES])


@pytest.mark.parametrize("code", CODES)
def test_capacity_rules_tell_the_story(evaluation: Evaluation, code: str) -> None:
    results = [r for r in evaluation.results if r.rule == code]
    assert len(results) == 14
    for r in results:
        assert r.outcome == STORY.get((code, r.vm), "pass"), (r.vm, r.message)
    assert any(r.outcome == "pass" for r in results)


def test_the_story_names_the_numbers(evaluation: Evaluation) -> None:
    found = {(r.rule, r.vm): r for r in evaluation.results}
    assert "closest size Standard_B1ms" in found["ASR101", "vm-batch-01"].message
    quota = found["ASR102", "vm-sap-ascs-01"].message
    assert "needs 20 Standard ESv5 Family vCPUs for 3 VMs" in quota
    assert "14 of 50 free (short by 6)" in quota
    assert (
        "6 data disks; target size Standard_E2s_v5 supports 4"
        in found["ASR106", "vm-sap-db-01"].message
    )
