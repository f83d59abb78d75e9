"""Rule evaluation: snapshot + plan + rules -> one outcome per (rule, target).

Evaluation is fail-closed. Every selected VM gets exactly one outcome from every VM and estate
rule, and every ordered pair in a group gets one from every pair rule; whatever a rule did not
say, or hid behind an exception, is ``unknown``. The declared contract is enforced: a rule of
severity ``warn`` cannot fail a VM (its ``fail`` is reported as ``warn`` and noted among the rule
errors), an outcome a rule may not give (``waived``, or not an outcome) is ``unknown``, and an
estate rule that yields something that is not a Finding is ``unknown`` for every VM.
Each rule runs with its pack's view of the context (:meth:`RuleContext.for_pack`), so packs never
share :meth:`RuleContext.cached` values.

Discovery and selection are :mod:`asr_preflight.packs` (re-exported here).
"""

from __future__ import annotations

import gc
import itertools
import traceback
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from asr_preflight.api import (
    OUTCOME_RANK,
    Area,
    Finding,
    MissingFact,
    Outcome,
    Rule,
    RuleContext,
    RuleKind,
    Severity,
)
from asr_preflight.packs import (
    BUILTIN_PACK,
    ENTRY_POINT_GROUP,
    Chosen,
    Pack,
    RuleLoadError,
    RuleSet,
    Selection,
    SelectionError,
    UnknownRuleError,
    builtin_rules,
    choose_rules,
    find_rule,
    load_rule_set,
    load_rules,
    select_rules,
    validate_rule,
)
from asr_preflight.plan import Plan
from asr_preflight.snapshot import Snapshot, VirtualMachine

__all__ = [
    "BUILTIN_PACK",
    "ENTRY_POINT_GROUP",
    "Chosen",
    "Evaluation",
    "ExitCode",
    "Pack",
    "Result",
    "RuleLoadError",
    "RuleSet",
    "Selection",
    "SelectionError",
    "UnknownRuleError",
    "Verdict",
    "VmVerdict",
    "builtin_rules",
    "capped",
    "choose_rules",
    "evaluate",
    "exit_code",
    "find_rule",
    "load_rule_set",
    "load_rules",
    "result_label",
    "run_verdict",
    "select_rules",
    "unlisted_vms",
    "validate_rule",
    "verdict_of",
]


# ---------------------------------------------------------------------------------------------
# Results and verdicts
# ---------------------------------------------------------------------------------------------


class Verdict(StrEnum):
    READY = "ready"
    CONDITIONS = "ready-with-conditions"
    NOT_READY = "not-ready"
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Verdict.READY: "Ready",
    Verdict.CONDITIONS: "Ready with conditions",
    Verdict.NOT_READY: "Not ready",
    Verdict.UNKNOWN: "Readiness unknown",
}
_VERDICT_RANK = {Verdict.READY: 0, Verdict.CONDITIONS: 1, Verdict.UNKNOWN: 2, Verdict.NOT_READY: 3}


@dataclass(frozen=True)
class Result:
    rule: str
    name: str
    area: Area
    severity: Severity
    vm: str  # the VM's name (the source VM, for pair results)
    vm_id: str
    target: str  # resource id, usage name, or "vm-a -> vm-b"
    outcome: Outcome
    message: str
    hint: str = ""
    waiver: str = ""  # the justification, when waived
    original: Outcome | None = None  # the outcome a waiver replaced (gates: waivers.py)
    change: str = ""  # against a baseline scan: "new", "unchanged" or "fixed" (gates: baseline.py)

    @property
    def label(self) -> str:
        """The JUnit test name: ``ASR201 outbound-storage [vm-web-01]``."""
        return result_label(self.rule, self.name, self.vm, self.target)


def result_label(rule: str, name: str, vm: str, target: str) -> str:
    """``ASR201 outbound-storage [vm-web-01]``; a pair rule's target (``a -> b``) in brackets."""
    bracket = target if " -> " in target else vm
    return f"{rule} {name} [{bracket}]"


@dataclass(frozen=True)
class VmVerdict:
    name: str
    id: str
    verdict: Verdict
    counts: dict[Outcome, int]


