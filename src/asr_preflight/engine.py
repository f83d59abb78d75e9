"""Rule discovery and evaluation: snapshot + plan + rules -> one outcome per (rule, target).

Discovery follows flake8's finder: find the entry points of group ``asr_preflight.rules``, load
each, validate every rule (code and name well-formed, documentation sections present, codes
unique across packs), and sort by code. A bad pack is a :class:`RuleLoadError` naming the
distribution.

Evaluation is fail-closed. Every selected VM gets exactly one outcome from every VM and estate
rule, and every ordered pair in a group gets one from every pair rule; whatever a rule did not
say, or hid behind an exception, is ``unknown``.
"""

from __future__ import annotations

import gc
import itertools
import traceback
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from importlib.metadata import EntryPoint, entry_points

from asr_preflight.api import (
    CODE_PATTERN,
    DOC_SECTIONS,
    NAME_PATTERN,
    OUTCOME_RANK,
    Area,
    Finding,
    MissingFact,
    Outcome,
    Rule,
    RuleContext,
    RuleKind,
    Severity,
    doc_sections,
)
from asr_preflight.plan import Plan
from asr_preflight.snapshot import Snapshot, VirtualMachine

ENTRY_POINT_GROUP = "asr_preflight.rules"


class RuleLoadError(Exception):
    """A rule pack that cannot be used; the message names the distribution."""


class UnknownRuleError(KeyError):
    """A rule code that no installed pack provides."""


# ---------------------------------------------------------------------------------------------
# Discovery
# ---------------------------------------------------------------------------------------------


def load_rules(points: Iterable[EntryPoint] | None = None) -> tuple[Rule, ...]:
    """Find, load and validate every installed rule pack; rules sorted by code."""
    if points is None:
        points = entry_points(group=ENTRY_POINT_GROUP)
    rules: dict[str, Rule] = {}
    for point in sorted(points, key=lambda p: (p.dist.name if p.dist else "", p.name)):
        dist = f"{point.dist.name} {point.dist.version}" if point.dist else point.value
        try:
            loaded = point.load()
        except Exception as exc:
            raise RuleLoadError(
                f"rule pack {dist} ({point.value}) failed to load: {exc!r}"
            ) from exc
        pack = loaded() if callable(loaded) and not isinstance(loaded, Rule) else loaded
        if isinstance(pack, Rule) or not isinstance(pack, Iterable):
            raise RuleLoadError(f"rule pack {dist} ({point.value}) is not a sequence of rules")
        for item in pack:
            if not isinstance(item, Rule):
                raise RuleLoadError(
                    f"rule pack {dist} ({point.value}) contains {item!r}, not a Rule"
                )
            validate_rule(item, dist)
            if item.code in rules:
                other = rules[item.code].distribution
                raise RuleLoadError(
                    f"rule code {item.code} is defined twice: by {other} and by {dist}"
                )
            rules[item.code] = Rule(
                item.code,
                item.name,
                item.severity,
                item.kind,
                item.func,
                item.doc,
                item.title,
                dist,
            )
    return tuple(rules[code] for code in sorted(rules))


def validate_rule(rule: Rule, dist: str = "") -> None:
    where = f" in rule pack {dist}" if dist else ""
    if not CODE_PATTERN.match(rule.code):
        raise RuleLoadError(f"malformed rule code {rule.code!r}{where} (expected e.g. ASR201)")
    if not NAME_PATTERN.match(rule.name):
        raise RuleLoadError(f"rule {rule.code}{where}: name {rule.name!r} is not kebab-case")
    sections = doc_sections(rule.doc)
    absent = [s for s in DOC_SECTIONS if not sections.get(s)]
    if not rule.title or absent:
        raise RuleLoadError(
            f"rule {rule.code}{where}: docstring lacks {', '.join(absent) or 'a title line'}"
        )


def find_rule(rules: Sequence[Rule], code: str) -> Rule:
    for rule in rules:
        if rule.code == code.upper():
            return rule
    raise UnknownRuleError(code)


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


def evaluate(snapshot: Snapshot, plan: Plan, rules: Sequence[Rule]) -> Evaluation:
    # A run allocates many small objects that all live to its end (results, shared indexes);
    # the cyclic garbage collector would re-scan them again and again (about half the time of
    # the network rules on 10,000 VMs). Rules build no reference cycles: pause it for the run.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _evaluate(snapshot, plan, rules)
    finally:
        if enabled:
            gc.enable()


def _evaluate(snapshot: Snapshot, plan: Plan, rules: Sequence[Rule]) -> Evaluation:
    ctx = RuleContext(snapshot, plan)
    results: list[Result] = []
    errors: list[str] = []
    for rule in rules:
        findings, rule_errors = _run(rule, ctx)
        errors.extend(rule_errors)
        area = rule.area
        results.extend(_to_result(rule, f, area) for f in findings)
    by_vm: dict[str, list[Outcome]] = {}
    for result in results:
        by_vm.setdefault(result.vm_id, []).append(result.outcome)
    vms = tuple(_vm_verdict(vm, by_vm.get(vm.id, [])) for vm in snapshot.vms)
    verdict = run_verdict(vms)
    notes = unlisted_vms(snapshot)
    if notes and _VERDICT_RANK[verdict] < _VERDICT_RANK[Verdict.UNKNOWN]:
        verdict = Verdict.UNKNOWN  # VMs that could not be listed cannot be called ready
    return Evaluation(verdict, vms, tuple(results), tuple(rules), tuple(errors), notes)


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
    if not isinstance(finding, Finding):
        msg = f"rule {rule.code} returned {type(finding).__name__}, not a Finding"
        return Finding(vm, Outcome.UNKNOWN, msg, target), [f"{rule.code} [{vm.name}]: {msg}"]
    return finding, []


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
    best: dict[str, Finding] = {}
    for finding in findings:
        if not isinstance(finding, Finding):
            continue
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
