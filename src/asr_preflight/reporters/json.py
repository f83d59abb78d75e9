"""``results.json``: the machine-readable result of a run (DESIGN.md §3).

Two schemas, each declared once as the TypedDicts below (the renderer builds them, mypy checks
them, and the shipped JSON Schemas ``schemas/results-v1.schema.json`` and
``results-v2.schema.json`` are generated from them). Keys may be added within a version; none
is ever renamed or removed.

``asr-preflight/results/v2`` (what ``--format json`` writes): every result sits inside its VM's
entry and holds only what the VM entry and the rule table do not (rule code, outcome, message;
``target`` only when it is not the VM's resource id; ``hint``, ``waiver``, ``original`` and
``change`` only when set). It is a quarter of v1's size at 10,000 VMs and is written as it is
produced, one VM per line, with orjson. :func:`as_v1` turns a v2 document into v1's shape.

``asr-preflight/results/v1`` (``--format json-v1``, file ``results-v1.json``): one flat object
per result repeating the VM's name and id and the rule's name, severity and area. Every reader
here (``--baseline``, ``diff``) reads both. Migration: docs/gates.md.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import IO, TYPE_CHECKING, Any, Literal, NotRequired

import orjson
from typing_extensions import TypedDict  # pydantic needs it for schemas on Python < 3.12

from asr_preflight.api import Area, Outcome, RuleKind, Severity
from asr_preflight.engine import Verdict

if TYPE_CHECKING:
    from asr_preflight.api import Rule
    from asr_preflight.engine import Evaluation, Result
    from asr_preflight.reporters import RunInfo

RESULTS_SCHEMA_V1 = "asr-preflight/results/v1"
RESULTS_SCHEMA = "asr-preflight/results/v2"
#: Every results schema this version reads (``--baseline``, ``diff``).
READABLE_SCHEMAS = (RESULTS_SCHEMA_V1, RESULTS_SCHEMA)


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


def render_v1(evaluation: Evaluation, info: RunInfo) -> str:
    """The v1 document with one VM, result or rule per line: readable, greppable, diffable, and
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


def parse(text: str | bytes) -> dict[str, Any]:
    """Read a results.json of either schema (e.g. a baseline); anything else is a
    :class:`ResultsError`. The document is returned as written: see :func:`as_v1`."""
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise ResultsError(f"not a JSON document ({exc})") from None
    schema = data.get("schema") if isinstance(data, dict) else None
    if schema not in READABLE_SCHEMAS:
        expected = " or ".join(repr(s) for s in READABLE_SCHEMAS)
        raise ResultsError(f"results schema is {schema!r}; expected {expected}")
    doc: dict[str, Any] = data
    return doc


def as_v1(doc: dict[str, Any]) -> dict[str, Any]:
    """A parsed results document in v1's shape (a v1 document is returned as it is): each
    v2 result gets back its VM's name and id and its rule's name, severity and area.
    Malformed input raises KeyError, TypeError or ValueError."""
    if doc.get("schema") != RESULTS_SCHEMA:
        return doc
    rules = {str(rule["code"]): rule for rule in doc.get("rules", [])}
    results: list[dict[str, Any]] = []
    vms: list[dict[str, Any]] = []
    for vm in doc["vms"]:
        vms.append({k: v for k, v in vm.items() if k != "results"})
        name, vm_id = vm["name"], vm.get("id") or ""
        for r in vm.get("results", []):
            rule = rules.get(str(r["rule"]), {})
            results.append(
                {
                    "rule": r["rule"],
                    "name": rule.get("name", ""),
                    "vm": name,
                    "target": r.get("target") or vm_id or name,
                    "outcome": r["outcome"],
                    "severity": rule.get("severity", ""),
                    "message": r.get("message", ""),
                    "hint": r.get("hint", ""),
                    "area": rule.get("area", ""),
                    "vm_id": vm_id,
                    "waiver": r.get("waiver"),
                    "original": r.get("original"),
                    "change": r.get("change"),
                }
            )
    rest = {k: v for k, v in doc.items() if k not in ("schema", "vms")}
    return {"schema": RESULTS_SCHEMA_V1, **rest, "vms": vms, "results": results}


def results_json_schema() -> dict[str, Any]:
    """The JSON Schema of results.json v1, generated from :class:`ResultsDocument`."""
    return _json_schema(ResultsDocument, RESULTS_SCHEMA_V1, "asr-preflight results v1")


def results_v2_json_schema() -> dict[str, Any]:
    """The JSON Schema of results.json v2, generated from :class:`ResultsDocumentV2`."""
    return _json_schema(ResultsDocumentV2, RESULTS_SCHEMA, "asr-preflight results v2")


def _json_schema(document: Any, schema_id: str, title: str) -> dict[str, Any]:
    """The draft 2020-12 JSON Schema pydantic generates for a TypedDict, with its id and title."""
    from pydantic import TypeAdapter

    schema: dict[str, Any] = TypeAdapter(document).json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
        "$id": schema_id,
        "title": title,
    }


# ---------------------------------------------------------------------------------------------
# v2: results inside their VM, written as they are produced
# ---------------------------------------------------------------------------------------------


