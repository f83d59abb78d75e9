"""Waivers: an accepted, owned, expiring exception to one rule for some targets.

A waiver file holds ``[[waivers]]`` tables (the same shape as the plan's ``[[waivers]]``)::

    [[waivers]]
    rule = "ASR201"                 # code or glob ("ASR2*")
    target = "vm-web-01"            # VM name, resource id, or glob (case-insensitive)
    justification = "egress via Azure Firewall, verified by NetOps ticket 4711"
    owner = "netops@contoso.com"
    expires = 2027-01-31            # the last day the waiver applies

Waivers are applied after evaluation (:func:`apply_waivers`), never inside the engine: a result
whose outcome is ``fail``, ``warn`` or ``unknown`` and that an active waiver matches becomes
``waived`` (its justification in ``Result.waiver``, the replaced outcome in ``Result.original``),
and the per-VM and run verdicts are recomputed with the engine's own functions. Passing and
skipped results are left alone. An expired waiver applies to nothing and is reported, as are
waivers expiring within :data:`EXPIRY_WARNING_DAYS` days and waivers that waived nothing.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from asr_preflight.api import CODE_PATTERN, Outcome, Rule
from asr_preflight.engine import Evaluation, Result, VmVerdict, capped, run_verdict, verdict_of
from asr_preflight.fsutil import load_input
from asr_preflight.plan import PlanError, Waiver, locate

__all__ = [
    "EXPIRY_WARNING_DAYS",
    "LoadedWaiver",
    "Waiver",
    "WaiverReport",
    "WaiverStatus",
    "apply_waivers",
    "lint_waivers",
    "load_waivers",
    "parse_waivers",
]

EXPIRY_WARNING_DAYS = 14
WAIVABLE = frozenset({Outcome.FAIL, Outcome.WARN, Outcome.UNKNOWN})
_RULE_GLOB = re.compile(r"^[A-Za-z0-9*?\[\]!-]+$")


class _WaiverFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    waivers: list[Waiver] = []


@dataclass(frozen=True)
class LoadedWaiver:
    """A waiver and where it was written (``waivers.toml:12``), for messages."""

    waiver: Waiver
    where: str = ""

    def describe(self) -> str:
        w = self.waiver
        at = f"{self.where}: " if self.where else ""
        return f"{at}{w.rule} for {w.target} (owner {w.owner}, expires {w.expires.isoformat()})"


@dataclass(frozen=True)
class WaiverStatus:
    waiver: LoadedWaiver
    matched: int  # problems (fail, warn, unknown) its rule and target match
    waived: int  # of those, the ones it turned into `waived` (an earlier waiver may win)
    would_waive: int = 0  # an expired waiver: the problems it would match had it not expired
    matched_any: bool = False  # whether it matched any result at all, passing ones included


@dataclass(frozen=True)
class WaiverReport:
    applied: tuple[WaiverStatus, ...] = ()  # active waivers that waived at least one result
    expired: tuple[WaiverStatus, ...] = ()  # past their date: applied to nothing
    expiring: tuple[WaiverStatus, ...] = ()  # active, expiring within EXPIRY_WARNING_DAYS days
    unused: tuple[WaiverStatus, ...] = ()  # active, waived nothing (stale, or a typo)

    @property
    def waived_results(self) -> int:
        return sum(s.waived for s in self.applied)

    def lines(self) -> list[str]:
        """Human-readable notes, one per noteworthy waiver (for the console and summaries)."""
        out = []
        for s in self.expired:
            extra = f"; {s.would_waive} result(s) count again" if s.would_waive else ""
            out.append(f"expired waiver no longer applies: {s.waiver.describe()}{extra}")
        for s in self.expiring:
            out.append(f"waiver expires within {EXPIRY_WARNING_DAYS} days: {s.waiver.describe()}")
        for s in self.unused:
            if not s.matched_any:
                why = "matched no result"
            elif not s.matched:
                why = "matched only passing results"
            else:
                why = "waived nothing: an earlier waiver took every problem it matches"
            out.append(f"waiver {why}: {s.waiver.describe()}")
        return out


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------


def load_waivers(path: Path) -> tuple[LoadedWaiver, ...]:
    return load_input(path, "waiver file", PlanError, parse_waivers)


def parse_waivers(text: str, source: str = "waivers.toml") -> tuple[LoadedWaiver, ...]:
    """Parse and validate a waiver file; a :class:`PlanError` names the line and the key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PlanError(f"{source}: not valid TOML: {exc}") from None
    try:
        parsed = _WaiverFile.model_validate(data)
    except ValidationError as exc:
        raise PlanError(_describe(exc, text, source)) from None
    loaded = tuple(
        LoadedWaiver(w, _where(source, locate(text, ("waivers", i))))
        for i, w in enumerate(parsed.waivers)
    )
    for i, item in enumerate(loaded):
        problem = waiver_problem(item.waiver)
        if problem:
            key, msg = problem
            line = locate(text, ("waivers", i, key))
            raise PlanError(f"{_where(source, line)}: [waivers[{i}]] {key}: {msg}")
    return loaded


