"""Markdown summary (``summary.md``) for a GitHub job summary or a pull-request comment.

Verdict, VM counts, a per-VM table (worst first), the rules with the most problems and the top
findings (new ones first against a baseline) and the run's notes (waivers, baseline).
Everything that comes from the estate or the rules (VM names, messages, resource ids) goes
through :func:`escape`, so a VM called ``<img src=x onerror=alert(1)>`` renders as text,
never as HTML or Markdown.
Tables are capped so the summary stays far below GitHub's limits (1 MiB for a job summary,
65,536 characters for a comment) even for 10,000 VMs.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from asr_preflight import fsutil
from asr_preflight.api import Outcome
from asr_preflight.engine import Evaluation, Result, Verdict

FILE_NAME = "summary.md"
_ICON = {
    Verdict.READY: "✅",
    Verdict.CONDITIONS: "⚠️",
    Verdict.NOT_READY: "❌",
    Verdict.UNKNOWN: "❔",
}
_VERDICT_ORDER = [Verdict.NOT_READY, Verdict.UNKNOWN, Verdict.CONDITIONS, Verdict.READY]
_PROBLEM_ORDER = {Outcome.FAIL: 0, Outcome.UNKNOWN: 1, Outcome.WARN: 2}
_CONTROL = re.compile("[\x00-\x1f\x7f]")  # left after split(): NUL, ESC…, for a terminal
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~=^:@\"'$])")


def escape(text: str) -> str:
    """Text safe inside Markdown prose and table cells: HTML-significant characters become
    entities, Markdown punctuation is backslash-escaped, line breaks become spaces."""
    text = _CONTROL.sub("\ufffd", " ".join(str(text).split()))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL.sub(r"\\\1", text)


def render(
    evaluation: Evaluation,
    *,
    max_vms: int = 50,
    max_findings: int = 20,
    title: str = "Azure Site Recovery readiness",
) -> str:
    verdict = evaluation.verdict
    out = [f"## {_ICON[verdict]} {escape(title)}: {verdict.label}", ""]
    by_verdict = Counter(vm.verdict for vm in evaluation.vms)
    parts = [f"{by_verdict[v]} {v.label}" for v in reversed(_VERDICT_ORDER) if by_verdict[v]]
    out.append(f"**{len(evaluation.vms)} VMs**: {' · '.join(parts) or 'none selected'}")
    outcomes = Counter(r.outcome for r in evaluation.results)
    out.append(
        "Results: "
        + ", ".join(f"{outcomes[o]} {o.value}" for o in Outcome if outcomes[o])
        + f" ({len(evaluation.results)} checks, {len(evaluation.rules)} rules)"
    )
    changes = Counter(r.change for r in evaluation.results if r.change)
    if changes:
        out.append(
            f"Against the baseline: **{changes['new']} new** problem(s), "
            f"{changes['unchanged']} unchanged, {changes['fixed']} fixed."
        )
    out.append("")

    out += _vm_table(evaluation, max_vms)
    out += _rule_table(evaluation)
    out += _findings(evaluation, max_findings)
    if evaluation.rule_errors:
        out += ["### Rule errors", ""]
        out += [f"- {escape(err)}" for err in evaluation.rule_errors[:max_findings]]
        out.append("")
    if evaluation.notes:
        out += ["### Notes", ""]
        out += [f"- {escape(note)}" for note in evaluation.notes[:max_findings]]
        if len(evaluation.notes) > max_findings:
            out.append(f"- … and {len(evaluation.notes) - max_findings} more")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def write(evaluation: Evaluation, directory: Path, **options: object) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / FILE_NAME
    fsutil.write_text(path, render(evaluation, **options))  # type: ignore[arg-type]
    return path


def _vm_table(evaluation: Evaluation, limit: int) -> list[str]:
    if not evaluation.vms:
        return []
    vms = sorted(evaluation.vms, key=lambda vm: (_VERDICT_ORDER.index(vm.verdict), vm.name.lower()))
    out = [
        "### VMs",
        "",
        "| VM | Verdict | Fail | Unknown | Warn | Waived |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for vm in vms[:limit]:
        c = vm.counts
        out.append(
            f"| {escape(vm.name)} | {_ICON[vm.verdict]} {vm.verdict.label} | "
            f"{c.get(Outcome.FAIL, 0)} | {c.get(Outcome.UNKNOWN, 0)} | "
            f"{c.get(Outcome.WARN, 0)} | {c.get(Outcome.WAIVED, 0)} |"
        )
    if len(vms) > limit:
        rest = Counter(vm.verdict for vm in vms[limit:])
        what = ", ".join(f"{n} {v.label}" for v, n in rest.items())
        out.append(f"\n… and {len(vms) - limit} more VMs ({what}).")
    out.append("")
    return out


def _rule_table(evaluation: Evaluation, limit: int = 10) -> list[str]:
    per_rule: dict[str, Counter[Outcome]] = {}
    names: dict[str, str] = {}
    for r in evaluation.results:
        if r.outcome in _PROBLEM_ORDER:
            per_rule.setdefault(r.rule, Counter())[r.outcome] += 1
            names[r.rule] = r.name
    if not per_rule:
        return []
    ranked = sorted(
        per_rule.items(),
        key=lambda kv: (-kv[1][Outcome.FAIL], -kv[1][Outcome.UNKNOWN], -kv[1][Outcome.WARN], kv[0]),
    )
    out = [
        "### Rules with the most problems",
        "",
        "| Rule | Name | Fail | Unknown | Warn |",
        "|---|---|---:|---:|---:|",
    ]
    for code, c in ranked[:limit]:
        out.append(
            f"| {escape(code)} | {escape(names[code])} | {c[Outcome.FAIL]} | "
            f"{c[Outcome.UNKNOWN]} | {c[Outcome.WARN]} |"
        )
    out.append("")
    return out


def _findings(evaluation: Evaluation, limit: int) -> list[str]:
    problems = [r for r in evaluation.results if r.outcome in _PROBLEM_ORDER]
    if not problems:
        return []

    def rank(r: Result) -> tuple[int, int, str, str]:
        return (0 if r.change == "new" else 1, _PROBLEM_ORDER[r.outcome], r.rule, r.vm.lower())

    problems.sort(key=rank)
    show_change = any(r.change for r in evaluation.results)
    head = "| Outcome | Rule | VM | Message |"
    sep = "|---|---|---|---|"
    if show_change:
        head, sep = "| Change | " + head[2:], "|---" + sep
    out = ["### Top findings", "", head, sep]
    for r in problems[:limit]:
        bracket = r.target if " -> " in r.target else r.vm
        row = (
            f"| {r.outcome.value} | {escape(r.rule)} {escape(r.name)} | {escape(bracket)} | "
            f"{escape(r.message)} |"
        )
        if show_change:
            row = f"| {escape(r.change or '-')} " + row
        out.append(row)
    if len(problems) > limit:
        out.append(f"\n… and {len(problems) - limit} more; see the HTML report or results.json.")
    out.append("")
    return out