class ResultV2(TypedDict):
    rule: str
    outcome: Outcome
    message: str
    target: NotRequired[str]  # absent when it is the VM's resource id
    hint: NotRequired[str]  # absent when empty
    waiver: NotRequired[str]  # the waiver's justification when outcome is "waived"
    original: NotRequired[Outcome]  # the outcome a waiver replaced (docs/gates.md)
    change: NotRequired[Literal["new", "unchanged", "fixed"]]  # against --baseline


class VmEntryV2(TypedDict):
    name: str
    id: str
    verdict: Verdict
    counts: dict[Outcome, int]
    results: list[ResultV2]


class ResultsDocumentV2(TypedDict):
    schema: Literal["asr-preflight/results/v2"]
    verdict: Verdict
    verdict_label: str
    tool_version: str
    generated_at: str
    snapshot_created_at: str | None
    source: str | None
    target_region: str | None
    strict: bool
    counts: Counts
    rules: list[RuleEntry]
    rule_errors: list[str]
    notes: list[str]
    vms: list[VmEntryV2]


def render(evaluation: Evaluation, info: RunInfo) -> str:
    """The v2 document as text (built in memory: for tests and small estates)."""
    import io

    buffer = io.BytesIO()
    write(evaluation, info, buffer)
    return buffer.getvalue().decode("utf-8")


def write(evaluation: Evaluation, info: RunInfo, out: IO[bytes]) -> None:
    """Write the v2 document to ``out``: the header keys one per line, then one rule and one
    VM (with its results) per line; nothing but one VM entry is held at a time."""
    outcomes: dict[Outcome, int] = dict.fromkeys(Outcome, 0)
    by_vm: dict[str, list[Result]] = {vm.id: [] for vm in evaluation.vms}
    orphans: dict[str, list[Result]] = {}
    for result in evaluation.results:
        outcomes[result.outcome] += 1
        mine = by_vm.get(result.vm_id)
        if mine is None:  # not one of the run's VMs (never, from the engine): keep it anyway
            mine = orphans.setdefault(result.vm_id, [])
        mine.append(result)
    verdicts: dict[Verdict, int] = dict.fromkeys(Verdict, 0)
    for vm in evaluation.vms:
        verdicts[vm.verdict] += 1
    header: list[tuple[str, Any]] = [
        ("schema", RESULTS_SCHEMA),
        ("verdict", evaluation.verdict),
        ("verdict_label", evaluation.verdict.label),
        ("tool_version", info.tool_version),
        ("generated_at", info.generated_at),
        ("snapshot_created_at", info.snapshot_created_at),
        ("source", info.source),
        ("target_region", info.target_region),
        ("strict", info.strict),
        ("counts", {"vms": len(evaluation.vms), "verdicts": verdicts, "outcomes": outcomes}),
    ]
    out.write(b"{\n")
    for key, value in header:
        out.write(b' "%s": %s,\n' % (key.encode(), _dumps(value)))
    _write_list(out, "rules", (rule_entry(rule) for rule in evaluation.rules), comma=True)
    _write_list(out, "rule_errors", evaluation.rule_errors, comma=True)
    _write_list(out, "notes", evaluation.notes, comma=True)
    _write_list(out, "vms", _vm_entries(evaluation, by_vm, orphans), comma=False)
    out.write(b"}\n")


def _dumps(value: Any) -> bytes:
    # Enum keys (counts by outcome) need OPT_NON_STR_KEYS; StrEnum values serialise as strings.
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:  # a lone surrogate from hostile input: escaped, as the json module does
        return json.dumps(value, ensure_ascii=True, separators=(",", ":")).encode()


def _write_list(out: IO[bytes], key: str, items: Iterable[Any], *, comma: bool) -> None:
    out.write(b' "%s": [' % key.encode())
    first = True
    for item in items:
        out.write(b"\n  " if first else b",\n  ")
        out.write(_dumps(item))
        first = False
    out.write(b"]" if first else b"\n ]")
    out.write(b",\n" if comma else b"\n")


def _vm_entries(
    evaluation: Evaluation, by_vm: dict[str, list[Result]], orphans: dict[str, list[Result]]
) -> Iterable[VmEntryV2]:
    from asr_preflight.engine import verdict_of

    for vm in evaluation.vms:
        yield _vm_v2(vm.name, vm.id, vm.verdict, vm.counts, by_vm[vm.id])
    for vm_id, results in orphans.items():
        counts = {o: sum(1 for r in results if r.outcome is o) for o in Outcome}
        verdict = verdict_of(r.outcome for r in results)
        yield _vm_v2(results[0].vm, vm_id, verdict, counts, results)


def _vm_v2(
    name: str, vm_id: str, verdict: Verdict, counts: dict[Outcome, int], results: list[Result]
) -> VmEntryV2:
    return {
        "name": name,
        "id": vm_id,
        "verdict": verdict,
        "counts": {o: counts.get(o, 0) for o in Outcome},
        "results": [_result_v2(r, vm_id) for r in results],
    }


def _result_v2(r: Result, vm_id: str) -> ResultV2:
    entry: ResultV2 = {"rule": r.rule, "outcome": r.outcome, "message": r.message}
    if r.target != vm_id:
        entry["target"] = r.target
    if r.hint:
        entry["hint"] = r.hint
    if r.waiver:
        entry["waiver"] = r.waiver
    if r.original is not None:
        entry["original"] = r.original
    if r.change in ("new", "unchanged", "fixed"):
        entry["change"] = r.change  # type: ignore[typeddict-item]
    return entry