@dataclass(frozen=True)
class Evaluation:
    verdict: Verdict
    vms: tuple[VmVerdict, ...]
    results: tuple[Result, ...]
    rules: tuple[Rule, ...]
    rule_errors: tuple[str, ...] = ()  # rules that raised: "ASR201: KeyError('x') (in …)"
    notes: tuple[str, ...] = field(default=())
    # why this run cannot be ready whatever its results (VMs not listed, a rule pack that failed
    # to load); each is also a note. Waivers and gates keep the verdict at best unknown.
    incomplete: tuple[str, ...] = ()


def verdict_of(outcomes: Iterable[Outcome]) -> Verdict:
    seen = set(outcomes)
    if Outcome.FAIL in seen:
        return Verdict.NOT_READY
    if Outcome.UNKNOWN in seen:
        return Verdict.UNKNOWN
    if Outcome.WARN in seen:
        return Verdict.CONDITIONS
    return Verdict.READY


def run_verdict(vms: Iterable[VmVerdict]) -> Verdict:
    verdicts = [vm.verdict for vm in vms]
    if not verdicts:
        return Verdict.UNKNOWN  # nothing selected: we cannot say anything is ready
    return max(verdicts, key=_VERDICT_RANK.__getitem__)


def capped(verdict: Verdict, incomplete: Sequence[str]) -> Verdict:
    """The run verdict, at best ``unknown`` when the run is incomplete."""
    if incomplete and _VERDICT_RANK[verdict] < _VERDICT_RANK[Verdict.UNKNOWN]:
        return Verdict.UNKNOWN
    return verdict


class ExitCode:
    READY = 0
    NOT_READY = 1
    USAGE = 2
    UNKNOWN = 3
    WARNINGS_STRICT = 4
    INTERNAL = 5


def exit_code(verdict: Verdict, *, strict: bool = False) -> int:
    if verdict is Verdict.NOT_READY:
        return ExitCode.NOT_READY
    if verdict is Verdict.UNKNOWN:
        return ExitCode.UNKNOWN
    if verdict is Verdict.CONDITIONS and strict:
        return ExitCode.WARNINGS_STRICT
    return ExitCode.READY


# ---------------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------------


def evaluate(
    snapshot: Snapshot, plan: Plan, rules: Sequence[Rule], *, incomplete: Sequence[str] = ()
) -> Evaluation:
    """Every rule on the snapshot. ``incomplete``: notes that keep the run from being ready
    (``RuleSet.notes()`` for packs that failed to load)."""
    # A run allocates many small objects that all live to its end (results, shared indexes);
    # the cyclic garbage collector would re-scan them again and again (about half the time of
    # the network rules on 10,000 VMs). Rules build no reference cycles: pause it for the run.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _evaluate(snapshot, plan, rules, tuple(incomplete))
    finally:
        if enabled:
            gc.enable()


def _evaluate(
    snapshot: Snapshot, plan: Plan, rules: Sequence[Rule], incomplete: tuple[str, ...]
) -> Evaluation:
    base = RuleContext(snapshot, plan)
    views: dict[str, RuleContext] = {}
    results: list[Result] = []
    errors: list[str] = []
    for rule in rules:
        ctx = views.get(rule.pack)
        if ctx is None:
            ctx = views[rule.pack] = base.for_pack(rule.pack)
        findings, rule_errors = _run(rule, ctx)
        errors.extend(rule_errors)
        findings, contract = _enforced(rule, findings)
        errors.extend(contract)
        area = rule.area
        results.extend(_to_result(rule, f, area) for f in findings)
    by_vm: dict[str, list[Outcome]] = {}
    for result in results:
        by_vm.setdefault(result.vm_id, []).append(result.outcome)
    vms = tuple(_vm_verdict(vm, by_vm.get(vm.id, [])) for vm in snapshot.vms)
    # VMs that could not be listed, and packs that did not load, keep the run from being ready
    blocking = (*incomplete, *unlisted_vms(snapshot))
    verdict = capped(run_verdict(vms), blocking)
    return Evaluation(verdict, vms, tuple(results), tuple(rules), tuple(errors), blocking, blocking)


#: What a rule may answer; ``waived`` is the gate's, never a rule's.
RULE_OUTCOMES = frozenset({Outcome.PASS, Outcome.FAIL, Outcome.WARN, Outcome.UNKNOWN, Outcome.SKIP})


