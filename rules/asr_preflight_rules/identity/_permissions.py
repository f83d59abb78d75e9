"""What ASR401–ASR403 share: the required actions (RULES.md), the evaluator, and the verdict.

Each rule lists what it needs as :class:`Need` (a scope and the actions required there) and
:func:`judge` turns the evaluator's answers into one finding: ``fail`` naming every missing
action per scope, why it is missing and the smallest built-in role that would grant it;
``unknown`` naming the first action that could not be decided and why; ``pass`` naming the grants.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from asr_preflight.api import (
    Finding,
    MissingFact,
    Outcome,
    RuleContext,
    failed,
    passed,
    unknown,
)
from asr_preflight.rbac import (
    UNLISTED_HINT,
    Access,
    Decision,
    Evaluator,
    describe_roles,
    read_hint,
    smallest_roles,
)
from asr_preflight.snapshot import VirtualMachine

VAULT_ACTIONS = (
    "Microsoft.RecoveryServices/vaults/read",
    "Microsoft.RecoveryServices/vaults/replicationFabrics/write",
    "Microsoft.RecoveryServices/vaults/replicationPolicies/write",
    "Microsoft.RecoveryServices/vaults/replicationFabrics/replicationProtectionContainers"
    "/replicationProtectedItems/write",
)

TARGET_RESOURCE_GROUP_ACTIONS = (
    "Microsoft.Compute/virtualMachines/read",
    "Microsoft.Compute/virtualMachines/write",
    "Microsoft.Compute/virtualMachines/delete",
    "Microsoft.Compute/availabilitySets/read",
    "Microsoft.Compute/disks/write",
    "Microsoft.Network/networkInterfaces/read",
    "Microsoft.Network/networkInterfaces/write",
    "Microsoft.Network/networkInterfaces/delete",
    "Microsoft.Network/networkInterfaces/join/action",
    # a VNet read returns its subnets: virtualNetworks/read covers subnets/read (RULES.md: "subnets/
    # read or virtualNetworks/read"), so Virtual Machine Contributor, which ASR names as
    # sufficient and which holds only the former, passes
    VNET_READ := "Microsoft.Network/virtualNetworks/read",
    SUBNET_JOIN := "Microsoft.Network/virtualNetworks/subnets/join/action",
    "Microsoft.Resources/deployments/write",
    "Microsoft.Resources/subscriptions/resourceGroups/read",
)

#: Needed in addition when the target resource group does not exist yet (ASR creates it).
RESOURCE_GROUP_CREATE_ACTION = "Microsoft.Resources/subscriptions/resourceGroups/write"

CACHE_STORAGE_ACTIONS = (
    "Microsoft.Storage/storageAccounts/read",
    "Microsoft.Storage/storageAccounts/listkeys/action",
)

SOURCE_VM_ACTIONS = (
    "Microsoft.Compute/virtualMachines/read",
    "Microsoft.Compute/virtualMachines/extensions/write",
)


@dataclass(frozen=True)
class Need:
    """Actions the principal must be allowed at one scope; ``label`` names the scope for people."""

    label: str  # "vault rv-dr-westus2", "resource group rg-shop-prod-asr"
    scope: str
    actions: tuple[str, ...]
    data: bool = False  # the actions are data actions (granted by dataActions only)


def evaluator(ctx: RuleContext, scope: str) -> Evaluator:
    """The run's shared evaluator, or a MissingFact saying what could not be read and why."""
    identity = ctx.snapshot.identity
    if identity is None:
        err = ctx.error_for("rbac", scope)
        hint = read_hint(scope)
        if err is not None:
            hint = f"{err.hint}; {hint}" if err.hint else hint
            raise MissingFact(
                f"the operating principal's role assignments could not be read: {err.cause}", hint
            )
        raise MissingFact("the operating principal's role assignments were not gathered", hint)
    if not identity.principal_id:
        raise MissingFact(
            "the operating principal (the identity that will enable replication) is not known",
            "pass --principal-id <object id> to `asr-preflight collect` or `check` (the token "
            "carried no oid claim)",
        )
    return ctx.cached("rbac.evaluator", lambda: Evaluator(identity, ctx.snapshot.errors))


@dataclass(frozen=True)
class NeedsVerdict:
    """The part of a finding that depends only on the needs, shared by every VM with them."""

    outcome: Outcome
    detail: str  # completes "<vm>: principal P may [not] <what>"
    hint: str = ""


