"""The permission evaluator, case by case, as Azure evaluates access."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asr_preflight.rbac import (
    Decision,
    Evaluator,
    action_matches,
    builtin_role,
    normalize_scope,
    scope_chain,
    smallest_roles,
)
from asr_preflight.snapshot import FactError, Permission

from .rbac_facts import (
    GROUP,
    OTHER_USER,
    PRINCIPAL,
    RG_SCOPE,
    SUB,
    SUB_SCOPE,
    VM_SCOPE,
    assign,
    deny,
    deny_assignment_from_arm,
    example,
    facts,
    role,
    role_assignment_from_arm,
    role_definition_from_arm,
)

VM_WRITE = "Microsoft.Compute/virtualMachines/write"
VM_READ = "Microsoft.Compute/virtualMachines/read"
EXT_WRITE = "Microsoft.Compute/virtualMachines/extensions/write"
RA_WRITE = "Microsoft.Authorization/roleAssignments/write"


def check(identity, action=VM_WRITE, scope=VM_SCOPE, errors=()):
    return Evaluator(identity, errors).check(action, scope)


# -- scopes and patterns ----------------------------------------------------------------------


def test_scopes_are_normalized_for_case_and_slashes():
    assert (
        normalize_scope("/Subscriptions/ABC//resourceGroups/RG/")
        == "/subscriptions/abc/resourcegroups/rg"
    )
    assert normalize_scope("/") == "/"
    assert scope_chain("/subscriptions/s/resourceGroups/rg") == (
        "/",
        "/subscriptions",
        "/subscriptions/s",
        "/subscriptions/s/resourcegroups",
        "/subscriptions/s/resourcegroups/rg",
    )


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        ("Microsoft.Compute/*", VM_WRITE, True),
        ("Microsoft.Compute/*", "Microsoft.Network/virtualNetworks/read", False),
        ("*/read", VM_READ, True),
        ("*/read", VM_WRITE, False),
        ("*", RA_WRITE, True),
        ("microsoft.compute/VIRTUALMACHINES/WRITE", VM_WRITE, True),
        ("Microsoft.Compute/*/read", VM_READ, True),
        ("Microsoft.Compute/*/read", EXT_WRITE, False),
        ("Microsoft.Compute/virtualMachines", VM_WRITE, False),  # no implicit prefix match
        ("Microsoft.Compute/virtualMachines/*", EXT_WRITE, True),
        (
            "Microsoft.Storage/storageAccounts/listKeys/action",
            "Microsoft.Storage/storageAccounts/listkeys/action",
            True,
        ),
        (
            "Microsoft.Compute/virtualMachines/wr.te",
            VM_WRITE,
            False,
        ),  # regex characters are literal
    ],
)
def test_action_patterns(pattern, action, expected):
    assert action_matches(pattern, action) is expected


# -- inheritance ------------------------------------------------------------------------------


def test_contributor_at_subscription_is_inherited_by_a_resource():
    access = check(facts(assign("Contributor", SUB_SCOPE.upper() + "/")))
    assert access.decision is Decision.ALLOWED
    assert access.role_name == "Contributor"
    assert access.assignment is not None and access.assignment.scope.startswith("/SUBSCRIPTIONS")
    assert f"Contributor on subscription {SUB.upper()}" in access.reason


def test_assignment_at_a_sibling_scope_does_not_apply():
    # "prod-rg" must not be inherited by "prod-rg2" (a string prefix, not a scope ancestor)
    identity = facts(assign("Contributor", RG_SCOPE))
    other = f"{SUB_SCOPE}/resourceGroups/prod-rg2/providers/Microsoft.Compute/virtualMachines/x"
    assert check(identity, scope=other).decision is Decision.DENIED
    assert check(identity, scope=SUB_SCOPE).decision is Decision.DENIED  # not upwards either
    assert check(identity).decision is Decision.ALLOWED


def test_tenant_root_assignment_applies_everywhere():
    assert check(facts(assign("Owner", "/"))).decision is Decision.ALLOWED


def test_reader_grants_reads_only():
    identity = facts(assign("Reader", SUB_SCOPE))
    assert check(identity, VM_READ).decision is Decision.ALLOWED
    denied = check(identity, VM_WRITE)
    assert denied.decision is Decision.DENIED
    assert denied.reason == "no role assignment grants it"
    assert denied.assignment is None


def test_no_assignment_at_all_is_denied():
    assert check(facts()).decision is Decision.DENIED


def test_data_actions_never_grant_control_plane_actions():
    data_only = role("Blob everything", permissions=(Permission(data_actions=("*",)),))
    identity = facts(assign(data_only, SUB_SCOPE), roles=(data_only,))
    assert check(identity).decision is Decision.DENIED


GET_SECRET = "Microsoft.KeyVault/vaults/secrets/getSecret/action"
KV_SCOPE = f"{RG_SCOPE}/providers/Microsoft.KeyVault/vaults/kv-prod"


def test_data_actions_are_granted_by_data_actions_only():
    identity = facts(assign("Key Vault Secrets User", KV_SCOPE))
    ev = Evaluator(identity)
    assert ev.check(GET_SECRET, KV_SCOPE, data=True).allowed
    # the same string asked as a control-plane action is not granted by dataActions
    assert ev.check(GET_SECRET, KV_SCOPE).decision is Decision.DENIED


def test_owner_grants_no_data_action():
    identity = facts(assign("Owner", SUB_SCOPE))
    access = Evaluator(identity).check(GET_SECRET, KV_SCOPE, data=True)
    assert access.decision is Decision.DENIED
    assert "PIM" in access.hint and "Lighthouse" in access.hint


def test_not_data_actions_carve_out_of_their_block():
    narrowed = role(
        "Secrets but not values",
        permissions=(
            Permission(
                data_actions=("Microsoft.KeyVault/vaults/secrets/*",),
                not_data_actions=(GET_SECRET,),
            ),
        ),
    )
    identity = facts(assign(narrowed, SUB_SCOPE), roles=(narrowed,))
    ev = Evaluator(identity)
    assert ev.check(GET_SECRET, KV_SCOPE, data=True).decision is Decision.DENIED
    readmeta = "Microsoft.KeyVault/vaults/secrets/readMetadata/action"
    assert ev.check(readmeta, KV_SCOPE, data=True).allowed


def test_deny_assignment_data_actions_block_data_actions():
    blocker = deny(KV_SCOPE, ())
    blocker = blocker.__class__(
        **{**blocker.__dict__, "permissions": (Permission(data_actions=("*",)),)}
    )
    identity = facts(assign("Key Vault Administrator", SUB_SCOPE), denies=(blocker,))
    assert Evaluator(identity).check(GET_SECRET, KV_SCOPE, data=True).decision is (Decision.DENIED)


def test_smallest_role_for_secret_reads_is_key_vault_secrets_user():
    wanted = frozenset({GET_SECRET, "Microsoft.KeyVault/vaults/secrets/readMetadata/action"})
    assert smallest_roles(wanted, data=True) == ("Key Vault Secrets User",)


# -- notActions -------------------------------------------------------------------------------


def test_not_actions_carve_out_of_contributor():
    identity = facts(assign("Contributor", SUB_SCOPE))
    assert check(identity, RA_WRITE).decision is Decision.DENIED


def test_another_role_grants_back_what_not_actions_removed():
    identity = facts(
        assign("Contributor", SUB_SCOPE), assign("User Access Administrator", RG_SCOPE)
    )
    access = check(identity, RA_WRITE)
    assert access.decision is Decision.ALLOWED
    assert access.role_name == "User Access Administrator"


def test_not_actions_only_narrow_their_own_permission_block():
    two_blocks = role(
        "Two blocks",
        permissions=(
            Permission(actions=("Microsoft.Compute/*",), not_actions=(VM_WRITE,)),
            Permission(actions=(VM_WRITE,)),
        ),
    )
    identity = facts(assign(two_blocks, SUB_SCOPE), roles=(two_blocks,))
    assert check(identity).decision is Decision.ALLOWED


def test_not_actions_with_wildcards_are_case_insensitive():
    custom = role("No writes", ("*",), ("microsoft.compute/*/WRITE",))
    identity = facts(assign(custom, SUB_SCOPE), roles=(custom,))
    assert check(identity, EXT_WRITE).decision is Decision.DENIED
    assert check(identity, VM_READ).decision is Decision.ALLOWED


# -- groups, conditions, unreadable definitions ----------------------------------------------


def test_group_assignment_counts_and_is_named():
    access = check(facts(assign("Virtual Machine Contributor", RG_SCOPE, principal=GROUP)))
    assert access.decision is Decision.ALLOWED
    assert f"through group {GROUP}" in access.reason


def test_condition_makes_the_grant_unknown():
    identity = facts(assign("Contributor", SUB_SCOPE, condition="@Resource[x] StringEquals 'y'"))
    access = check(identity)
    assert access.decision is Decision.UNKNOWN
    assert "condition" in access.reason
    assert "by hand" in access.hint


def test_condition_does_not_matter_when_another_grant_is_unconditional():
    identity = facts(
        assign("Contributor", SUB_SCOPE, condition="@Resource[x] StringEquals 'y'"),
        assign("Virtual Machine Contributor", RG_SCOPE),
    )
    assert check(identity).decision is Decision.ALLOWED


def test_assignment_of_an_unread_role_definition_is_unknown():
    identity = facts(assign("Contributor", SUB_SCOPE), roles=())
    access = check(identity)
    assert access.decision is Decision.UNKNOWN
    assert "b24988ac-6180-42a0-ab88-20f7382dd24c was not read" in access.reason
    assert "Microsoft.Authorization/roleDefinitions/read" in access.hint


# -- deny assignments -------------------------------------------------------------------------


def test_deny_assignment_for_everyone_blocks_an_owner():
    blocker = deny(VM_SCOPE, ("Microsoft.Compute/virtualMachines/extensions/*",))
    access = check(facts(assign("Owner", SUB_SCOPE), denies=(blocker,)), EXT_WRITE)
    assert access.decision is Decision.DENIED
    assert access.deny_assignment == blocker
    assert "deny-extensions" in access.reason


def test_deny_assignment_at_an_ancestor_applies_below():
    blocker = deny(RG_SCOPE, (EXT_WRITE,))
    assert (
        check(facts(assign("Owner", SUB_SCOPE), denies=(blocker,)), EXT_WRITE).decision
        is Decision.DENIED
    )


def test_deny_not_applying_to_child_scopes():
    blocker = deny(RG_SCOPE, (EXT_WRITE,), do_not_apply_to_child_scopes=True)
    identity = facts(assign("Owner", SUB_SCOPE), denies=(blocker,))
    assert check(identity, EXT_WRITE).decision is Decision.ALLOWED
    assert check(identity, EXT_WRITE, RG_SCOPE).decision is Decision.DENIED


def test_deny_assignment_excluding_the_principal_does_not_apply():
    blocker = deny(VM_SCOPE, ("*",), excluded=(PRINCIPAL,))
    assert check(facts(assign("Owner", SUB_SCOPE), denies=(blocker,)), EXT_WRITE).allowed


def test_deny_assignment_excluding_a_group_of_the_principal_does_not_apply():
    blocker = deny(VM_SCOPE, ("*",), excluded=(GROUP,))
    identity = facts(assign("Owner", SUB_SCOPE), denies=(blocker,), group_ids=(GROUP,))
    assert check(identity, EXT_WRITE).allowed


def test_deny_assignment_not_actions_leave_the_action_alone():
    blocker = deny(VM_SCOPE, ("Microsoft.Compute/*",), not_actions=("*/read",))
    identity = facts(assign("Owner", SUB_SCOPE), denies=(blocker,))
    assert check(identity, VM_READ).allowed
    assert check(identity, EXT_WRITE).decision is Decision.DENIED


def test_deny_assignment_for_another_user_does_not_apply():
    blocker = deny(VM_SCOPE, ("*",), principals=(OTHER_USER,), principal_types={OTHER_USER: "User"})
    assert check(
        facts(assign("Owner", SUB_SCOPE), denies=(blocker,), group_ids=None), EXT_WRITE
    ).allowed


def test_deny_for_a_group_of_unknown_membership_is_unknown():
    blocker = deny(VM_SCOPE, ("*",), principals=(OTHER_USER,))  # type not given: may be a group
    access = check(facts(assign("Owner", SUB_SCOPE), denies=(blocker,), group_ids=None), EXT_WRITE)
    assert access.decision is Decision.UNKNOWN
    assert access.deny_assignment == blocker
    # with membership gathered, a principal not in it is known not to be affected
    assert check(
        facts(assign("Owner", SUB_SCOPE), denies=(blocker,), group_ids=()), EXT_WRITE
    ).allowed


def test_deny_assignment_naming_the_group_of_a_group_assignment_applies():
    blocker = deny(VM_SCOPE, (EXT_WRITE,), principals=(GROUP,))
    identity = facts(assign("Owner", SUB_SCOPE, principal=GROUP), denies=(blocker,), group_ids=None)
    assert check(identity, EXT_WRITE).decision is Decision.DENIED


def test_deny_assignment_data_actions_do_not_block_control_plane():
    blocker = deny(VM_SCOPE, ())
    blocker = blocker.__class__(
        **{**blocker.__dict__, "permissions": (Permission(data_actions=("*",)),)}
    )
    assert check(facts(assign("Owner", SUB_SCOPE), denies=(blocker,)), EXT_WRITE).allowed


# -- management groups ------------------------------------------------------------------------

MG = "/providers/Microsoft.Management/managementGroups/Contoso-Platform"


def test_management_group_assignment_applies_when_the_collector_says_it_is_above():
    identity = facts(
        assign("Contributor", MG),
        management_groups={SUB.upper(): ("contoso-platform", "tenant-root")},
    )
    access = check(identity)
    assert access.decision is Decision.ALLOWED
    assert "management group Contoso-Platform" in access.reason


def test_management_group_assignment_not_above_the_subscription_does_not_apply():
    identity = facts(assign("Contributor", MG), management_groups={SUB: ("other-mg",)})
    assert check(identity).decision is Decision.DENIED


def test_management_group_assignment_of_unknown_ancestry_is_unknown():
    access = check(facts(assign("Contributor", MG)))
    assert access.decision is Decision.UNKNOWN
    assert "management group" in access.reason
    assert "managementGroupAncestorsChain" in access.hint


def test_management_group_deny_assignment_of_unknown_ancestry_makes_a_grant_unknown():
    identity = facts(assign("Owner", SUB_SCOPE), denies=(deny(MG, ("*",)),))
    assert check(identity, EXT_WRITE).decision is Decision.UNKNOWN
    known = facts(
        assign("Owner", SUB_SCOPE),
        denies=(deny(MG, ("*",)),),
        management_groups={SUB: ("contoso-platform",)},
    )
    assert check(known, EXT_WRITE).decision is Decision.DENIED


# -- what was not read ------------------------------------------------------------------------


def test_rbac_fact_error_makes_the_scope_unknown():
    err = FactError(
        "rbac", SUB_SCOPE, "403 AuthorizationFailed listing role assignments", "needs Reader"
    )
    access = check(facts(assign("Owner", SUB_SCOPE)), errors=(err,))
    assert access.decision is Decision.UNKNOWN
    assert "403 AuthorizationFailed" in access.reason
    assert access.hint.startswith("needs Reader; ")
    assert "Microsoft.Authorization/roleAssignments/read" in access.hint
    other = f"/subscriptions/{'0' * 7}2-0000-0000-0000-000000000000"
    assert check(facts(assign("Owner", "/")), scope=other, errors=(err,)).allowed


def test_scope_the_collector_did_not_read_is_unknown():
    identity = facts(assign("Owner", "/"), scopes=(f"/subscriptions/{SUB}/",))
    assert check(identity).allowed
    elsewhere = check(
        identity, scope="/subscriptions/ffffffff-0000-0000-0000-000000000000/resourceGroups/x"
    )
    assert elsewhere.decision is Decision.UNKNOWN
    assert "Microsoft.Authorization/roleAssignments/read" in elsewhere.hint


# -- the official ARM shapes ------------------------------------------------------------------


def test_official_examples_convert_to_facts_and_evaluate():
    [assignment] = [
        role_assignment_from_arm(i) for i in example("RoleAssignments_ListForScope.json")["value"]
    ]
    definition = role_definition_from_arm(example("GetRoleDefinitionByName.json"))
    scope = assignment.scope + "/resourceGroups/rg1"
    identity = facts(assignment, roles=(definition,), principal_id=assignment.principal_id)
    # the example assignment references role 0b5fe924…, which is not the example definition
    unread = Evaluator(identity).check("action", scope)
    assert unread.decision is Decision.UNKNOWN
    assert "0b5fe924-9a61-425c-96af-cfe6e287ca2d" in unread.reason
    # the same definition, read under the id the assignment references: grants "action" only
    matching = definition.__class__(**{**definition.__dict__, "id": assignment.role_definition_id})
    ev = Evaluator(facts(assignment, roles=(matching,), principal_id=assignment.principal_id))
    assert ev.check("ACTION", scope).allowed
    assert ev.check("dataAction", scope).decision is Decision.DENIED  # a data action, not granted


def test_official_deny_assignment_example():
    [blocker] = [
        deny_assignment_from_arm(i)
        for i in example("GetDenyAssignmentsForResourceGroup.json")["value"]
    ]
    assert blocker.principal_ids == ("principalId1",)
    assert blocker.exclude_principal_ids == ("principalId2",)
    owner = builtin_role("Owner")
    scope = (
        "/subscriptions/subId/resourcegroups/rgname/providers/Microsoft.Compute/virtualMachines/v"
    )
    for principal, expected in (
        ("principalId1", Decision.DENIED),
        ("principalId2", Decision.ALLOWED),
    ):
        identity = facts(
            assign(owner, "/subscriptions/subId", principal=principal),
            denies=(blocker,),
            principal_id=principal,
        )
        assert Evaluator(identity).check("action", scope).decision is expected
        assert Evaluator(identity).check("other/action", scope).allowed


# -- built-in role suggestions ----------------------------------------------------------------


def test_smallest_role_for_vault_writes_is_site_recovery_contributor():
    assert smallest_roles(
        frozenset({"Microsoft.RecoveryServices/vaults/replicationPolicies/write"})
    ) == ("Site Recovery Contributor",)


def test_smallest_roles_pair_narrow_roles_before_contributor():
    wanted = frozenset({VM_WRITE, "Microsoft.Network/virtualNetworks/subnets/read"})
    assert smallest_roles(wanted) == ("Virtual Machine Contributor", "Reader", "Contributor")


def test_site_recovery_operator_cannot_enable_replication():
    operator = builtin_role("Site Recovery Operator")
    identity = facts(assign(operator, SUB_SCOPE))
    vault = f"{SUB_SCOPE}/resourceGroups/dr/providers/Microsoft.RecoveryServices/vaults/v"
    ev = Evaluator(identity)
    assert ev.check("Microsoft.RecoveryServices/vaults/read", vault).allowed
    assert (
        ev.check("Microsoft.RecoveryServices/vaults/replicationFabrics/write", vault).decision
        is Decision.DENIED
    )
    assert ev.roles_at(vault) == ("Site Recovery Operator",)


def test_read_scope_coverage_respects_segment_boundaries():
    identity = facts(assign("Owner", "/"), scopes=(RG_SCOPE,))
    assert check(identity).allowed  # below the scope that was read
    assert check(identity, scope=SUB_SCOPE).allowed  # above it: its ancestors were read too
    sibling = f"{RG_SCOPE}2/providers/Microsoft.Compute/virtualMachines/x"
    assert check(identity, scope=sibling).decision is Decision.UNKNOWN


# -- properties -------------------------------------------------------------------------------

_ROLES = ("Reader", "Contributor", "Virtual Machine Contributor", "Site Recovery Operator")
_SCOPES = (SUB_SCOPE, RG_SCOPE, VM_SCOPE, f"{SUB_SCOPE}/resourceGroups/other-rg")
_ACTIONS = (VM_READ, VM_WRITE, EXT_WRITE, RA_WRITE, "Microsoft.Network/virtualNetworks/read")


def _mangle(scope: str, flips: list[bool], slash: bool) -> str:
    padded = flips + [False] * len(scope)
    chars = [
        c.swapcase() if flip else c for c, flip in zip(scope, padded[: len(scope)], strict=True)
    ]
    return "".join(chars) + ("/" if slash else "")


@settings(max_examples=40, deadline=None)
@given(
    grants=st.lists(st.tuples(st.sampled_from(_ROLES), st.sampled_from(_SCOPES)), max_size=4),
    action=st.sampled_from(_ACTIONS),
    flips=st.lists(st.booleans(), max_size=120),
    slash=st.booleans(),
)
def test_decision_ignores_case_and_trailing_slashes(grants, action, flips, slash):
    identity = facts(*(assign(r, _mangle(s, flips, slash)) for r, s in grants))
    plain = facts(*(assign(r, s) for r, s in grants))
    assert (
        check(identity, action).decision
        is check(plain, action, _mangle(VM_SCOPE, flips, not slash)).decision
    )


@settings(max_examples=40, deadline=None)
@given(grants=st.lists(st.tuples(st.sampled_from(_ROLES), st.sampled_from(_SCOPES)), max_size=4))
def test_adding_an_assignment_never_takes_access_away(grants):
    # without deny assignments, access is monotone in the assignments held
    for action in _ACTIONS:
        before = check(facts(*(assign(r, s) for r, s in grants)), action).allowed
        after = check(facts(*(assign(r, s) for r, s in grants), assign("Reader", VM_SCOPE)), action)
        assert after.allowed or not before
