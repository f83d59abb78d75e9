"""A principal whose only role is granted at a management group, against the fake ARM: the
assignment ARM lists for a subscription at a management-group scope is an ancestor of it, and a
custom role defined at that management group is read by its id."""

from __future__ import annotations

import pytest

from arm.conftest import PLAN, SUB_A, SUB_B, options
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


def test_plan_management_groups_select_every_subscription_under_them(
    fake: FakeAzure, plan: Plan
) -> None:
    from asr_preflight.plan import parse_plan

    EstateBuilder(fake.estate).management_group(MG, {"mg-shop": MG, SUB_A: "mg-shop", SUB_B: MG})
    fake.page_size = 1  # the descendants list is paged too
    text = PLAN.replace(f'subscriptions = ["{SUB_A}", "{SUB_B}"]', f'management_groups = ["{MG}"]')
    by_group = parse_plan(text)
    assert by_group.azure.subscriptions == []
    snap = collect(by_group, options(fake))
    assert {vm.subscription_id for vm in snap.vms} == {SUB_A, SUB_B}
    identity = snap.identity
    assert identity is not None
    assert identity.management_groups == {SUB_A: ("mg-shop", MG), SUB_B: (MG,)}
    paths = [r.path for r in fake.requests("GET") if r.path.endswith("/descendants")]
    assert len(paths) == 3  # three descendants, one per page
    assert_read_only(fake)


def test_a_management_group_that_cannot_be_listed_stops_the_run(
    fake: FakeAzure, plan: Plan
) -> None:
    from asr_preflight.plan import PlanError, parse_plan

    fake.fail("/descendants", status=403, times=None)
    text = PLAN.replace(f'subscriptions = ["{SUB_A}", "{SUB_B}"]', f'management_groups = ["{MG}"]')
    with pytest.raises(PlanError, match=f"subscriptions under '{MG}' cannot be listed") as err:
        collect(parse_plan(text), options(fake, retry_total=0))
    assert "Management Group Reader" in str(err.value)


def test_descendant_chains_are_bounded_and_cycles_stop() -> None:
    from asr_preflight.azure.management_groups import subscriptions_under

    def item(child: str, parent: str) -> dict[str, object]:
        mg = "/providers/Microsoft.Management/managementGroups"
        return {"id": child, "properties": {"parent": {"id": f"{mg}/{parent}"}}}

    sub = "/subscriptions/33333333-3333-4333-8333-333333333333"
    mg = "/providers/Microsoft.Management/managementGroups"
    loop = [item(sub, "a"), item(f"{mg}/a", "b"), item(f"{mg}/b", "a"), {"id": None}, {}]
    found = subscriptions_under({"root": loop})
    assert found.subscriptions == ("33333333-3333-4333-8333-333333333333",)
    assert found.ancestry["33333333-3333-4333-8333-333333333333"] == ("a", "b", "root")


def test_plan_rejects_a_malformed_management_group_id() -> None:
    from asr_preflight.plan import PlanError, parse_plan

    bad = PLAN.replace("[select]", 'management_groups = ["../x"]\n\n[select]')
    with pytest.raises(PlanError, match=r"\[azure\] management_groups"):
        parse_plan(bad)


def test_descendants_that_are_not_subscription_ids_are_left_out() -> None:
    """A hostile or broken listing cannot smuggle text into the plan init writes or into the
    URLs collect builds: only ``/subscriptions/<guid>`` counts as a subscription."""
    from asr_preflight.azure.management_groups import subscriptions_under

    mg = "/providers/Microsoft.Management/managementGroups"
    good = "/subscriptions/33333333-3333-4333-8333-333333333333"
    evil = '/subscriptions/x\nsubscriptions = ["22222222-2222-4222-8222-222222222222"]'
    items = [
        {"id": child, "properties": {"parent": {"id": f"{mg}/root"}}}
        for child in (good, evil, "/subscriptions/not-a-guid", "/subscriptions/")
    ]
    found = subscriptions_under({"root": items})
    assert found.subscriptions == ("33333333-3333-4333-8333-333333333333",)
    assert set(found.ancestry) == {"33333333-3333-4333-8333-333333333333"}
