"""What the capacity rules share: the run's capacity plan (built once by
``asr_preflight.sizing``) and the findings built from it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from asr_preflight.api import Finding, MissingFact, RuleContext, failed, passed, skipped, unknown
from asr_preflight.sizing import (
    CapacityPlan,
    Choice,
    Need,
    ScopeCapacity,
    SizeChoice,
    SizeSpec,
    build_capacity_plan,
)
from asr_preflight.snapshot import VirtualMachine


def capacity_plan(ctx: RuleContext) -> CapacityPlan:
    """The run's capacity plan, built once and shared by ASR101–ASR107."""
    return ctx.cached("asr_preflight.sizing", lambda: build_capacity_plan(ctx.snapshot, ctx.plan))


def unresolved_size(ctx: RuleContext, choice: SizeChoice) -> MissingFact:
    """Why ``choice`` (of kind UNKNOWN) has no target size, as a MissingFact for the engine."""
    where = f"{choice.region} for subscription {choice.subscription}"
    if choice.missing == "skus":
        return ctx.missing("skus", choice.scope, f"the VM sizes offered in {where}")
    return MissingFact(
        f"{choice.vm.name}: {choice.requested} is {choice.blocked} and its capabilities (vCPUs, "
        "memory) are not in the snapshot, so the closest available size cannot be chosen",
        "pin a target size for this VM in the plan's [target] sizes, or collect again so that "
        "the source region's SKUs are gathered",
    )


def usage_missing(ctx: RuleContext, scope: ScopeCapacity, kind: str, need: Need) -> MissingFact:
    """The usage behind ``need`` is absent: the list was not gathered, or it lacks the entry."""
    cap = scope.capacity
    where = f"{scope.region} for subscription {scope.subscription}"
    if (
        cap is None
        or (cap.compute_usages if kind == "compute_usages" else cap.network_usages) is None
    ):
        what = "compute quota usages" if kind == "compute_usages" else "network usages"
        return ctx.missing(kind, scope.scope, f"the {what} of {where}")
    return MissingFact(
        f"the usage list of {where} has no entry {need.name}, so its headroom is unknown",
        "check the quota in the portal (Subscriptions > Usage + quotas) and re-run collect",
    )


def judge_quota(
    ctx: RuleContext,
    vm: VirtualMachine,
    scope: ScopeCapacity,
    need: Need,
    *,
    subject: str,
    uncertain: str,
) -> Finding:
    """One VM's outcome for one compute usage: fail when even the known demand overflows,
    unknown when some demand is unknown (``uncertain`` says whose what: "the vCPUs of"), or pass.
    """
    if need.usage is None:
        raise usage_missing(ctx, scope, "compute_usages", need)
    target = scope.usage_id(need.name)
    text = f"{subject}: the failover {need.text}"
    if need.state == "fail":
        hint = f"request at least {need.short} more {need.label} in {scope.region} for "
        hint += f"subscription {scope.subscription}, or protect fewer VMs into it"
        return failed(vm, text, target=target, hint=hint)
    if need.state == "unknown":
        who = ", ".join(need.missing[:5]) + (" …" if len(need.missing) > 5 else "")
        return unknown(
            vm,
            f"{text}, but {uncertain} {who} {'is' if len(need.missing) == 1 else 'are'} unknown",
            target=target,
            hint="resolve the unknown ASR101 results (SKUs or source sizes) first",
        )
    return passed(vm, text, target=target)


def each_vm(ctx: RuleContext, judge: Callable[[VirtualMachine], Finding]) -> Iterator[Finding]:
    """An estate rule's findings, one per VM: a MissingFact for one VM makes only it unknown."""
    for vm in ctx.vms:
        try:
            yield judge(vm)
        except MissingFact as exc:
            yield unknown(vm, exc.message, hint=exc.hint)


def target_size(ctx: RuleContext, vm: VirtualMachine) -> SizeSpec | Finding:
    """The VM's target size (ASR101's choice), or the skip to return when none is available;
    raises MissingFact when the choice is unknown."""
    choice = capacity_plan(ctx).choice(vm)
    if choice.kind is Choice.UNKNOWN:
        raise unresolved_size(ctx, choice)
    if choice.size is None:
        return skipped(vm, f"{vm.name}: no available target size to compare (see ASR101)")
    return choice.size


def size_fits(
    vm: VirtualMachine,
    size: SizeSpec,
    count: int,
    limit: int | None,
    *,
    noun: str,
    capability: str,
    hint: str,
) -> Finding:
    """ASR105/ASR106: the target size's ``limit`` (its ``capability``) against the VM's
    ``count`` of ``noun`` (singular; an ``s`` is added): pass, fail with ``hint``, or unknown."""
    have = f"{count} {noun}{'s' if count != 1 else ''}"
    if limit is None:
        return unknown(
            vm,
            f"{vm.name}: the SKU list gives no {capability} for {size.name}",
            hint="re-run collect; if it persists, check the size's limits in the docs",
        )
    text = f"{vm.name} has {have}; target size {size.name} supports {limit}"
    if limit < count:
        return failed(vm, text, hint=hint)
    return passed(vm, text)
