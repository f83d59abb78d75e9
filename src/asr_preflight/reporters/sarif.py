"""SARIF 2.1.0 (``results.sarif``) for GitHub code scanning, Azure DevOps and SARIF viewers.

One run. ``tool.driver.rules`` describes every evaluated rule from its docstring (title, the
"What it checks" section, the whole documentation as help, the first reference as ``helpUri``).
Results are the problems: ``fail`` -> level ``error``; ``warn`` -> ``warning``; ``unknown``
(readiness could not be verified) -> ``warning`` for a fail-severity rule, ``note`` otherwise,
with ``properties.outcome = "unknown"``. A waived result keeps the level of the outcome it
replaced and carries an accepted external suppression with the justification. Passing and
skipped results are left out unless ``include_passing`` (then ``kind`` pass / notApplicable).

Locations. Each result names the Azure resource as a logical location (the VM; the target
resource id when it differs) and always has a physical location, which GitHub code scanning
requires ("expected artifact location"): the plan file at the line of the key the rule
depends on (``[target] region`` for capacity and network, ``[guest]`` for guest rules,
``[groups]`` for pairs…, see :data:`AREA_KEYS`), or the snapshot file when no plan was given.
A relative path is resolved against ``%SRCROOT%`` (the working directory: the repository root
in CI).

Size. GitHub keeps at most 25,000 results per run (:data:`MAX_RESULTS`) and shows 5,000. Above
that, results are grouped: one result per rule, outcome and resource (the shared resource a
result is about, else the VM's resource group; then its subscription; then none; then, if
still too many, the rule alone even for shared resources), listing the affected VMs; the
run's ``properties.grouping`` says so and the console repeats it.

``partialFingerprints`` hold a hash of the result's identity (rule, VM id, target; for a group,
rule, outcome and resource) so alerts stay stable across scans; ``baselineState`` is set when
the run was compared with a baseline. ``automationDetails.id`` is ``<category>/``, the category
being ``--sarif-category`` or ``asr-preflight/<plan file>`` (the path relative to the working
directory, less its suffix; the snapshot's when no plan was given): code scanning keeps one set
of alerts per category.

The document is written as it is produced, one result per line, with orjson.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import quote, unquote

import orjson

from asr_preflight import __version__, fsutil
from asr_preflight.api import Area, Outcome, Rule, Severity
from asr_preflight.engine import Evaluation, Result

if TYPE_CHECKING:
    from asr_preflight.reporters import RunInfo

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
FILE_NAME = "results.sarif"
FINGERPRINT = "asrPreflightResult/v1"
#: GitHub code scanning keeps at most this many results of a run.
MAX_RESULTS = 25_000
#: The plan keys each area's rules depend on, most specific first (SARIF's physical location).
AREA_KEYS: dict[str, tuple[str, ...]] = {
    Area.PLAN.value: ("target.vault", "target.region", "target"),
    Area.CAPACITY.value: ("target.region", "target.sizes", "target"),
    Area.NETWORK.value: ("target.region", "target"),
    Area.GUEST.value: ("guest", "guest.linux", "guest.windows"),
    Area.IDENTITY.value: ("azure.subscriptions", "azure"),
    Area.VM.value: ("select", "select.resource_groups", "select.vms"),
    "pair": ("groups",),
}
_URL = re.compile(r"https://[^\s)>\]]+")
_BASELINE_STATE = {"new": "new", "unchanged": "unchanged"}


def plan_lines(text: str) -> dict[str, int]:
    """The 1-based line of each key in :data:`AREA_KEYS` that the plan text has."""
    from asr_preflight.plan import locate

    lines: dict[str, int] = {}
    for keys in AREA_KEYS.values():
        for key in keys:
            path: list[str | int] = [*key.split(".")]
            if key == "groups":
                path = ["groups", 0]
            line = locate(text, path)
            if line is not None:
                lines[key] = line
    return lines


def category_of(info: RunInfo | None) -> str:
    """``--sarif-category``, else ``asr-preflight/<plan or snapshot file name>``."""
    if info is not None and info.sarif_category:
        return info.sarif_category.strip().rstrip("/") or "asr-preflight"
    source = (info.plan_path or info.snapshot_path) if info is not None else None
    if not source:
        return "asr-preflight"
    path = PurePath(unquote(source.removeprefix("file://")))
    # a relative path keeps its folders (two plans called plan.toml stay apart), less suffix
    name = path.stem if _absolute(source) else path.with_suffix("").as_posix()
    return f"asr-preflight/{name}" if name and name != "." else "asr-preflight"


@dataclass(frozen=True)
class _Where:
    uri: str
    relative: bool
    lines: Mapping[str, int]

    def location(self, area: str) -> dict[str, Any]:
        line = next((self.lines[k] for k in AREA_KEYS.get(area, ()) if k in self.lines), 1)
        artifact = {"uri": self.uri, "uriBaseId": "SRCROOT"} if self.relative else {"uri": self.uri}
        return {"artifactLocation": artifact, "region": {"startLine": line}}


def _where(info: RunInfo | None, plan_uri: str | None) -> _Where:
    uri = plan_uri or (info.plan_path if info else None)
    lines: Mapping[str, int] = (info.plan_lines or {}) if info and uri else {}
    if not uri and info is not None:
        uri = info.snapshot_path
    uri = uri or FILE_NAME  # nothing else known (library use): the report itself
    return _Where(uri, not _absolute(uri), lines)


def render(
    evaluation: Evaluation,
    *,
    plan_uri: str | None = None,
    include_passing: bool = False,
    info: RunInfo | None = None,
    max_results: int = MAX_RESULTS,
) -> dict[str, Any]:
    """The SARIF document as plain data (built in memory: for tests and small estates)."""
    buffer = io.BytesIO()
    write_to(
        evaluation,
        info,
        buffer,
        plan_uri=plan_uri,
        include_passing=include_passing,
        max_results=max_results,
    )
    doc: dict[str, Any] = orjson.loads(buffer.getvalue())
    return doc


def dumps(evaluation: Evaluation, **options: Any) -> str:
    buffer = io.BytesIO()
    write_to(evaluation, options.pop("info", None), buffer, **options)
    return buffer.getvalue().decode("utf-8")


def write(evaluation: Evaluation, directory: Path, **options: Any) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / FILE_NAME
    with fsutil.atomic_open(path) as handle:
        write_to(evaluation, options.pop("info", None), handle, **options)
    return path


def grouping_of(evaluation: Evaluation, max_results: int = MAX_RESULTS) -> str | None:
    """How the run's results are grouped (``None``: one SARIF result per problem)."""
    return _grouping([r for r in evaluation.results if _reported(r, False)], max_results)


