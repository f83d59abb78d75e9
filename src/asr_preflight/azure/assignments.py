"""The identity part of the Azure collection: the operating principal's role and deny assignments
(phase 1, per relevant subscription) and the role definitions they name (phase 3)."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Future
from functools import partial
from typing import Any

from asr_preflight.azure import identity
from asr_preflight.azure.clients import Clients
from asr_preflight.azure.ids import sub_scope, subscription_of
from asr_preflight.azure.runner import Runner, value
from asr_preflight.plan import Plan
from asr_preflight.snapshot import (
    DenyAssignment,
    FactError,
    FactKind,
    IdentityFacts,
    RoleAssignment,
    RoleDefinition,
)

RBAC_READER = "Reader (Microsoft.Authorization/roleAssignments/read and denyAssignments/read)"

Pending = dict[str, tuple[Future[Any], Future[Any]]]  # subscription -> (assignments, denies)


def rbac_subscriptions(plan: Plan, subscriptions: list[str]) -> list[str]:
    """The source subscriptions and those of the target, the vault and the cache account."""
    subs = list(subscriptions)
    for ref in (
        plan.target.subscription,
        plan.target.vault,
        *plan.target.cache_account_ids(),
    ):
        if ref:
            subs.append(subscription_of(ref) if ref.startswith("/") else ref)
    return list(dict.fromkeys(s.lower() for s in subs))


def submit_assignments(
    runner: Runner,
    clients: Clients,
    principal: str | None,
    subs: list[str],
    *,
    kind: FactKind = "rbac",
    reader: str = RBAC_READER,
) -> Pending:
    """The principal's role assignments (``assignedTo``) and the deny assignments at each
    subscription's scope: two lists per subscription, failures recorded as ``kind``."""
    if principal is None:
        return {}
    out = {}
    for sub in subs:
        a = clients.authorization(sub)
        scope = sub_scope(sub)
        out[sub] = (
            runner.submit(
                partial(identity.role_assignments, a, scope, principal), kind, scope, reader
            ),
            runner.submit(partial(identity.deny_assignments, a, scope), kind, scope, reader),
        )
    return out


def gather_identity(
    runner: Runner,
    clients: Clients,
    principal: str | None,
    subs: list[str],
    futures: Pending,
    above: Mapping[str, tuple[str, ...]] | None = None,
) -> IdentityFacts:
    """``above``: subscription -> management groups known to be above it from elsewhere (the
    descendants listing of ``[azure] management_groups``)."""
    if principal is None:
        runner.record(
            FactError(
                "rbac",
                "",
                "the operating principal's object id is unknown "
                "(the access token has no oid claim)",
                "pass --principal-id with the object id of the identity that will "
                "enable replication",
            )
        )
        return IdentityFacts(principal_id=None)
    return identity_facts(
        runner,
        clients,
        principal,
        futures,
        fallback_sub=subs[0] if subs else "",
        kind="rbac",
        reader=RBAC_READER,
        above=above,
    )


def identity_facts(
    runner: Runner,
    clients: Clients,
    principal: str,
    futures: Pending,
    *,
    fallback_sub: str,
    kind: FactKind,
    reader: str,
    above: Mapping[str, tuple[str, ...]] | None = None,
    ancestry: bool = True,
) -> IdentityFacts:
    """Gather the assignment lists :func:`submit_assignments` submitted, read the role
    definitions they name, one GET each through the subscription in the definition's id (else
    ``fallback_sub``), and build the facts, sorted by id. A definition that cannot be read is a
    FactError of ``kind`` naming it. With ``ancestry``, the management groups above each
    subscription whose lists were read: those the lists name and those ``above`` gives."""
    assignments: dict[str, RoleAssignment] = {}
    denies: dict[str, DenyAssignment] = {}
    scopes = []
    groups: dict[str, tuple[str, ...]] = {}
    for sub, (a_f, d_f) in futures.items():
        got_a, got_d = value(a_f), value(d_f)
        if got_a is not None and got_d is not None:
            scopes.append(sub_scope(sub))
            if ancestry:
                listed = identity.listed_management_groups(got_a, got_d)
                groups[sub] = tuple(dict.fromkeys((*listed, *(above or {}).get(sub, ()))))
        assignments.update({a.id.lower(): a for a in got_a or ()})
        denies.update({d.id.lower(): d for d in got_d or ()})
    role_ids = sorted({a.role_definition_id for a in assignments.values()}, key=str.lower)
    role_f = [
        runner.submit(
            partial(
                identity.role_definition,
                clients.authorization(subscription_of(rid) or fallback_sub),
                rid,
            ),
            kind,
            rid,
            reader,
        )
        for rid in role_ids
    ]
    definitions: list[RoleDefinition] = [d for f in role_f if (d := value(f)) is not None]
    return IdentityFacts(
        principal_id=principal,
        role_assignments=tuple(assignments[k] for k in sorted(assignments)),
        role_definitions=tuple(sorted(definitions, key=lambda d: d.id.lower())),
        deny_assignments=tuple(denies[k] for k in sorted(denies)),
        scopes=tuple(scopes),
        management_groups=groups,
    )
