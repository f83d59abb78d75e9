"""SARIF 2.1.0 (``results.sarif``) for GitHub code scanning, Azure DevOps and SARIF viewers.

One run. ``tool.driver.rules`` describes every evaluated rule from its docstring (title, the
"What it checks" section, the whole documentation as help, the first reference as ``helpUri``).
Results are the problems: ``fail`` -> level ``error``; ``warn`` -> ``warning``; ``unknown``
(readiness could not be verified) -> ``warning`` for a fail-severity rule, ``note`` otherwise,
with ``properties.outcome = "unknown"``. A waived result keeps the level of the outcome it
replaced and carries an accepted external suppression with the justification. Passing and
skipped results are left out unless ``include_passing`` (then ``kind`` pass / notApplicable).

Each result names the Azure resource as a logical location (the VM; the target resource id when
it differs) and, when the plan file's repository-relative path is known, the plan as its
physical location, which GitHub code scanning requires. ``partialFingerprints`` hold a hash of
the result's identity (rule, VM id, target) so alerts stay stable across scans; ``baselineState``
is set when the run was compared with a baseline.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from asr_preflight import __version__, fsutil
from asr_preflight.api import Outcome, Rule, Severity
from asr_preflight.engine import Evaluation, Result

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
FILE_NAME = "results.sarif"
FINGERPRINT = "asrPreflightResult/v1"
_URL = re.compile(r"https://[^\s)>\]]+")
_BASELINE_STATE = {"new": "new", "unchanged": "unchanged"}


def render(
    evaluation: Evaluation,
    *,
    plan_uri: str | None = None,
    include_passing: bool = False,
) -> dict[str, Any]:
    rules = _rules_in(evaluation)
    index = {rule.code: i for i, rule in enumerate(rules)}
    results = []
    for r in evaluation.results:
        item = _result(r, index, plan_uri, include_passing)
        if item is not None:
            results.append(item)
    counts = {o.value: 0 for o in Outcome}
    for r in evaluation.results:
        counts[r.outcome.value] += 1
    notes = [
        {"level": "error", "message": {"text": err}, "descriptor": {"id": err.split(":", 1)[0]}}
        for err in evaluation.rule_errors
    ]
    notes += [{"level": "note", "message": {"text": note}} for note in evaluation.notes]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "asr-preflight",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": "https://learn.microsoft.com/azure/site-recovery/azure-to-azure-support-matrix",
                "rules": [_descriptor(rule) for rule in rules],
            }
        },
        "automationDetails": {"id": "asr-preflight/"},
        "invocations": [
            {
                "executionSuccessful": True,  # rule errors are reported, not fatal
                "toolExecutionNotifications": notes,
            }
        ],
        "results": results,
        "properties": {
            "verdict": str(evaluation.verdict),
            "outcomes": counts,
            "vms": {
                "total": len(evaluation.vms),
                **{
                    v: sum(1 for vm in evaluation.vms if vm.verdict == v)
                    for v in sorted({str(vm.verdict) for vm in evaluation.vms})
                },
            },
        },
    }
    if plan_uri and not _absolute(plan_uri):
        run["originalUriBaseIds"] = {
            "SRCROOT": {"description": {"text": "the working directory of the run"}}
        }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def dumps(evaluation: Evaluation, **options: Any) -> str:
    return json.dumps(render(evaluation, **options), indent=2, ensure_ascii=False) + "\n"


def write(evaluation: Evaluation, directory: Path, **options: Any) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / FILE_NAME
    fsutil.write_text(path, dumps(evaluation, **options))
    return path


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
        return full.relative_to(base).as_posix()
    except ValueError:
        return full.as_uri()


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


def _result(
    r: Result, index: dict[str, int], plan_uri: str | None, include_passing: bool
) -> dict[str, Any] | None:
    outcome = r.original if r.outcome is Outcome.WAIVED and r.original else r.outcome
    if outcome in (Outcome.PASS, Outcome.SKIP, Outcome.WAIVED):
        if not include_passing or r.outcome is Outcome.WAIVED:
            return None
        kind, level = ("pass" if outcome is Outcome.PASS else "notApplicable"), "none"
    else:
        kind, level = "fail", _level(r, outcome)
    text = r.message if outcome is not Outcome.UNKNOWN else f"Readiness unknown: {r.message}"
    if r.hint:
        text = f"{text} Hint: {r.hint}"
    logical = [{"name": r.vm, "fullyQualifiedName": r.vm_id or r.vm, "kind": "resource"}]
    if r.target and r.target.lower() != (r.vm_id or "").lower():
        logical.append(
            {
                "name": r.target.rsplit("/", 1)[-1],
                "fullyQualifiedName": r.target,
                "kind": "resource",
            }
        )
    location: dict[str, Any] = {"logicalLocations": logical}
    if plan_uri:
        location["physicalLocation"] = {
            "artifactLocation": (
                {"uri": plan_uri}
                if _absolute(plan_uri)
                else {"uri": plan_uri, "uriBaseId": "SRCROOT"}
            ),
            "region": {"startLine": 1},
        }
    key = "\x1f".join((r.rule.upper(), (r.vm_id or r.vm).lower(), r.target.lower()))
    item: dict[str, Any] = {
        "ruleId": r.rule,
        "kind": kind,
        "level": level,
        "message": {"text": text},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT: hashlib.sha256(key.encode()).hexdigest()},
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