def write_to(
    evaluation: Evaluation,
    info: RunInfo | None,
    out: IO[bytes],
    *,
    plan_uri: str | None = None,
    include_passing: bool = False,
    max_results: int = MAX_RESULTS,
) -> None:
    """Write the SARIF log to ``out``: the run's header, then one result per line."""
    rules = _rules_in(evaluation)
    index = {rule.code: i for i, rule in enumerate(rules)}
    where = _where(info, plan_uri)
    counts = {o.value: 0 for o in Outcome}
    for r in evaluation.results:
        counts[r.outcome.value] += 1
    problems = [r for r in evaluation.results if _reported(r, include_passing)]
    reported = len(problems)
    grouping = _grouping(problems, max_results)
    notes = [
        {"level": "error", "message": {"text": err}, "descriptor": {"id": err.split(":", 1)[0]}}
        for err in evaluation.rule_errors
    ]
    notes += [{"level": "note", "message": {"text": note}} for note in evaluation.notes]
    vm_counts: dict[str, int] = {}
    for vm in evaluation.vms:
        vm_counts[str(vm.verdict)] = vm_counts.get(str(vm.verdict), 0) + 1
    properties: dict[str, Any] = {
        "verdict": str(evaluation.verdict),
        "outcomes": counts,
        "vms": {"total": len(evaluation.vms), **dict(sorted(vm_counts.items()))},
    }
    if grouping is not None:
        properties["grouping"] = {
            "by": grouping,
            "problems": reported,
            "reason": f"more than {max_results} results, GitHub code scanning's limit per run; "
            "each result lists its VMs (results.json holds every result)",
        }
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "asr-preflight",
                "fullName": f"asr-preflight {__version__}",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": "https://learn.microsoft.com/azure/site-recovery/azure-to-azure-support-matrix",
                "rules": [_descriptor(rule) for rule in rules],
            }
        },
        "automationDetails": {"id": f"{category_of(info)}/"},
        "invocations": [
            {
                "executionSuccessful": True,  # rule errors are reported, not fatal
                "toolExecutionNotifications": notes,
            }
        ],
        "properties": properties,
    }
    if where.relative:
        run["originalUriBaseIds"] = {
            "SRCROOT": {"description": {"text": "the working directory of the run"}}
        }
    head = orjson.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]})
    prefix = head[: -len(b"}]}")]  # reopen the run to stream its results
    out.write(prefix + b',"results":[')
    items: Iterable[dict[str, Any]]
    if grouping is None:
        items = (
            item
            for r in problems
            if (item := _result(r, index, where, include_passing)) is not None
        )
    else:
        from asr_preflight.reporters.junit import vm_labels

        items = _grouped(problems, index, where, grouping, vm_labels(evaluation.vms))
    first = True
    for item in items:
        out.write(b"\n" if first else b",\n")
        out.write(_dumps(item))
        first = False
    out.write(b"\n]}]}\n")


