"""The operating principal's role assignments (``assignedTo``: its groups included), the role
definitions they reference, and deny assignments: one list per subscription, not per resource."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from asr_preflight.azure.guard import sdk_items
from asr_preflight.azure.ids import text
from asr_preflight.snapshot import DenyAssignment, Permission, RoleAssignment, RoleDefinition

MANAGEMENT_GROUP_SCOPE = "/providers/microsoft.management/managementgroups/"


def _permissions(items: Any) -> tuple[Permission, ...]:
    return tuple(
        Permission(
            actions=tuple(p.actions or ()),
            not_actions=tuple(p.not_actions or ()),
            data_actions=tuple(p.data_actions or ()),
            not_data_actions=tuple(p.not_data_actions or ()),
        )
        for p in (items or ())
    )


def role_assignments(client: Any, scope: str, principal_id: str) -> list[RoleAssignment]:
    """Assignments at, above and below ``scope`` that apply to the principal or its groups."""
    out = []
    for a in sdk_items(
        client.role_assignments.list_for_scope(
            scope.lstrip("/"), filter=f"assignedTo('{principal_id}')"
        ),
        "role assignments",
    ):
        out.append(
            RoleAssignment(
                id=str(a.id),
                scope=str(a.scope),
                role_definition_id=str(a.role_definition_id),
                principal_id=str(a.principal_id),
                principal_type=text(getattr(a, "principal_type", None)),
                condition=text(getattr(a, "condition", None)),
            )
        )
    return out


def role_definition(client: Any, role_id: str) -> RoleDefinition:
    d = client.role_definitions.get_by_id(role_id.lstrip("/"))
    return RoleDefinition(
        id=str(d.id),
        role_name=str(d.role_name),
        role_type=text(getattr(d, "role_type", None)) or "BuiltInRole",
        permissions=_permissions(d.permissions),
        assignable_scopes=tuple(d.assignable_scopes or ()),
    )


def deny_assignments(client: Any, scope: str) -> list[DenyAssignment]:
    out = []
    for d in sdk_items(
        client.deny_assignments.list_for_scope(scope.lstrip("/")), "deny assignments"
    ):
        out.append(
            DenyAssignment(
                id=str(d.id),
                name=str(d.deny_assignment_name or d.name),
                scope=str(d.scope),
                permissions=_permissions(d.permissions),
                principal_ids=tuple(str(p.id) for p in (d.principals or ()) if p.id),
                exclude_principal_ids=tuple(
                    str(p.id) for p in (d.exclude_principals or ()) if p.id
                ),
                do_not_apply_to_child_scopes=bool(d.do_not_apply_to_child_scopes),
                principal_types={
                    str(p.id): str(p.type)
                    for p in (*(d.principals or ()), *(d.exclude_principals or ()))
                    if p.id and p.type
                },
            )
        )
    return out


def listed_management_groups(
    assignments: Iterable[RoleAssignment], denies: Iterable[DenyAssignment]
) -> tuple[str, ...]:
    """The management groups at whose scope ARM listed an assignment or deny assignment for one
    subscription: each is above that subscription, since ``assignedTo()`` and the deny list at a
    subscription scope return what applies at, above and below it, never a sibling's."""
    found: dict[str, str] = {}
    for scope in (*(a.scope for a in assignments), *(d.scope for d in denies)):
        low = "/" + scope.strip().strip("/").lower()
        if low.startswith(MANAGEMENT_GROUP_SCOPE):
            name = scope.strip().strip("/").split("/")[3]
            found.setdefault(name.lower(), name)
    return tuple(found.values())
