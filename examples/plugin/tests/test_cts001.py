"""CTS001 through asr-preflight's real engine, with its public test builders."""

from contoso_asr_rules import RULES, required_tags

from asr_preflight.testing import evaluate_rule, make_plan, make_snapshot, make_vm


def test_the_pack_exports_its_rule() -> None:
    assert [rule.code for rule in RULES] == ["CTS001"]


def test_tagged_vm_passes_and_untagged_fails() -> None:
    vms = [make_vm("vm-a", tags={"owner": "ana", "cost-center": "42"}), make_vm("vm-b", tags={})]
    results = evaluate_rule(required_tags, make_snapshot(vms=vms))
    assert [(r.vm, r.outcome) for r in results] == [("vm-a", "pass"), ("vm-b", "fail")]
    assert "owner, cost-center" in results[1].message


def test_tags_not_read_are_unknown() -> None:
    [result] = evaluate_rule(required_tags, make_snapshot(vms=[make_vm("vm-a", tags=None)]))
    assert result.outcome == "unknown"


def test_the_plan_table_chooses_the_tags() -> None:
    plan = make_plan(plugins={"contoso-asr-rules": {"required_tags": ["owner"]}})
    snapshot = make_snapshot(vms=[make_vm("vm-a", tags={"owner": "ana"})], plan=plan)
    [result] = evaluate_rule(required_tags, snapshot, pack="contoso-asr-rules")
    assert result.outcome == "pass"