def _dumps(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:
        # A lone surrogate from hostile input: "?", not the json module's "\\ud800" escape,
        # which strict parsers (orjson, serde_json; maybe the code scanning upload) refuse.
        import json

        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        return text.encode("utf-8", "replace")


def _fingerprint(key: str) -> str:
    # surrogatepass: a lone surrogate from hostile input still hashes (stably)
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _rules_in(evaluation: Evaluation) -> Sequence[Rule]:
    known = {rule.code: rule for rule in evaluation.rules}
    return [known[code] for code in sorted(known)]


def _descriptor(rule: Rule) -> dict[str, Any]:
    refs = _URL.findall(rule.section("References"))
    what = rule.section("What it checks") or rule.title
    level = "error" if rule.severity is Severity.FAIL else "warning"
    descriptor: dict[str, Any] = {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": _plain(what)},
        "help": {"text": _plain(rule.doc), "markdown": rule.doc},
        "defaultConfiguration": {"level": level},
        "properties": {
            "tags": ["azure-site-recovery", str(rule.area)],
            "area": str(rule.area),
            "severity": str(rule.severity),
        },
    }
    if refs:
        descriptor["helpUri"] = refs[0]
    return descriptor


def plan_uri_of(path: Path, cwd: Path | None = None) -> str:
    """The plan file as a SARIF artifact URI: relative to the working directory (what GitHub
    code scanning expects, the repository root in CI) when it is under it, else a file URI."""
    base = (cwd or Path.cwd()).resolve()
    full = path.resolve()
    try:
        relative = full.relative_to(base).as_posix()
    except ValueError:
        return full.as_uri()
    return quote(relative)  # a URI reference: spaces, "#", "%" and non-ASCII percent-encoded


def _absolute(uri: str) -> bool:
    return uri.startswith(("file:", "/"))


def _plain(markdown: str) -> str:
    return markdown.replace("`", "").strip()


def _level(r: Result, outcome: Outcome) -> str:
    if outcome is Outcome.FAIL:
        return "error"
    if outcome is Outcome.WARN:
        return "warning"
    return "warning" if r.severity is Severity.FAIL else "note"


def _outcome(r: Result) -> Outcome:
    return r.original if r.outcome is Outcome.WAIVED and r.original else r.outcome


def _reported(r: Result, include_passing: bool) -> bool:
    if _outcome(r) in (Outcome.PASS, Outcome.SKIP, Outcome.WAIVED):
        return include_passing and r.outcome is not Outcome.WAIVED
    return True


def _logical(r: Result) -> list[dict[str, str]]:
    logical = [{"name": r.vm, "fullyQualifiedName": r.vm_id or r.vm, "kind": "resource"}]
    if r.target and r.target.lower() != (r.vm_id or "").lower():
        logical.append(
            {
                "name": r.target.rsplit("/", 1)[-1],
                "fullyQualifiedName": r.target,
                "kind": "resource",
            }
        )
    return logical


def _area_key(r: Result) -> str:
    return "pair" if " -> " in r.target else r.area.value


def _result(
    r: Result, index: dict[str, int], where: _Where, include_passing: bool
) -> dict[str, Any] | None:
    outcome = _outcome(r)
    if not _reported(r, include_passing):
        return None
    if outcome in (Outcome.PASS, Outcome.SKIP, Outcome.WAIVED):
        kind, level = ("pass" if outcome is Outcome.PASS else "notApplicable"), "none"
    else:
        kind, level = "fail", _level(r, outcome)
    text = r.message if outcome is not Outcome.UNKNOWN else f"Readiness unknown: {r.message}"
    if r.hint:
        text = f"{text} Hint: {r.hint}"
    location = {"physicalLocation": where.location(_area_key(r)), "logicalLocations": _logical(r)}
    key = "\x1f".join((r.rule.upper(), (r.vm_id or r.vm).lower(), r.target.lower()))
    item: dict[str, Any] = {
        "ruleId": r.rule,
        "kind": kind,
        "level": level,
        "message": {"text": text},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT: _fingerprint(key)},
        "properties": {"outcome": str(r.outcome), "vm": r.vm, "target": r.target},
    }
    if r.rule in index:
        item["ruleIndex"] = index[r.rule]
    if r.change in _BASELINE_STATE:
        item["baselineState"] = _BASELINE_STATE[r.change]
    if r.outcome is Outcome.WAIVED:
        item["suppressions"] = [
            {"kind": "external", "status": "accepted", "justification": r.waiver}
        ]
        item["properties"]["originalOutcome"] = str(outcome)
    return item