def _enforced(rule: Rule, findings: list[Finding]) -> tuple[list[Finding], list[str]]:
    """The declared contract: a warn rule's fail is a warn (noted); an outcome a rule may not
    give is unknown (noted)."""
    out: list[Finding] = []
    downgraded = 0
    invalid: set[str] = set()
    for finding in findings:
        outcome = finding.outcome
        if not isinstance(outcome, str) or outcome not in RULE_OUTCOMES:
            invalid.add(repr(outcome))
            msg = f"rule {rule.code} answered {outcome!r}, which is not an outcome a rule may give"
            finding = Finding(finding.vm, Outcome.UNKNOWN, msg, finding.target, finding.hint)
        elif outcome == Outcome.FAIL and rule.severity == Severity.WARN:
            downgraded += 1
            finding = Finding(
                finding.vm, Outcome.WARN, finding.message, finding.target, finding.hint
            )
        elif not isinstance(outcome, Outcome):
            finding = Finding(
                finding.vm, Outcome(outcome), finding.message, finding.target, finding.hint
            )
        out.append(finding)
    notes = []
    if downgraded:
        notes.append(
            f"{rule.code}: declared severity warn, but answered fail for {downgraded} "
            f"target{'s' if downgraded != 1 else ''}; reported as warn (a warn rule cannot make "
            "a VM Not ready)"
        )
    if invalid:
        notes.append(f"{rule.code}: answered {', '.join(sorted(invalid))}; reported as unknown")
    return out, notes


def unlisted_vms(snapshot: Snapshot) -> tuple[str, ...]:
    """Notes for VMs the collector could not list or read (a ``vms`` FactError on a subscription
    or broader scope, or on one VM that is not in the snapshot): they have no results, so the
    run is at best unknown."""
    known = {vm.id.lower() for vm in snapshot.vms}
    notes = []
    for err in snapshot.errors:
        scope = err.scope.lower().rstrip("/")
        if err.kind != "vms" or scope in known:
            continue
        hint = f" ({err.hint})" if err.hint else ""
        if scope.count("/") <= 2:
            what = f"VMs in {scope or 'the estate'} could not be read and are"
        elif "/virtualmachines/" in scope:
            what = f"VM {err.scope.rstrip('/')} could not be read and is"
        else:
            continue
        notes.append(f"{what} not in this report: {err.cause}{hint}")
    return tuple(dict.fromkeys(notes))


def _run(rule: Rule, ctx: RuleContext) -> tuple[list[Finding], list[str]]:
    if rule.kind is RuleKind.PAIR:
        return _run_pairs(rule, ctx)
    if rule.kind is RuleKind.VM:
        out, errs = [], []
        for vm in ctx.vms:
            finding, err = _guarded(rule, vm, None, lambda vm=vm: rule.func(ctx, vm))
            out.append(_checked(rule, vm, finding))
            errs.extend(err)
        return out, errs
    return _run_estate(rule, ctx)


def _guarded(
    rule: Rule, vm: VirtualMachine, target: str | None, call: object
) -> tuple[Finding, list[str]]:
    try:
        finding = call()  # type: ignore[operator]
    except MissingFact as exc:
        return Finding(vm, Outcome.UNKNOWN, exc.message, target, exc.hint), []
    except Exception as exc:  # noqa: BLE001 - a crashing rule is that rule's unknown, not a dead run
        where = _where(exc)
        msg = f"rule {rule.code} failed while evaluating {vm.name}: {exc!r}"
        return (
            Finding(
                vm, Outcome.UNKNOWN, msg, target, "this is a bug in the rule; please report it"
            ),
            [f"{rule.code} [{vm.name}]: {exc!r} ({where})"],
        )
    problem = malformed(finding)
    if problem is not None:
        msg = f"rule {rule.code} returned {problem}"
        return Finding(vm, Outcome.UNKNOWN, msg, target), [f"{rule.code} [{vm.name}]: {msg}"]
    return finding, []


def malformed(item: object) -> str | None:
    """Why ``item`` is not a Finding the engine can use, or None: a Finding about a
    VirtualMachine, with text fields that are text."""
    if (  # the common case, cheaply (this runs once per result)
        type(item) is Finding
        and type(item.vm) is VirtualMachine
        and type(item.message) is str
        and type(item.hint) is str
        and (item.target is None or type(item.target) is str)
    ):
        return None
    if not isinstance(item, Finding):
        return f"{type(item).__name__}, not a Finding"
    if not isinstance(item.vm, VirtualMachine):
        return f"a Finding about {type(item.vm).__name__}, not a VirtualMachine"
    texts = (item.message, item.hint, "" if item.target is None else item.target)
    if not all(isinstance(text, str) for text in texts):
        return "a Finding whose message, hint or target is not text"
    return None


