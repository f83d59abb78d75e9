"""Baselines and diffs: what changed since the previous scan.

A scan is read from a ``results.json`` (schema ``asr-preflight/results/v2``, or v1) or taken from an
in-memory :class:`~asr_preflight.engine.Evaluation`. A result's identity is its rule plus the
VM's resource id (its name when an old file lacks ids) plus its target, compared
case-insensitively, as Azure compares resource ids.

Against a baseline every current result gets a mark (``Result.change``):

``new``
    a problem (``fail``, ``warn`` or ``unknown``) that the baseline did not have, or that got
    worse (``warn`` -> ``fail``; a waiver that expired makes its problems new again);
``unchanged``
    a problem the baseline already had, as bad or worse there (``fail`` -> ``unknown`` included);
``fixed``
    a ``pass`` or ``skip`` where the baseline had a problem.

Anything else (passing before and now, waived now) has no mark. Problems of the baseline whose
result no longer exists (the VM or rule was removed) are listed as ``gone``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from asr_preflight.api import OUTCOME_RANK, Outcome
from asr_preflight.engine import Evaluation, Result, result_label
from asr_preflight.fsutil import load_input

PROBLEMS = frozenset({Outcome.FAIL, Outcome.WARN, Outcome.UNKNOWN})

Key = tuple[str, str, str]


class BaselineError(ValueError):
    """A baseline or diff input that is not a results.json this version can read."""


class Change(StrEnum):
    NEW = "new"
    UNCHANGED = "unchanged"
    FIXED = "fixed"


@dataclass(frozen=True)
class Entry:
    rule: str
    name: str
    vm: str
    target: str
    outcome: Outcome
    message: str = ""

    @property
    def label(self) -> str:
        return result_label(self.rule, self.name, self.vm, self.target)


@dataclass(frozen=True)
class Scan:
    verdict: str
    vms: Mapping[str, tuple[str, str]]  # vm key -> (name, verdict)
    entries: Mapping[Key, Entry]
    source: str = ""


@dataclass(frozen=True)
class Transition:
    key: Key
    old: Entry | None
    new: Entry | None

    @property
    def entry(self) -> Entry:
        found = self.new or self.old
        assert found is not None
        return found


@dataclass(frozen=True)
class Comparison:
    old_verdict: str
    new_verdict: str
    new: tuple[Transition, ...] = ()
    unchanged: tuple[Transition, ...] = ()
    fixed: tuple[Transition, ...] = ()
    gone: tuple[Transition, ...] = ()  # baseline problems whose result no longer exists
    waived: tuple[Transition, ...] = ()  # baseline problems that are waived now
    vm_changes: tuple[tuple[str, str, str], ...] = ()  # (name, old verdict, new verdict)
    added_vms: tuple[str, ...] = ()
    removed_vms: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(
            self.new
            or self.fixed
            or self.gone
            or self.waived
            or self.vm_changes
            or self.added_vms
            or self.removed_vms
            or self.old_verdict != self.new_verdict
        )


# ---------------------------------------------------------------------------------------------
# Reading scans
# ---------------------------------------------------------------------------------------------


def load_scan(path: Path) -> Scan:
    return load_input(path, "results file", BaselineError, _parse_scan)


def _parse_scan(text: str, source: str) -> Scan:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{source}: not valid JSON: {exc}") from None
    return scan_from_json(data, source=source)


def scan_from_json(data: Any, source: str = "results.json") -> Scan:
    from asr_preflight.reporters.json import READABLE_SCHEMAS, as_v1

    if not isinstance(data, dict) or data.get("schema") not in READABLE_SCHEMAS:
        schema = data.get("schema") if isinstance(data, dict) else None
        expected = " or ".join(repr(s) for s in READABLE_SCHEMAS)
        raise BaselineError(
            f"{source}: schema is {schema!r}; expected {expected} "
            "(a results.json written by `asr-preflight check`)"
        )
    try:
        data = as_v1(data)  # v2 (results inside their VM) read as v1's flat results
        vms_raw = [(str(v["name"]), str(v.get("id") or ""), str(v["verdict"])) for v in data["vms"]]
        names: dict[str, list[str]] = {}
        for name, vm_id, _ in vms_raw:
            names.setdefault(name.lower(), []).append(vm_id)
        vms = {(vm_id or name).lower(): (name, verdict) for name, vm_id, verdict in vms_raw}
        entries: dict[Key, Entry] = {}
        for r in data["results"]:
            vm = str(r["vm"])
            vm_id = str(r.get("vm_id") or "")
            if not vm_id:
                ids = names.get(vm.lower(), [])
                vm_id = ids[0] if len(ids) == 1 else ""
            entry = Entry(
                rule=str(r["rule"]),
                name=str(r.get("name", "")),
                vm=vm,
                target=str(r.get("target") or vm_id or vm),
                outcome=Outcome(r["outcome"]),
                message=str(r.get("message", "")),
            )
            entries[_key(entry.rule, vm_id or vm, entry.target)] = entry
        return Scan(str(data["verdict"]), vms, entries, source)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise BaselineError(f"{source}: malformed results file: {exc!r}") from None


def scan_of(evaluation: Evaluation, source: str = "") -> Scan:
    vms = {vm.id.lower(): (vm.name, str(vm.verdict)) for vm in evaluation.vms}
    entries = {key_of(r): _entry(r) for r in evaluation.results}
    return Scan(str(evaluation.verdict), vms, entries, source)


def key_of(result: Result) -> Key:
    return _key(result.rule, result.vm_id or result.vm, result.target)


def _key(rule: str, vm: str, target: str) -> Key:
    return (rule.upper(), vm.lower(), target.lower())


def _entry(r: Result) -> Entry:
    return Entry(r.rule, r.name, r.vm, r.target, r.outcome, r.message)


# ---------------------------------------------------------------------------------------------
# Comparing
# ---------------------------------------------------------------------------------------------


def classify(old: Outcome | None, new: Outcome) -> Change | None:
    if new in PROBLEMS:
        if old in PROBLEMS and OUTCOME_RANK[new] <= OUTCOME_RANK[old]:
            return Change.UNCHANGED
        return Change.NEW
    if new in (Outcome.PASS, Outcome.SKIP) and old in PROBLEMS:
        return Change.FIXED
    return None


def compare(old: Scan, new: Scan) -> Comparison:
    groups: dict[str, list[Transition]] = {
        "new": [],
        "unchanged": [],
        "fixed": [],
        "gone": [],
        "waived": [],
    }
    for key, entry in new.entries.items():
        before = old.entries.get(key)
        change = classify(before.outcome if before else None, entry.outcome)
        if change is not None:
            groups[change.value].append(Transition(key, before, entry))
        elif entry.outcome is Outcome.WAIVED and before and before.outcome in PROBLEMS:
            groups["waived"].append(Transition(key, before, entry))
    for key, entry in old.entries.items():
        if key not in new.entries and entry.outcome in PROBLEMS:
            groups["gone"].append(Transition(key, entry, None))
    vm_changes = tuple(
        (name, old.vms[k][1], verdict)
        for k, (name, verdict) in new.vms.items()
        if k in old.vms and old.vms[k][1] != verdict
    )
    return Comparison(
        old_verdict=old.verdict,
        new_verdict=new.verdict,
        new=_sorted(groups["new"]),
        unchanged=_sorted(groups["unchanged"]),
        fixed=_sorted(groups["fixed"]),
        gone=_sorted(groups["gone"]),
        waived=_sorted(groups["waived"]),
        vm_changes=tuple(sorted(vm_changes)),
        added_vms=tuple(sorted(n for k, (n, _) in new.vms.items() if k not in old.vms)),
        removed_vms=tuple(sorted(n for k, (n, _) in old.vms.items() if k not in new.vms)),
    )


def _sorted(items: Iterable[Transition]) -> tuple[Transition, ...]:
    return tuple(sorted(items, key=lambda t: (t.entry.rule, t.entry.vm.lower(), t.key)))


def mark(evaluation: Evaluation, baseline: Scan) -> tuple[Evaluation, Comparison]:
    """Set ``Result.change`` on every result against ``baseline``; also return the comparison."""
    results = []
    for r in evaluation.results:
        before = baseline.entries.get(key_of(r))
        change = classify(before.outcome if before else None, r.outcome)
        value = change.value if change else ""
        results.append(r if r.change == value else replace(r, change=value))
    marked = replace(evaluation, results=tuple(results))
    return marked, compare(baseline, scan_of(marked))


# ---------------------------------------------------------------------------------------------
# Rendering a comparison (`asr-preflight diff`)
# ---------------------------------------------------------------------------------------------


def diff_lines(cmp: Comparison, *, limit: int = 200) -> list[str]:
    """A plain-text account of what changed, most important first."""
    out: list[str] = []
    if cmp.old_verdict != cmp.new_verdict:
        out.append(f"verdict: {cmp.old_verdict} -> {cmp.new_verdict}")
    else:
        out.append(f"verdict: {cmp.new_verdict} (unchanged)")
    out.append(
        f"new problems: {len(cmp.new)}, fixed: {len(cmp.fixed)}, gone: {len(cmp.gone)}, "
        f"newly waived: {len(cmp.waived)}, still open: {len(cmp.unchanged)}"
    )
    if cmp.added_vms:
        out.append(f"VMs added ({len(cmp.added_vms)}): {', '.join(cmp.added_vms[:limit])}")
    if cmp.removed_vms:
        out.append(f"VMs removed ({len(cmp.removed_vms)}): {', '.join(cmp.removed_vms[:limit])}")
    for name, before, after in cmp.vm_changes[:limit]:
        out.append(f"VM {name}: {before} -> {after}")
    sections = (("new", cmp.new), ("fixed", cmp.fixed), ("gone", cmp.gone), ("waived", cmp.waived))
    for title, items in sections:
        for t in items[:limit]:
            old = t.old.outcome.value if t.old else "-"
            new = t.new.outcome.value if t.new else "-"
            msg = t.new.message if t.new else t.old.message if t.old else ""
            out.append(f"{title:>6}  {t.entry.label}: {old} -> {new}  {msg}".rstrip())
        if len(items) > limit:
            out.append(f"{title:>6}  … and {len(items) - limit} more")
    return out


def comparison_to_json(cmp: Comparison) -> dict[str, Any]:
    def one(t: Transition) -> dict[str, Any]:
        e = t.entry
        return {
            "rule": e.rule,
            "name": e.name,
            "vm": e.vm,
            "target": e.target,
            "old": t.old.outcome.value if t.old else None,
            "new": t.new.outcome.value if t.new else None,
            "message": e.message,
        }

    return {
        "verdict": {"old": cmp.old_verdict, "new": cmp.new_verdict},
        "new": [one(t) for t in cmp.new],
        "fixed": [one(t) for t in cmp.fixed],
        "gone": [one(t) for t in cmp.gone],
        "waived": [one(t) for t in cmp.waived],
        "unchanged": len(cmp.unchanged),
        "vms": {
            "added": list(cmp.added_vms),
            "removed": list(cmp.removed_vms),
            "changed": [{"name": n, "old": a, "new": b} for n, a, b in cmp.vm_changes],
        },
    }


def diff_markdown(cmp: Comparison, *, limit: int = 50) -> str:
    """The comparison as Markdown (a pull-request comment); estate text escaped."""
    from asr_preflight.reporters.markdown import escape

    verdict = (
        f"{cmp.old_verdict} → **{cmp.new_verdict}**"
        if cmp.old_verdict != cmp.new_verdict
        else f"{cmp.new_verdict} (unchanged)"
    )
    out = [
        "## ASR readiness: changes since the previous scan",
        "",
        f"Verdict: {escape(verdict).replace(chr(92) + '*', '*')}",
        "",
        f"**{len(cmp.new)} new** problem(s), {len(cmp.fixed)} fixed, {len(cmp.gone)} gone, "
        f"{len(cmp.waived)} newly waived, {len(cmp.unchanged)} still open.",
        "",
    ]
    if cmp.added_vms or cmp.removed_vms or cmp.vm_changes:
        out += ["| VM | Before | After |", "|---|---|---|"]
        rows = [(n, "-", "added") for n in cmp.added_vms]
        rows += [(n, "removed", "-") for n in cmp.removed_vms]
        rows += list(cmp.vm_changes)
        for name, before, after in rows[:limit]:
            out.append(f"| {escape(name)} | {escape(before)} | {escape(after)} |")
        if len(rows) > limit:
            out.append(f"\n… and {len(rows) - limit} more VMs.")
        out.append("")
    sections = (("New", cmp.new), ("Fixed", cmp.fixed), ("Gone", cmp.gone), ("Waived", cmp.waived))
    for title, items in sections:
        if not items:
            continue
        out += [
            f"### {title}",
            "",
            "| Rule | VM | Before | After | Message |",
            "|---|---|---|---|---|",
        ]
        for t in items[:limit]:
            e = t.entry
            bracket = e.target if " -> " in e.target else e.vm
            old = t.old.outcome.value if t.old else "-"
            new = t.new.outcome.value if t.new else "-"
            out.append(
                f"| {escape(e.rule)} {escape(e.name)} | {escape(bracket)} | {old} | {new} | "
                f"{escape(e.message)} |"
            )
        if len(items) > limit:
            out.append(f"\n… and {len(items) - limit} more.")
        out.append("")
    return "\n".join(out).rstrip() + "\n"