# ---------------------------------------------------------------------------------------------
# Grouping above GitHub's limit
# ---------------------------------------------------------------------------------------------

#: The ways to group, finest first: (name, the resource a problem is grouped under). A
#: problem about a shared resource (quota, vault, NSG…) stays under it but at the last level,
#: which groups by rule (and outcome) alone and so always fits.
_LEVELS = ("rule and resource group", "rule and subscription", "rule", "rule alone")


def _resource(r: Result, level: str) -> str:
    if level == "rule alone":
        return ""
    if r.target and " -> " not in r.target and r.target.lower() != r.vm_id.lower():
        return r.target  # a shared resource (quota, vault, NSG…): group under it
    if level == "rule":
        return ""
    parts = r.vm_id.split("/")
    depth = 5 if level == "rule and resource group" else 3  # /subscriptions/S/resourceGroups/G
    return "/".join(parts[:depth]) if len(parts) >= depth else r.vm_id


def _group_key(r: Result, level: str) -> tuple[str, str, str, str]:
    return (r.rule, _outcome(r).value, str(r.outcome), _resource(r, level).lower())


def _grouping(problems: Sequence[Result], max_results: int) -> str | None:
    """How to group ``problems`` (the results to report) to fit ``max_results``, if needed."""
    if len(problems) <= max_results:
        return None
    for level in _LEVELS:
        keys = {_group_key(r, level) for r in problems}
        if len(keys) <= max_results:
            return level
    return _LEVELS[-1]


def _grouped(
    problems: Sequence[Result],
    index: dict[str, int],
    where: _Where,
    level: str,
    labels: Mapping[str, str],
) -> Iterator[dict[str, Any]]:
    """One result per group; ``labels`` name each VM (``rg/vm`` when two share a name)."""
    groups: dict[tuple[str, str, str, str], list[Result]] = {}
    for r in problems:
        groups.setdefault(_group_key(r, level), []).append(r)
    for (code, _, _, resource_key), members in sorted(groups.items()):
        first = members[0]
        outcome = _outcome(first)
        resource = _resource(first, level) or "the estate"
        vms = sorted({labels.get(m.vm_id, m.vm) for m in members})  # distinct VMs, by id
        text = first.message
        if outcome is Outcome.UNKNOWN:
            text = f"Readiness unknown: {text}"
        text = (
            f"{code} on {len(vms)} VMs of {resource}; first: {text}"
            + (f" Hint: {first.hint}" if first.hint else "")
            + " (each VM's result is in results.json)"
        )
        logical = [{"name": resource.rsplit("/", 1)[-1] or resource, "kind": "resource"}]
        if resource.startswith("/"):
            logical[0]["fullyQualifiedName"] = resource
        key = "\x1f".join((code.upper(), outcome.value, resource_key, "group"))
        item: dict[str, Any] = {
            "ruleId": code,
            "kind": "fail",
            "level": _level(first, outcome),
            "message": {"text": text},
            "locations": [
                {"physicalLocation": where.location(_area_key(first)), "logicalLocations": logical}
            ],
            "partialFingerprints": {FINGERPRINT: _fingerprint(key)},
            "properties": {
                "outcome": str(first.outcome),
                "grouped": True,
                "resource": resource,
                "vmCount": len(vms),
                "vms": vms,
            },
        }
        if code in index:
            item["ruleIndex"] = index[code]
        changes = {m.change for m in members}
        if changes <= {"unchanged"}:
            item["baselineState"] = "unchanged" if changes else None
        elif "new" in changes:
            item["baselineState"] = "new"
        if item.get("baselineState") is None:
            item.pop("baselineState", None)
        if first.outcome is Outcome.WAIVED:
            item["suppressions"] = [
                {"kind": "external", "status": "accepted", "justification": first.waiver}
            ]
            item["properties"]["originalOutcome"] = outcome.value
        yield item
