"""The identity story of the demo estate, and two more operators on the same estate.

The demo snapshot has one operating principal (Dana, see ``asr_preflight.demo.identity``). The
issue's other two operators are checked here against the same estate: one holding only Site
Recovery Operator on the vault, one blocked by a deny assignment.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from asr_preflight.demo import build_demo, demo_plan
from asr_preflight.demo.estate import ERP_RG, ERP_SUB, SHOP_SUB, VAULT_ID, rg_id
from asr_preflight.engine import Evaluation, evaluate
from asr_preflight.rbac import builtin_role
from asr_preflight.snapshot import IdentityFacts, Snapshot
from asr_preflight_rules.identity.asr401_vault_permissions import vault_permissions
from asr_preflight_rules.identity.asr402_target_create_permissions import (
    target_create_permissions,
)
from asr_preflight_rules.identity.asr403_source_vm_permissions import source_vm_permissions

from .rbac_facts import PRINCIPAL, assign, deny

IDENTITY_RULES = [vault_permissions, target_create_permissions, source_vm_permissions]
ALWAYS_READY = ("vm-web-02", "vm-app-02", "vm-win-iis-01")


@pytest.fixture(scope="module")
def demo() -> Snapshot:
    return build_demo()


def outcomes(evaluation: Evaluation) -> dict[tuple[str, str], str]:
    return {(r.rule, r.vm): r.outcome.value for r in evaluation.results}


def run(snapshot: Snapshot, identity: IdentityFacts | None = None) -> Evaluation:
    if identity is not None:
        snapshot = replace(snapshot, identity=identity)
    return evaluate(snapshot, demo_plan(), IDENTITY_RULES)


def operator(*assignments, denies=()) -> IdentityFacts:
    used = {"Contributor", "Site Recovery Operator", "Owner"}
    return IdentityFacts(
        principal_id=PRINCIPAL,
        role_assignments=assignments,
        role_definitions=tuple(builtin_role(n) for n in used),
        deny_assignments=denies,
        group_ids=(),
    )


# -- Dana, the demo's operator ------------------------------------------------------------------

# (rule, VM) -> outcome; every other (identity rule, VM) passes
DEMO_STORY = {
    ("ASR403", "vm-sap-ascs-01"): "fail",  # change-freeze deny assignment on extension writes
    ("ASR403", "vm-win-sql-01"): "fail",  # only Site Recovery Operator on the ERP subscription
    ("ASR403", "vm-win-file-01"): "fail",
    ("ASR403", "vm-win-ad-01"): "unknown",  # tier 0: the grant carries an ABAC condition
}


def test_demo_identity_story(demo: Snapshot) -> None:
    got = outcomes(run(demo))
    expected = {key: DEMO_STORY.get(key, "pass") for key in got}
    assert got == expected
    for name in ALWAYS_READY:
        assert all(got[(rule, name)] == "pass" for rule in ("ASR401", "ASR402", "ASR403"))


def test_demo_messages_explain_themselves(demo: Snapshot) -> None:
    results = {(r.rule, r.vm): r for r in run(demo).results}
    ascs = results[("ASR403", "vm-sap-ascs-01")]
    assert "sap-ascs-change-freeze" in ascs.message
    sql = results[("ASR403", "vm-win-sql-01")]
    assert "it holds Site Recovery Operator there" in sql.message
    assert "Virtual Machine Contributor would grant them" in sql.message
    assert "condition" in results[("ASR403", "vm-win-ad-01")].message
    web = results[("ASR401", "vm-web-02")]
    assert "Site Recovery Contributor on rv-dr-westus2 (through group" in web.message
    erp = results[("ASR402", "vm-batch-01")]
    assert "resource group rg-erp-prod-asr (through group" in erp.message


# -- operator 2: only Site Recovery Operator on the vault ---------------------------------------


def test_operator_with_only_site_recovery_operator_on_the_vault(demo: Snapshot) -> None:
    evaluation = run(demo, operator(assign("Site Recovery Operator", VAULT_ID)))
    by_rule: dict[str, set[str]] = {}
    for r in evaluation.results:
        by_rule.setdefault(r.rule, set()).add(r.outcome.value)
    assert by_rule == {"ASR401": {"fail"}, "ASR402": {"fail"}, "ASR403": {"fail"}}
    vault = next(r for r in evaluation.results if r.rule == "ASR401")
    assert "holds only Site Recovery Operator there, which cannot do this" in vault.message
    assert "Site Recovery Contributor would grant them" in vault.message
    assert "Microsoft.RecoveryServices/vaults/read," not in vault.message  # the operator may read


# -- operator 3: Contributor on both subscriptions, blocked by a deny assignment ------------------


def test_operator_blocked_by_a_deny_assignment(demo: Snapshot) -> None:
    erp_rg = rg_id(ERP_SUB, ERP_RG)
    managed_app = deny(
        erp_rg,
        ("Microsoft.Compute/virtualMachines/extensions/*",),
        name="erp-managed-app",
        principal_types={"00000000-0000-0000-0000-000000000000": "SystemDefined"},
    )
    identity = operator(
        assign("Contributor", f"/subscriptions/{SHOP_SUB}"),
        assign("Contributor", f"/subscriptions/{ERP_SUB}"),
        denies=(managed_app,),
    )
    got = outcomes(run(demo, identity))
    erp_vms = {vm.name for vm in demo.vms if vm.subscription_id == ERP_SUB}
    for (rule, vm), outcome in got.items():
        expected = "fail" if rule == "ASR403" and vm in erp_vms else "pass"
        assert outcome == expected, (rule, vm)
    # excluded from the deny assignment: everything passes
    excused = replace(managed_app, exclude_principal_ids=(PRINCIPAL,))
    got = outcomes(run(demo, replace(identity, deny_assignments=(excused,))))
    assert set(got.values()) == {"pass"}


def test_operator_whose_access_could_not_be_read(demo: Snapshot) -> None:
    evaluation = evaluate(replace(demo, identity=None), demo_plan(), IDENTITY_RULES)
    assert {r.outcome.value for r in evaluation.results} == {"unknown"}
    assert all("Microsoft.Authorization/roleAssignments/read" in r.hint for r in evaluation.results)
