"""Builders for identity facts in tests: ARM JSON (the official examples) -> facts, and
small constructors for assignments, roles and deny assignments."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from asr_preflight.rbac import builtin_role
from asr_preflight.snapshot import (
    DenyAssignment,
    IdentityFacts,
    Permission,
    RoleAssignment,
    RoleDefinition,
)

DATA = Path(__file__).parent.parent / "data" / "authorization"
PRINCIPAL = "5a3c1b9e-0d6f-4e8a-9b2c-7f1e0d3a4b5c"
GROUP = "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"
OTHER_USER = "1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9"
SUB = "00000000-0000-0000-0000-0000000000a1"
SUB_SCOPE = f"/subscriptions/{SUB}"
RG_SCOPE = f"{SUB_SCOPE}/resourceGroups/prod-rg"
VM_SCOPE = f"{RG_SCOPE}/providers/Microsoft.Compute/virtualMachines/vm-test-01"


def example(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))["responses"]["200"]["body"]


def _permissions(items: list[dict[str, Any]]) -> tuple[Permission, ...]:
    return tuple(
        Permission(
            actions=tuple(p.get("actions", ())),
            not_actions=tuple(p.get("notActions", ())),
            data_actions=tuple(p.get("dataActions", ())),
            not_data_actions=tuple(p.get("notDataActions", ())),
        )
        for p in items
    )


def role_assignment_from_arm(item: dict[str, Any]) -> RoleAssignment:
    props = item["properties"]
    return RoleAssignment(
        id=item["id"],
        scope=props["scope"],
        role_definition_id=props["roleDefinitionId"],
        principal_id=props["principalId"],
        principal_type=props.get("principalType"),
        condition=props.get("condition"),
    )


def role_definition_from_arm(item: dict[str, Any]) -> RoleDefinition:
    props = item["properties"]
    return RoleDefinition(
        id=item["id"],
        role_name=props["roleName"],
        role_type=props.get("type", "BuiltInRole"),
        permissions=_permissions(props.get("permissions", [])),
        assignable_scopes=tuple(props.get("assignableScopes", ())),
    )


def deny_assignment_from_arm(item: dict[str, Any]) -> DenyAssignment:
    props = item["properties"]
    principals = props.get("principals", [])
    excluded = props.get("excludePrincipals", [])
    return DenyAssignment(
        id=item["id"],
        name=props.get("denyAssignmentName", item["name"]),
        scope=props["scope"],
        permissions=_permissions(props.get("permissions", [])),
        principal_ids=tuple(p["id"] for p in principals),
        exclude_principal_ids=tuple(p["id"] for p in excluded),
        do_not_apply_to_child_scopes=bool(props.get("doNotApplyToChildScopes", False)),
        principal_types={p["id"]: p["type"] for p in (*principals, *excluded) if p.get("type")},
    )


# -- hand-made facts -----------------------------------------------------------------------------


def role(
    name: str, actions: tuple[str, ...] = (), not_actions: tuple[str, ...] = (), **kw: Any
) -> RoleDefinition:
    d = hashlib.sha256(name.encode()).hexdigest()
    guid = kw.pop("guid", f"{d[:8]}-{d[8:12]}-4{d[13:16]}-8{d[17:20]}-{d[20:32]}")
    return RoleDefinition(
        id=f"/providers/Microsoft.Authorization/roleDefinitions/{guid}",
        role_name=name,
        role_type="CustomRole",
        permissions=kw.pop("permissions", (Permission(actions, not_actions),)),
    )


_counter = iter(range(1, 10**9))


def assign(
    definition: RoleDefinition | str,
    scope: str,
    principal: str = PRINCIPAL,
    condition: str | None = None,
) -> RoleAssignment:
    role_def = builtin_role(definition) if isinstance(definition, str) else definition
    n = next(_counter)
    return RoleAssignment(
        id=f"{scope.rstrip('/')}/providers/Microsoft.Authorization/roleAssignments/ra-{n}",
        scope=scope,
        role_definition_id=role_def.id,
        principal_id=principal,
        principal_type="User" if principal == PRINCIPAL else "Group",
        condition=condition,
    )


def deny(
    scope: str,
    actions: tuple[str, ...],
    *,
    not_actions: tuple[str, ...] = (),
    principals: tuple[str, ...] = ("00000000-0000-0000-0000-000000000000",),
    excluded: tuple[str, ...] = (),
    name: str = "deny-extensions",
    **kw: Any,
) -> DenyAssignment:
    return DenyAssignment(
        id=f"{scope.rstrip('/')}/providers/Microsoft.Authorization/denyAssignments/{name}",
        name=name,
        scope=scope,
        permissions=(Permission(actions, not_actions),),
        principal_ids=principals,
        exclude_principal_ids=excluded,
        **kw,
    )


def facts(
    *assignments: RoleAssignment,
    roles: tuple[RoleDefinition, ...] | None = None,
    denies: tuple[DenyAssignment, ...] = (),
    **kw: Any,
) -> IdentityFacts:
    """IdentityFacts for PRINCIPAL; role definitions default to every built-in role used."""
    if roles is None:
        from asr_preflight.rbac import builtin_roles

        roles = builtin_roles()
    kw.setdefault("group_ids", ())
    return IdentityFacts(
        principal_id=kw.pop("principal_id", PRINCIPAL),
        role_assignments=assignments,
        role_definitions=roles,
        deny_assignments=denies,
        **kw,
    )
