"""A principal whose only role is granted at a management group, against the fake ARM: the
assignment ARM lists for a subscription at a management-group scope is an ancestor of it, and a
custom role defined at that management group is read by its id."""

from __future__ import annotations

from arm.conftest import SUB_A, SUB_B, options
from arm.helpers import assert_read_only, hints, outcomes, run
from asr_preflight.api import Outcome
from asr_preflight.collect import collect
from asr_preflight.plan import Plan
from fakes.arm import FakeAzure
from fakes.estate import EstateBuilder

MG = "mg-contoso-prod"
DR_OPERATOR = (
    "Microsoft.RecoveryServices/*",
    "Microsoft.Compute/*",
    "Microsoft.Network/*",
    "Microsoft.Resources/*",
    "Microsoft.Storage/storageAccounts/read",
    "Microsoft.Storage/storageAccounts/listkeys/action",
)
RULES = ("ASR401", "ASR402", "ASR403")


def test_management_group_role_passes_asr401_to_403(fake: FakeAzure, plan: Plan) -> None:
    role_id = EstateBuilder(fake.estate).rbac_management_group(
        (SUB_A, SUB_B), fake.oid, MG, "DR operator (custom)", DR_OPERATOR
    )
    snap = collect(plan, options(fake))
    identity = snap.identity
    assert identity is not None
    assert identity.management_groups == {SUB_A: (MG,), SUB_B: (MG,)}
    assert [d.id for d in identity.role_definitions] == [role_id]
    assert identity.role_definitions[0].assignable_scopes == (
        f"/providers/Microsoft.Management/managementGroups/{MG}",
    )
    evaluation = run(snap, plan)
    for code in RULES:
        got = outcomes(evaluation, code)
        assert got and set(got.values()) == {Outcome.PASS}, (code, got)
    message = next(r.message for r in evaluation.results if r.rule == "ASR401")
    assert f"management group {MG}" in message
    assert_read_only(fake)


def test_management_group_role_without_the_actions_fails_and_names_pim(
    fake: FakeAzure, plan: Plan
) -> None:
    EstateBuilder(fake.estate).rbac_management_group(
        (SUB_A, SUB_B), fake.oid, MG, "Reader (custom)", ("*/read",)
    )
    evaluation = run(collect(plan, options(fake)), plan)
    for code in RULES:
        assert set(outcomes(evaluation, code).values()) == {Outcome.FAIL}, code
        assert all("PIM" in h and "Lighthouse" in h for h in hints(evaluation, code).values())


def test_management_group_above_one_subscription_only(fake: FakeAzure, plan: Plan) -> None:
    """ARM lists the management group's assignment for SUB_A only: SUB_B is not under it, so
    the VMs of SUB_B fail ASR403 while those of SUB_A pass."""
    b = EstateBuilder(fake.estate)
    b.rbac_management_group((SUB_A,), fake.oid, MG, "DR operator (custom)", DR_OPERATOR)
    fake.estate.lists[
        f"/subscriptions/{SUB_B}/providers/Microsoft.Authorization/roleAssignments".lower()
    ] = []
    snap = collect(plan, options(fake))
    assert snap.identity is not None
    assert snap.identity.management_groups == {SUB_A: (MG,), SUB_B: ()}
    got = outcomes(run(snap, plan), "ASR403")
    by_sub = {vm.name: vm.subscription_id for vm in snap.vms}
    assert {n: o for n, o in got.items()} == {
        n: Outcome.PASS if by_sub[n] == SUB_A else Outcome.FAIL for n in got
    }