def from_plan(waivers: Iterable[Waiver], source: str = "plan") -> tuple[LoadedWaiver, ...]:
    """The plan's ``[[waivers]]`` (already validated by plan.py), checked like a waiver file."""
    out = []
    for i, w in enumerate(waivers):
        problem = waiver_problem(w)
        if problem:
            raise PlanError(f"{source}: [waivers[{i}]] {problem[0]}: {problem[1]}")
        out.append(LoadedWaiver(w, f"{source} [[waivers]] #{i + 1}"))
    return tuple(out)


def waiver_problem(w: Waiver) -> tuple[str, str] | None:
    """What pydantic's field types cannot say: blank text, a malformed rule code or glob."""
    for key in ("rule", "target", "justification", "owner"):
        if not str(getattr(w, key)).strip():
            return key, "must not be blank"
    if not _RULE_GLOB.match(w.rule):
        return "rule", f"{w.rule!r} is neither a rule code (ASR201) nor a glob (ASR2*)"
    if not _is_glob(w.rule) and not CODE_PATTERN.match(w.rule.upper()):
        return "rule", f"{w.rule!r} is not a rule code (expected e.g. ASR201)"
    return None


def _where(source: str, line: int | None) -> str:
    return f"{source}:{line}" if line else source


def _describe(exc: ValidationError, text: str, source: str) -> str:
    errors = exc.errors()
    typos = [e for e in errors if e["type"] == "extra_forbidden"]
    err = (typos or errors)[0]
    loc: tuple[str | int, ...] = tuple(err["loc"])
    where = _where(source, locate(text, loc) or _first_line_of(text, str(loc[0])))
    key = _key(loc)
    if err["type"] == "extra_forbidden":
        fields = list(Waiver.model_fields) if len(loc) > 2 else list(_WaiverFile.model_fields)
        close = difflib.get_close_matches(str(loc[-1]), fields, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else f" (known keys: {', '.join(fields)})"
        return f"{where}: {key}: unknown key{hint}"
    if err["type"] == "missing":
        return f"{where}: {key}: required key is missing"
    return f"{where}: {key}: {str(err['msg']).removeprefix('Value error, ')}"


def _first_line_of(text: str, name: str) -> int | None:
    """The line of a top-level table or key the plan locator cannot place (``[[waiver]]``)."""
    pattern = re.compile(rf"^\s*(\[\[?\s*{re.escape(name)}\s*\]|{re.escape(name)}\s*=)")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return None


def _key(loc: Sequence[str | int]) -> str:
    if len(loc) >= 3 and loc[0] == "waivers":
        return f"[waivers[{loc[1]}]] {loc[2]}"
    return ".".join(str(p) for p in loc) or "(file)"


# ---------------------------------------------------------------------------------------------
# Applying
# ---------------------------------------------------------------------------------------------


def _is_glob(pattern: str) -> bool:
    return any(c in pattern for c in "*?[")


class _Matcher:
    def __init__(self, item: LoadedWaiver) -> None:
        self.item = item
        self.rule = re.compile(fnmatch.translate(item.waiver.rule.upper()))
        self.target = re.compile(fnmatch.translate(item.waiver.target.lower()))

    def matches_target(self, result: Result) -> bool:
        return any(
            self.target.match(c.lower()) for c in (result.vm, result.vm_id, result.target) if c
        )


def apply_waivers(
    evaluation: Evaluation, waivers: Sequence[LoadedWaiver | Waiver], today: date
) -> tuple[Evaluation, WaiverReport]:
    """Turn the problems active waivers match into ``waived`` and recompute the verdicts.

    The first matching waiver (file order) wins. A waiver applies while ``today <= expires``.
    Only problems are matched in the main pass (they are few); whether a waiver that waived
    nothing matched any result at all is worked out afterwards, for those waivers only.
    """
    items = [w if isinstance(w, LoadedWaiver) else LoadedWaiver(w) for w in waivers]
    matchers = [_Matcher(w) for w in items]
    live = [today <= w.waiver.expires for w in items]
    by_rule: dict[str, list[int]] = {}
    matched = [0] * len(matchers)
    waived = [0] * len(matchers)

    results = list(evaluation.results)
    for n, result in enumerate(results):
        if result.outcome not in WAIVABLE:
            continue
        candidates = by_rule.get(result.rule)
        if candidates is None:
            code = result.rule.upper()
            candidates = [i for i, m in enumerate(matchers) if m.rule.match(code)]
            by_rule[result.rule] = candidates
        taken = False
        for i in candidates:
            if matchers[i].matches_target(result):
                matched[i] += 1
                if live[i] and not taken:
                    taken = True
                    waived[i] += 1
                    results[n] = replace(
                        result,
                        outcome=Outcome.WAIVED,
                        original=result.outcome,
                        waiver=items[i].waiver.justification,
                    )

    def any_match(i: int) -> bool:
        m = matchers[i]
        return any(m.rule.match(r.rule.upper()) and m.matches_target(r) for r in results)

    statuses = [
        WaiverStatus(
            w,
            matched=matched[i],
            waived=waived[i],
            would_waive=0 if live[i] else matched[i],
            matched_any=bool(matched[i]) or (live[i] and not waived[i] and any_match(i)),
        )
        for i, w in enumerate(items)
    ]
    soon = today + timedelta(days=EXPIRY_WARNING_DAYS)
    active = [s for s, ok in zip(statuses, live, strict=True) if ok]
    report = WaiverReport(
        applied=tuple(s for s in active if s.waived),
        expired=tuple(s for s, ok in zip(statuses, live, strict=True) if not ok),
        expiring=tuple(s for s in active if s.waiver.waiver.expires <= soon),
        unused=tuple(s for s in active if not s.waived),
    )
    return recompute(evaluation, results), report


def recompute(evaluation: Evaluation, results: Sequence[Result]) -> Evaluation:
    """The evaluation with new results and verdicts recomputed by the engine's functions."""
    by_vm: dict[str, list[Outcome]] = {}
    for result in results:
        by_vm.setdefault(result.vm_id, []).append(result.outcome)
    vms = tuple(
        VmVerdict(
            vm.name,
            vm.id,
            verdict_of(by_vm.get(vm.id, [])),
            {o: by_vm.get(vm.id, []).count(o) for o in Outcome},
        )
        for vm in evaluation.vms
    )
    verdict = capped(run_verdict(vms), evaluation.incomplete)  # incomplete stays unknown
    return replace(evaluation, verdict=verdict, vms=vms, results=tuple(results))


# ---------------------------------------------------------------------------------------------
# Linting (`asr-preflight waivers check FILE`)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LintFinding:
    level: str  # "error" | "warning" | "note"
    message: str


def lint_waivers(
    waivers: Sequence[LoadedWaiver], rules: Sequence[Rule], today: date
) -> list[LintFinding]:
    """Problems a well-formed waiver file can still have: expired waivers, waivers naming no
    installed rule, blanket waivers, waivers about to expire."""
    out: list[LintFinding] = []
    codes = [r.code for r in rules]
    soon = today + timedelta(days=EXPIRY_WARNING_DAYS)
    for item in waivers:
        w = item.waiver
        desc = item.describe()
        if today > w.expires:
            out.append(LintFinding("error", f"expired on {w.expires.isoformat()}: {desc}"))
        elif w.expires <= soon:
            days = (w.expires - today).days
            out.append(LintFinding("warning", f"expires in {days} day(s): {desc}"))
        if codes and not fnmatch.filter(codes, w.rule.upper()):
            out.append(LintFinding("error", f"rule {w.rule!r} matches no installed rule: {desc}"))
        if w.target.strip("*") == "":
            out.append(LintFinding("warning", f"waives every target: {desc}"))
    return out