def judge(
    ctx: RuleContext,
    vm: VirtualMachine,
    needs: Sequence[Need],
    *,
    what: str,
    target: str,
    insufficient: Sequence[str] = (),
) -> Finding:
    """One finding for ``vm`` from the evaluator's answers to every (need, action).

    ``what`` completes "principal P may …"; ``insufficient`` names roles that, when they are all
    the principal holds at a scope, the failure message calls out as not enough. The verdict is
    computed once per distinct set of needs (one vault for every VM, one target resource group
    for many).
    """
    ev = evaluator(ctx, needs[0].scope)
    verdicts: dict[tuple[tuple[Need, ...], tuple[str, ...]], NeedsVerdict] = ctx.cached(
        "rbac.verdicts", dict
    )
    key = (tuple(needs), tuple(insufficient))
    verdict = verdicts.get(key)
    if verdict is None:
        verdict = verdicts[key] = decide(ev, key[0], key[1])
    who = f"principal {ev.principal}"
    if verdict.outcome is Outcome.FAIL:
        message = f"{vm.name}: {who} may not {what}: {verdict.detail}"
        return failed(vm, message, target=target, hint=verdict.hint)
    if verdict.outcome is Outcome.UNKNOWN:
        message = f"{vm.name}: whether {who} may {what} is unknown: {verdict.detail}"
        return unknown(vm, message, target=target, hint=verdict.hint)
    return passed(vm, f"{vm.name}: {who} may {what} ({verdict.detail})", target=target)


def decide(ev: Evaluator, needs: Sequence[Need], insufficient: Sequence[str]) -> NeedsVerdict:
    """Fail naming every denied action, else unknown naming the first undecided, else pass."""
    answers = [
        (need, ev.check(action, need.scope, data=need.data))
        for need in needs
        for action in need.actions
    ]
    denied = [(need, a) for need, a in answers if a.decision is Decision.DENIED]
    if denied:
        return _fail(ev, denied, insufficient)
    undecided = [(need, a) for need, a in answers if a.decision is Decision.UNKNOWN]
    if undecided:
        need, first = undecided[0]
        more = f" (and {len(undecided) - 1} more)" if len(undecided) > 1 else ""
        return NeedsVerdict(
            Outcome.UNKNOWN,
            f"{first.action} on {need.label}{more}: {first.reason}",
            first.hint
            or "check the assignment's condition or the management group ancestry by hand",
        )
    grants = list(dict.fromkeys(a.reason.removesuffix(" grants it") for _, a in answers))
    shown = ", ".join(grants[:3]) + (f" and {len(grants) - 3} more" if len(grants) > 3 else "")
    return NeedsVerdict(Outcome.PASS, f"granted by {shown}")


def _fail(
    ev: Evaluator, denied: list[tuple[Need, Access]], insufficient: Sequence[str]
) -> NeedsVerdict:
    parts: list[str] = []
    hints: list[str] = []
    ungranted: list[str] = []
    ungranted_data: list[str] = []
    by_need: dict[Need, list[Access]] = {}
    for need, access in denied:
        by_need.setdefault(need, []).append(access)
    for need, accesses in by_need.items():
        blocked = [a for a in accesses if a.deny_assignment is not None]
        missing = [a for a in accesses if a.deny_assignment is None]
        if missing:
            (ungranted_data if need.data else ungranted).extend(a.action for a in missing)
            held = ev.roles_at(need.scope)
            holding = f"it holds {', '.join(held)} there" if held else "it holds no role there"
            if held and all(r in insufficient for r in held):
                which = "which cannot" if len(held) == 1 else "neither of which can"
                holding = f"it holds only {' and '.join(held)} there, {which} do this"
            parts.append(
                f"{compact(a.action for a in missing)} not granted on {need.label} ({holding})"
            )
        for access in blocked:
            parts.append(f"{access.action} on {need.label} blocked: {access.reason}")
            if access.hint and access.hint not in hints:
                hints.append(access.hint)
    suggestion = ""
    if ungranted or ungranted_data:
        named = [
            describe_roles(smallest_roles(frozenset(actions), data=data))
            for actions, data in ((ungranted, False), (ungranted_data, True))
            if actions
        ]
        roles = " and ".join(named)
        scopes = ", ".join(need.label for need, acc in by_need.items() if _ungranted(acc))
        suggestion = f"; {roles} would grant them"
        hints.insert(
            0,
            f"assign {roles} to {ev.principal} on {scopes} (or a custom role with the "
            "listed actions)",
        )
        hints.append(UNLISTED_HINT)
    return NeedsVerdict(Outcome.FAIL, f"{'; '.join(parts)}{suggestion}", "; ".join(hints))


def _ungranted(accesses: list[Access]) -> bool:
    return any(a.deny_assignment is None for a in accesses)


def compact(actions: Iterable[str]) -> str:
    """Actions on one resource type written together, as RULES.md does:
    ``Microsoft.Compute/virtualMachines/read|write``, ``…/networkInterfaces/join/action``."""
    groups: dict[str, list[str]] = {}
    for action in actions:
        parts = action.split("/")
        cut = -2 if parts[-1].lower() == "action" and len(parts) > 3 else -1
        groups.setdefault("/".join(parts[:cut]), []).append("/".join(parts[cut:]))
    return ", ".join(f"{kind}/{'|'.join(ops)}" for kind, ops in groups.items())