def _checked(rule: Rule, vm: VirtualMachine, finding: Finding) -> Finding:
    if finding.vm.id != vm.id:
        msg = f"rule {rule.code} answered for {finding.vm.name} when asked about {vm.name}"
        return Finding(vm, Outcome.UNKNOWN, msg)
    return finding


def _run_pairs(rule: Rule, ctx: RuleContext) -> tuple[list[Finding], list[str]]:
    out: list[Finding] = []
    errs: list[str] = []
    grouped: set[str] = set()
    for group, members in ctx.groups():
        for vm, peer in itertools.permutations(members, 2):
            grouped.add(vm.id)
            target = f"{vm.name} -> {peer.name}"
            finding, err = _guarded(
                rule, vm, target, lambda g=group, a=vm, b=peer: rule.func(ctx, g, a, b)
            )
            if finding.target != target or finding.vm.id != vm.id:
                finding = Finding(vm, finding.outcome, finding.message, target, finding.hint)
            out.append(finding)
            errs.extend(err)
        if len(members) < 2:
            for vm in members:
                grouped.add(vm.id)
                out.append(
                    Finding(
                        vm, Outcome.UNKNOWN, f"group {group.name!r} has fewer than two selected VMs"
                    )
                )
    for vm in ctx.vms:
        if vm.id not in grouped:
            out.append(Finding(vm, Outcome.SKIP, "not in a multi-VM consistency group"))
    return out, errs


def _run_estate(rule: Rule, ctx: RuleContext) -> tuple[list[Finding], list[str]]:
    try:
        findings = list(rule.func(ctx))
    except MissingFact as exc:
        return [Finding(vm, Outcome.UNKNOWN, exc.message, None, exc.hint) for vm in ctx.vms], []
    except Exception as exc:  # noqa: BLE001
        msg = f"rule {rule.code} failed: {exc!r}"
        hint = "this is a bug in the rule; please report it"
        return (
            [Finding(vm, Outcome.UNKNOWN, msg, None, hint) for vm in ctx.vms],
            [f"{rule.code}: {exc!r} ({_where(exc)})"],
        )
    junk = [problem for item in findings if (problem := malformed(item)) is not None]
    if junk:  # a broken answer covers the whole estate: nothing it said can be trusted
        msg = f"rule {rule.code} yielded {junk[0]}"
        hint = "this is a bug in the rule; please report it"
        return (
            [Finding(vm, Outcome.UNKNOWN, msg, None, hint) for vm in ctx.vms],
            [f"{rule.code}: {msg} ({len(junk)} item{'s' if len(junk) != 1 else ''})"],
        )
    best: dict[str, Finding] = {}
    for finding in findings:
        kept = best.get(finding.vm.id)
        if kept is None or OUTCOME_RANK[finding.outcome] > OUTCOME_RANK[kept.outcome]:
            best[finding.vm.id] = finding
    out = []
    for vm in ctx.vms:
        got = best.get(vm.id)
        out.append(
            got or Finding(vm, Outcome.UNKNOWN, f"rule {rule.code} gave no outcome for {vm.name}")
        )
    return out, []


def _to_result(rule: Rule, finding: Finding, area: Area) -> Result:
    vm = finding.vm
    return Result(
        rule=rule.code,
        name=rule.name,
        area=area,
        severity=rule.severity,
        vm=vm.name,
        vm_id=vm.id,
        target=finding.target or vm.id,
        outcome=finding.outcome,
        message=finding.message,
        hint=finding.hint,
    )


def _vm_verdict(vm: VirtualMachine, mine: Sequence[Outcome]) -> VmVerdict:
    seen = Counter(mine)
    counts = {o: seen.get(o, 0) for o in Outcome}
    return VmVerdict(vm.name, vm.id, verdict_of(seen), counts)


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "?"
    last = frames[-1]
    return f"{last.filename.rsplit('/', 1)[-1]}:{last.lineno}"
