"""The Azure RBAC permission evaluator: may principal P perform control-plane action A at scope S?

It answers as Azure Resource Manager does, from the facts the collector gathered
(:class:`~asr_preflight.snapshot.IdentityFacts`):

* A **role assignment** applies at its scope and every scope below it (management group ->
  subscription -> resource group -> resource). The collector lists assignments with
  ``assignedTo('<objectId>')``, so every assignment in the facts is the principal's, directly or
  through a group; one whose ``principal_id`` is not the principal's is a group assignment.
* A **role definition** grants A when, in one of its permission blocks, an ``actions`` pattern
  matches A and no ``notActions`` pattern of the *same* block does. Patterns are
  case-insensitive and ``*`` matches any run of characters anywhere in the string.
  ``notActions`` only narrow their own role: another role can still grant the action.
* A **data action** (``Microsoft.KeyVault/vaults/secrets/getSecret/action``: an operation on the
  data inside a resource, asked with ``check(action, scope, data=True)``) is granted only by a
  ``dataActions`` pattern not matched by a ``notDataActions`` pattern of the same block, and
  blocked only by a deny assignment's ``dataActions``. The two kinds never cross: ``actions: *``
  grants no data action, and ``dataActions: *`` no control-plane action.
* A **deny assignment** at S or above (only at S itself with ``doNotApplyToChildScopes``) whose
  actions match A (minus its notActions) blocks A whatever the roles say, when it names the
  principal, one of its groups, or everyone (``00000000-0000-0000-0000-000000000000``) and does
  not exclude the principal or one of its groups.
* An assignment with an ABAC ``condition`` cannot be evaluated here: a grant that rests on one is
  ``unknown``, never ``allowed``.

The answer (:class:`Access`) is ``allowed``, ``denied`` or ``unknown`` and names the assignment or
deny assignment that decided it.

Approximations, each resolved towards ``unknown`` rather than a guess:

* A management group scope (``/providers/Microsoft.Management/managementGroups/X``) is above a
  subscription only when the collector says so (``IdentityFacts.management_groups``: it records
  every management group at which ARM listed an assignment or deny assignment for the
  subscription, since ``assignedTo()`` at a subscription lists those above it). When it did
  not gather a subscription's ancestry, an assignment at a management group that would grant the
  action makes the answer ``unknown``, and a deny assignment there makes an otherwise allowed
  answer ``unknown``.
* PIM-eligible (not activated) role assignments and Azure Lighthouse delegations are not listed
  by ARM's role assignments API: a principal whose access rests on them is answered ``denied``,
  and the hint (:data:`UNLISTED_HINT`) says so.
* Group membership is known from ``IdentityFacts.group_ids`` and from the groups that hold one of
  the principal's assignments. When ``group_ids`` was not gathered, a deny assignment that names
  (or excludes) a principal that may be a group containing P gives ``unknown``.
* A scope the collector did not read assignments for (not on one line with any of
  ``IdentityFacts.scopes``, when it lists any), or one covered by a FactError of kind ``rbac``,
  gives ``unknown``. An empty ``scopes`` means the collector read every scope the rules ask about.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from asr_preflight.rbac.roles import Permissions
from asr_preflight.rbac.scopes import (
    _guid,
    describe_scope,
    is_within,
    normalize_scope,
    scope_chain,
    subscription_of,
)
from asr_preflight.snapshot import (
    DenyAssignment,
    FactError,
    IdentityFacts,
    RoleAssignment,
    RoleDefinition,
)

EVERYONE = "00000000-0000-0000-0000-000000000000"
MANAGEMENT_GROUP_PREFIX = "/providers/microsoft.management/managementgroups/"


#: What asr-preflight itself needs to read a principal's access (Reader grants all three).
READ_PERMISSIONS = (
    "Microsoft.Authorization/roleAssignments/read",
    "Microsoft.Authorization/roleDefinitions/read",
    "Microsoft.Authorization/denyAssignments/read",
)


class Decision(StrEnum):
    ALLOWED = "allowed"
    DENIED = "denied"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Access:
    """The answer for one (action, scope): the decision, why, and what decided it."""

    action: str
    scope: str
    decision: Decision
    reason: str
    assignment: RoleAssignment | None = None  # the grant that decided (allowed / unknown)
    role_name: str | None = None  # its role's name, when the definition was read
    deny_assignment: DenyAssignment | None = None  # the deny that decided (denied / unknown)
    hint: str = ""

    @property
    def allowed(self) -> bool:
        return self.decision is Decision.ALLOWED


# ---------------------------------------------------------------------------------------------
# The evaluator
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Grant:
    assignment: RoleAssignment
    guid: str  # of its role definition
    scope: str  # normalized scope of the assignment
    certain: bool = True  # False: a management group not known to be above the scope


@dataclass(frozen=True)
class _Deny:
    deny: DenyAssignment
    certain: bool = True  # False: a management group not known to be above the scope


@dataclass(frozen=True)
class _ScopeFacts:
    """Everything about one scope that does not depend on the action, computed once."""

    grants: tuple[_Grant, ...]
    denies: tuple[_Deny, ...]
    blind: tuple[str, str] | None  # (reason, hint) when the scope's access was not read


class Evaluator:
    """Answers "may the principal perform A at S?" for one snapshot's IdentityFacts.

    Build it once per run (``ctx.cached``): it indexes assignments and deny assignments by
    scope, compiles each role's patterns once, and remembers every answer.
    """

    def __init__(self, facts: IdentityFacts, errors: Sequence[FactError] = ()) -> None:
        self.facts = facts
        self.principal = (facts.principal_id or "").lower()
        self._errors = [e for e in errors if e.kind == "rbac"]
        self._read_scopes = tuple(normalize_scope(s) for s in facts.scopes)
        groups = {a.principal_id.lower() for a in facts.role_assignments}
        groups.update(g.lower() for g in facts.group_ids or ())
        groups.discard(self.principal)
        self.groups = frozenset(groups)
        self.groups_known = facts.group_ids is not None
        self._mgs = {
            k.lower(): tuple(v.lower() for v in vs) for k, vs in facts.management_groups.items()
        }
        self._roles = {_guid(r.id): r for r in facts.role_definitions}
        self._compiled = {
            data: {guid: Permissions(r.permissions, data=data) for guid, r in self._roles.items()}
            for data in (False, True)
        }
        self._deny_perms = {
            data: {d.id: Permissions(d.permissions, data=data) for d in facts.deny_assignments}
            for data in (False, True)
        }
        self._by_scope: dict[str, list[_Grant]] = {}
        self._by_mg: dict[str, list[_Grant]] = {}
        for a in facts.role_assignments:
            norm = normalize_scope(a.scope)
            mg = _management_group(norm)
            grant = _Grant(a, _guid(a.role_definition_id), norm)
            if mg is None:
                self._by_scope.setdefault(norm, []).append(grant)
            else:
                self._by_mg.setdefault(mg, []).append(grant)
        self._deny_by_scope: dict[str, list[DenyAssignment]] = {}
        self._deny_by_mg: dict[str, list[DenyAssignment]] = {}
        for d in facts.deny_assignments:
            norm = normalize_scope(d.scope)
            mg = _management_group(norm)
            if mg is None:
                self._deny_by_scope.setdefault(norm, []).append(d)
            else:
                self._deny_by_mg.setdefault(mg, []).append(d)
        self._scopes: dict[str, _ScopeFacts] = {}
        self._answers: dict[tuple[str, str, bool], Access] = {}

    # -- public ---------------------------------------------------------------------------------

    def role(self, assignment: RoleAssignment) -> RoleDefinition | None:
        return self._roles.get(_guid(assignment.role_definition_id))

    def check(self, action: str, scope: str, *, data: bool = False) -> Access:
        """May the principal perform ``action`` at ``scope``? ``data=True``: ``action`` is a
        data action (granted by ``dataActions`` only). Remembered per (action, scope, kind)."""
        key = (action, scope, data)
        found = self._answers.get(key)
        if found is None:
            norm = normalize_scope(scope)
            found = self._answers.get((action.lower(), norm, data))
            if found is None:
                found = self._decide(action, scope, self._scope_facts(norm), data)
                self._answers[(action.lower(), norm, data)] = found
            self._answers[key] = found
        return found

    def roles_at(self, scope: str) -> tuple[str, ...]:
        """Names of the roles the principal holds at ``scope`` (inherited ones included)."""
        names: list[str] = []
        for grant in self._scope_facts(normalize_scope(scope)).grants:
            role = self._roles.get(grant.guid)
            if grant.certain and role is not None and role.role_name not in names:
                names.append(role.role_name)
        return tuple(names)

    # -- per scope ----------------------------------------------------------------------------

    def _scope_facts(self, norm: str) -> _ScopeFacts:
        found = self._scopes.get(norm)
        if found is None:
            found = self._gather(norm)
            self._scopes[norm] = found
        return found

    def _gather(self, norm: str) -> _ScopeFacts:
        chain = scope_chain(norm)
        grants: list[_Grant] = []
        denies: list[_Deny] = []
        for prefix in chain:
            grants.extend(self._by_scope.get(prefix, ()))
            for d in self._deny_by_scope.get(prefix, ()):
                if not d.do_not_apply_to_child_scopes or prefix == norm:
                    denies.append(_Deny(d))
        sub = subscription_of(norm)
        ancestry = self._mgs.get(sub) if sub is not None else ()
        for mg, items in self._by_mg.items():
            if ancestry is None:
                grants.extend(_Grant(g.assignment, g.guid, g.scope, certain=False) for g in items)
            elif mg in ancestry:
                grants.extend(items)
        for mg, deny_items in self._deny_by_mg.items():
            for d in deny_items:
                if d.do_not_apply_to_child_scopes:
                    continue
                if ancestry is None:
                    denies.append(_Deny(d, certain=False))
                elif mg in ancestry:
                    denies.append(_Deny(d))
        return _ScopeFacts(tuple(grants), tuple(denies), self._blind_spot(norm))

    def _blind_spot(self, norm: str) -> tuple[str, str] | None:
        best: FactError | None = None
        for err in self._errors:
            if err.covers("rbac", norm) and (best is None or len(err.scope) > len(best.scope)):
                best = err
        if best is not None:
            return (
                f"role assignments for {norm} could not be read: {best.cause}",
                f"{best.hint}; {_read_hint(norm)}" if best.hint else _read_hint(norm),
            )
        if self._read_scopes and not any(
            is_within(norm, s) or is_within(s, norm) for s in self._read_scopes
        ):
            return (f"role assignments for {norm} were not read", _read_hint(norm))
        return None

    # -- decision -----------------------------------------------------------------------------

    def _decide(self, action: str, scope: str, facts: _ScopeFacts, data: bool) -> Access:
        if facts.blind is not None:
            return Access(action, scope, Decision.UNKNOWN, facts.blind[0], hint=facts.blind[1])

        granted: list[_Grant] = []
        uncertain: list[tuple[_Grant, str, str]] = []  # (grant, why, hint)
        for grant in facts.grants:
            compiled = self._compiled[data].get(grant.guid)
            if not grant.certain:
                if compiled is None or compiled.grants(action):
                    sub = subscription_of(scope) or "?"
                    why = f"whether that management group is above subscription {sub} is unknown"
                    uncertain.append((grant, why, MG_HINT))
            elif compiled is None:
                why = f"its role definition {grant.guid} was not read"
                uncertain.append((grant, why, _definition_hint(grant.assignment.scope)))
            elif compiled.grants(action):
                if grant.assignment.condition:
                    why = "that assignment has an ABAC condition (not evaluated here)"
                    uncertain.append((grant, why, CONDITION_HINT))
                else:
                    granted.append(grant)

        deny, maybe_deny, maybe_why = self._denied(action, facts.denies, data)
        if deny is not None:
            return Access(
                action,
                scope,
                Decision.DENIED,
                f"deny assignment {_deny_label(deny)} blocks it",
                deny_assignment=deny,
                hint="a deny assignment overrides every role assignment; ask its owner to exclude "
                "the principal (or one of its groups), or use a principal it excludes",
            )
        if granted:
            best = max(granted, key=lambda g: len(g.scope))  # the nearest scope names the grant
            role = self._roles.get(best.guid)
            name = role.role_name if role else None
            if maybe_deny is not None:
                return Access(
                    action,
                    scope,
                    Decision.UNKNOWN,
                    f"{self._grant_label(best)} grants it, but deny assignment "
                    f"{_deny_label(maybe_deny)} may block it ({maybe_why})",
                    best.assignment,
                    name,
                    maybe_deny,
                    MG_HINT if "management group" in maybe_why else GROUPS_HINT,
                )
            label = f"{self._grant_label(best)} grants it"
            return Access(action, scope, Decision.ALLOWED, label, best.assignment, name)
        if uncertain:
            best, why, hint = max(uncertain, key=lambda u: len(u[0].scope))
            role = self._roles.get(best.guid)
            return Access(
                action,
                scope,
                Decision.UNKNOWN,
                f"only {self._grant_label(best)} could grant it, and {why}",
                best.assignment,
                role.role_name if role else None,
                hint=hint,
            )
        return Access(
            action, scope, Decision.DENIED, "no role assignment grants it", hint=UNLISTED_HINT
        )

    def _denied(
        self, action: str, denies: Sequence[_Deny], data: bool
    ) -> tuple[DenyAssignment | None, DenyAssignment | None, str]:
        """(a deny that blocks, a deny that may block, why it only may)."""
        maybe: DenyAssignment | None = None
        maybe_why = ""
        for item in denies:
            d = item.deny
            if not self._deny_perms[data][d.id].grants(action):
                continue
            applies = self._names(d.principal_ids, d)
            excluded = self._names(d.exclude_principal_ids, d)
            if applies is False or excluded is True:
                continue
            if item.certain and applies is True and excluded is False:
                return d, None, ""
            if maybe is None:
                maybe = d
                maybe_why = (
                    "the principal's group membership was not gathered"
                    if item.certain
                    else "management group ancestry was not gathered"
                )
        return None, maybe, maybe_why

    def _names(self, ids: Sequence[str], deny: DenyAssignment) -> bool | None:
        """Do ``ids`` include the principal (directly, through a group, or as everyone)?"""
        lowered = {i.lower() for i in ids}
        if EVERYONE in lowered or self.principal in lowered or lowered & self.groups:
            return True
        if self.groups_known:
            return False
        types = {k.lower(): v.lower() for k, v in deny.principal_types.items()}
        maybe_group = any(types.get(i, "group") == "group" for i in lowered)
        return None if maybe_group else False

    def _grant_label(self, grant: _Grant) -> str:
        role = self._roles.get(grant.guid)
        name = role.role_name if role else f"role {grant.guid}"
        via = ""
        if grant.assignment.principal_id.lower() != self.principal:
            via = f" (through group {grant.assignment.principal_id})"
        return f"{name} on {describe_scope(grant.assignment.scope)}{via}"


def _management_group(norm: str) -> str | None:
    if norm.startswith(MANAGEMENT_GROUP_PREFIX):
        return norm[len(MANAGEMENT_GROUP_PREFIX) :].split("/", 1)[0]
    return None


def _deny_label(deny: DenyAssignment) -> str:
    return f"{deny.name or _guid(deny.id)!r} on {describe_scope(deny.scope)}"


def _read_hint(scope: str) -> str:
    return (
        f"asr-preflight needs {', '.join(READ_PERMISSIONS)} on {scope} "
        "(Reader grants them); re-run `asr-preflight collect` with such a credential"
    )


def _definition_hint(scope: str) -> str:
    return (
        f"asr-preflight needs Microsoft.Authorization/roleDefinitions/read on {scope} "
        "(Reader grants it) to read the role definition; re-run `asr-preflight collect`"
    )


MG_HINT = (
    "collect the subscription's management group ancestry (Resource Graph "
    "resourcecontainers.managementGroupAncestorsChain, or Microsoft.Management/managementGroups/"
    "read) so asr-preflight can tell whether that management group is above it"
)
GROUPS_HINT = (
    "collect the principal's group memberships (Microsoft Graph getMemberObjects), or check "
    "the deny assignment's principals by hand"
)
UNLISTED_HINT = (
    "PIM-eligible role assignments that are not activated, and Azure Lighthouse delegations, "
    "are not listed by ARM and so not counted here: if the principal relies on one, activate "
    "the eligible role (Privileged Identity Management) before enabling replication, or "
    "check the delegation by hand"
)
CONDITION_HINT = (
    "asr-preflight does not evaluate ABAC conditions: check the condition of the role "
    "assignment by hand, or grant the role without a condition"
)


def read_hint(scope: str) -> str:
    """The hint for a scope whose access could not be read: the permissions the tool needs."""
    return _read_hint(normalize_scope(scope))
