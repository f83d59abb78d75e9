"""``results.json``: the machine-readable result of a run (DESIGN.md §3, schema
``asr-preflight/results/v1``).

The document's shape is declared once, as the TypedDicts below: the renderer builds them, mypy
checks them, and the shipped JSON Schema (``schemas/results-v1.schema.json``) is generated from
them. Keys may be added in later versions of v1; none is ever renamed or removed.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Literal

from typing_extensions import TypedDict  # pydantic needs it for schemas on Python < 3.12

from asr_preflight.api import Area, Outcome, RuleKind, Severity
from asr_preflight.engine import Verdict

if TYPE_CHECKING:
    from asr_preflight.api import Rule
    from asr_preflight.engine import Evaluation, Result
    from asr_preflight.reporters import RunInfo

RESULTS_SCHEMA = "asr-preflight/results/v1"


class VmEntry(TypedDict):
    name: str
    id: str
    verdict: Verdict
    counts: dict[Outcome, int]


class ResultEntry(TypedDict):
    rule: str
    name: str
    vm: str  # the VM's name; the source VM for a pair
    target: str  # resource id, usage name, or "vm-a -> vm-b"
    outcome: Outcome
    severity: Severity
    message: str
    hint: str
    area: Area
    vm_id: str
    waiver: str | None  # the waiver's justification when outcome is "waived"
    original: Outcome | None  # the outcome a waiver replaced (docs/gates.md)
    change: Literal["new", "unchanged", "fixed"] | None  # against --baseline (docs/gates.md)


class RuleEntry(TypedDict):
    code: str
    name: str
    title: str
    severity: Severity
    area: Area
    kind: RuleKind
    distribution: str


class Counts(TypedDict):
    vms: int
    verdicts: dict[Verdict, int]
    outcomes: dict[Outcome, int]


class ResultsDocument(TypedDict):
    schema: Literal["asr-preflight/results/v1"]
    verdict: Verdict
    verdict_label: str
    tool_version: str
    generated_at: str
    snapshot_created_at: str | None
    source: str | None
    target_region: str | None
    strict: bool
    counts: Counts
    vms: list[VmEntry]
    results: list[ResultEntry]
    rules: list[RuleEntry]
    rule_errors: list[str]
    notes: list[str]


class ResultsError(ValueError):
    """A results.json that this version cannot read."""


def document(evaluation: Evaluation, info: RunInfo) -> ResultsDocument:
    """The results document as plain data (what :func:`render` serialises)."""
    outcomes: dict[Outcome, int] = dict.fromkeys(Outcome, 0)
    for result in evaluation.results:
        outcomes[result.outcome] += 1
    verdicts: dict[Verdict, int] = dict.fromkeys(Verdict, 0)
    for vm in evaluation.vms:
        verdicts[vm.verdict] += 1
    return {
        "schema": "asr-preflight/results/v1",
        "verdict": evaluation.verdict,
        "verdict_label": evaluation.verdict.label,
        "tool_version": info.tool_version,
        "generated_at": info.generated_at,
        "snapshot_created_at": info.snapshot_created_at,
        "source": info.source,
        "target_region": info.target_region,
        "strict": info.strict,
        "counts": {"vms": len(evaluation.vms), "verdicts": verdicts, "outcomes": outcomes},
        "vms": [
            {
                "name": vm.name,
                "id": vm.id,
                "verdict": vm.verdict,
                "counts": {o: vm.counts.get(o, 0) for o in Outcome},
            }
            for vm in evaluation.vms
        ],
        "results": [_result(r) for r in evaluation.results],
        "rules": [rule_entry(rule) for rule in evaluation.rules],
        "rule_errors": list(evaluation.rule_errors),
        "notes": list(evaluation.notes),
    }


def rule_entry(rule: Rule) -> RuleEntry:
    """A rule's metadata as results.json (and ``rules list --json``) show it."""
    return {
        "code": rule.code,
        "name": rule.name,
        "title": rule.title,
        "severity": rule.severity,
        "area": rule.area,
        "kind": rule.kind,
        "distribution": rule.distribution,
    }


def _result(result: Result) -> ResultEntry:
    return {
        "rule": result.rule,
        "name": result.name,
        "vm": result.vm,
        "target": result.target,
        "outcome": result.outcome,
        "severity": result.severity,
        "message": result.message,
        "hint": result.hint,
        "area": result.area,
        "vm_id": result.vm_id,
        "waiver": result.waiver or None,
        "original": result.original,
        "change": result.change or None,  # type: ignore[typeddict-item]
    }


def render(evaluation: Evaluation, info: RunInfo) -> str:
    """The document with one VM, result or rule per line: readable, greppable, diffable, and
    written by the C encoder (``indent`` would switch to the slow pure-Python one)."""
    return dumps(document(evaluation, info))


def dumps(doc: ResultsDocument) -> str:
    compact = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode

    lines = ["{"]
    items = list(doc.items())
    for index, (key, value) in enumerate(items):
        comma = "," if index < len(items) - 1 else ""
        if isinstance(value, list) and value:
            lines.append(f" {compact(key)}: [")
            lines.extend(f"  {compact(v)}," for v in value[:-1])
            lines.append(f"  {compact(value[-1])}")
            lines.append(f" ]{comma}")
        else:
            lines.append(f" {compact(key)}: {compact(value)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def parse(text: str) -> ResultsDocument:
    """Read a results.json (e.g. a baseline); a wrong schema is a :class:`ResultsError`."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ResultsError(f"not a JSON document ({exc})") from None
    schema = data.get("schema") if isinstance(data, dict) else None
    if schema != RESULTS_SCHEMA:
        raise ResultsError(f"results schema is {schema!r}; expected {RESULTS_SCHEMA!r}")
    doc: ResultsDocument = data
    return doc


def results_json_schema() -> dict[str, Any]:
    """The JSON Schema of results.json, generated from :class:`ResultsDocument`."""
    from pydantic import TypeAdapter

    schema: dict[str, Any] = TypeAdapter(ResultsDocument).json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
        "$id": RESULTS_SCHEMA,
        "title": "asr-preflight results v1",
    }
