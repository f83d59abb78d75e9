"""``results.xml``: JUnit XML for CI dashboards (GitLab, Azure DevOps, Jenkins), DESIGN.md §3.

One ``<testsuite>`` per area (plan, capacity, network, guest, identity, vm), one ``<testcase>``
per result named ``Result.label`` (``ASR201 outbound-storage [vm-web-01]``):

- fail -> ``<failure>``; unknown -> ``<error>`` (we could not tell, which is not a pass). The
  element's ``message`` attribute holds the message and its *text* the message, the hint and
  the target when it is not the VM itself: GitLab shows only the text, Azure DevOps shows the
  message as the error and the text as the stack trace.
- skip and waived -> ``<skipped>`` with the reason (the waiver's justification) as message and
  text.
- warn follows ``--junit-warnings``: ``pass`` (the default) keeps it a passing test case with
  ``(warning: <message>)`` in its name, since no CI shows a passing case's ``system-out``;
  ``skipped`` or ``failure`` make it that element, with the message and hint as above.
- pass is a bare test case.

Names stay distinct in every CI: when two selected VMs share a name, their cases name the VM
``<resource group>/<name>`` (``<subscription>/<resource group>/<name>`` when that collides too).

GitLab refuses JUnit files over 30 MB. Up to :data:`GROUP_ABOVE_VMS` VMs every result is its
own case (form ``per-vm``) while the file stays under :data:`MAX_BYTES`. Above that, the first of
these forms whose file stays under it is written (the last one whatever its size), and the
suite property ``asr-preflight.cases`` names it:

``per-rule``
    passes grouped into one case per rule (``ASR201 outbound-storage [passing VMs]``, the count
    in ``system-out``), skips into one per rule (the reasons counted); every other result keeps
    its own case;
``per-finding``
    besides, results with the same finding (rule, outcome, message but for the VM's name, hint,
    shared target) share one case named after the first VM (``[vm-a and 41 more]``), its text
    listing the others;
``per-rule-and-outcome``
    besides, one case per rule and outcome, showing the first VM's message.

results.json always holds every result.

Every element has ``time="0"`` (some consumers crash without it). The file is written as it is
produced, case by case (the ``junit-xml`` library builds the whole tree in memory and its
document writer adds attributes the JUnit 10 schema, Jenkins xUnit's, does not allow); it
validates against that schema.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import IO, TYPE_CHECKING

from asr_preflight.api import Area, Outcome

if TYPE_CHECKING:
    from asr_preflight.engine import Evaluation, Result, VmVerdict
    from asr_preflight.reporters import RunInfo

#: Above this many VMs, passes and skips are one test case per rule (GitLab's 30 MB limit).
GROUP_ABOVE_VMS = 1000
WARNING_MODES = ("pass", "skipped", "failure")
#: The longest warning message put into a test case's name (the text has all of it).
NAME_MESSAGE_CHARS = 160
#: The longest message attribute (Azure DevOps' error message; the element's text has it all).
MESSAGE_ATTRIBUTE_CHARS = 200
#: GitLab refuses JUnit files over 30 MB: the largest file written, with room to spare.
MAX_BYTES = 25_000_000

# Characters XML 1.0 cannot carry at all (a guest's output may contain them).
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_ATTR = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\n": "&#10;", "\r": "&#13;"}
    | {"\t": "&#9;"}
)


def _clean(text: str) -> str:
    return _ILLEGAL.sub("\ufffd", text)


def _attr(text: str) -> str:
    return _clean(text).translate(_ATTR)


def _text(text: str) -> str:
    return _clean(text).translate(_TEXT)


def vm_labels(vms: Sequence[VmVerdict]) -> dict[str, str]:
    """VM id -> the name test cases show: the name, or ``rg/name`` (``sub/rg/name``) when
    two selected VMs share a name (case-insensitively, as a person reads them)."""
    names = Counter(vm.name.lower() for vm in vms)
    scoped = Counter(f"{_rg(vm.id)}/{vm.name}".lower() for vm in vms if names[vm.name.lower()] > 1)
    labels: dict[str, str] = {}
    for vm in vms:
        if names[vm.name.lower()] < 2:
            labels[vm.id] = vm.name
        elif scoped[f"{_rg(vm.id)}/{vm.name}".lower()] < 2:
            labels[vm.id] = f"{_rg(vm.id)}/{vm.name}"
        else:
            labels[vm.id] = f"{_sub(vm.id)}/{_rg(vm.id)}/{vm.name}"
    return labels


def _segment(resource_id: str, key: str) -> str:
    parts = resource_id.split("/")
    lowered = [p.lower() for p in parts]
    if key in lowered:
        i = lowered.index(key)
        if i + 1 < len(parts):
            return parts[i + 1]
    return "?"


def _rg(resource_id: str) -> str:
    return _segment(resource_id, "resourcegroups")


def _sub(resource_id: str) -> str:
    return _segment(resource_id, "subscriptions")


def case_name(result: Result, labels: dict[str, str]) -> str:
    """``ASR201 outbound-storage [vm-web-01]``; a pair keeps ``vm-a -> vm-b`` (its first VM
    named as in :func:`vm_labels`: ``rg-a/web -> db`` when two selected VMs are "web")."""
    if " -> " in result.target:
        first, _, peer = result.target.partition(" -> ")
        if first == result.vm:
            first = labels.get(result.vm_id, first)
        return f"{result.rule} {result.name} [{first} -> {peer}]"
    return f"{result.rule} {result.name} [{labels.get(result.vm_id, result.vm)}]"


def _details(result: Result) -> str:
    lines = [result.message]
    if result.hint:
        lines.append(f"hint: {result.hint}")
    if result.target and result.target != result.vm_id and " -> " not in result.target:
        lines.append(f"target: {result.target}")
    return "\n".join(lines)


class _Suite:
    """The test cases of one area, as XML fragments, with their counts."""

    def __init__(self) -> None:
        self.cases: list[bytes] = []
        self.failures = 0
        self.errors = 0
        self.skipped = 0
        self.size = 0  # bytes so far
        self.names: set[tuple[str, str]] = set()  # (classname, name) of the cases so far

    def unique(self, classname: str, name: str) -> str:
        """``name``, or ``name #2``… if a case of ``classname`` has it already: a CI merges
        equal names (GitLab), and a failure could hide behind a pass."""
        candidate, n = name, 1
        while (classname, candidate) in self.names:
            n += 1
            candidate = f"{name} #{n}"
        self.names.add((classname, candidate))
        return candidate

    def append(self, case: str) -> None:
        data = case.encode("utf-8")
        self.cases.append(data)
        self.size += len(data)


def _case(name: str, classname: str, body: str = "") -> str:
    head = f'<testcase name="{_attr(name)}" classname="{_attr(classname)}" time="0"'
    return f"{head}/>\n" if not body else f"{head}>{body}</testcase>\n"


def _element(tag: str, kind: str, message: str, text: str) -> str:
    """``<failure>``/``<error>``/``<skipped>``: the message attribute (shortened: Azure DevOps
    shows it as the error message) and the whole text (what GitLab shows)."""
    short = _short(message, MESSAGE_ATTRIBUTE_CHARS)
    return f'<{tag} type="{_attr(kind)}" message="{_attr(short)}">{_text(text)}</{tag}>'


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _add(
    suite: _Suite,
    result: Result,
    name: str,
    warnings: str,
    also: Sequence[str] = (),
    same: bool = True,
) -> None:
    """One case for ``result`` and, grouped, for the VMs (or pairs) in ``also``: with the same
    finding, or (``same`` false) the same rule and outcome but not all the same message."""
    classname = f"asr-preflight.{result.area.value}.{result.rule}"
    outcome = result.outcome
    details = _details(result)
    what = "more" if " -> " in result.target else "more VMs"
    if also and same:
        details += f"\nthe same on {len(also)} {what}: {', '.join(also)}"
    elif also:
        details += (
            f"\n{outcome.value} on {len(also)} {what} too, not all for this reason "
            f"(results.json has each): {', '.join(also)}"
        )
    if outcome is Outcome.FAIL:
        body = _element("failure", result.severity.value, result.message, details)
        suite.failures += 1
    elif outcome is Outcome.UNKNOWN:
        body = _element("error", "unknown", result.message, f"readiness unknown: {details}")
        suite.errors += 1
    elif outcome is Outcome.SKIP:
        body = _element("skipped", "skip", result.message, details)
        suite.skipped += 1
    elif outcome is Outcome.WAIVED:
        reason = f"waived: {result.waiver}" if result.waiver else "waived"
        was = f"\n{result.original.value}: " if result.original else "\n"
        body = _element("skipped", "waived", reason, f"{reason}{was}{details}")
        suite.skipped += 1
    elif outcome is Outcome.WARN and warnings == "failure":
        body = _element("failure", "warn", result.message, f"warning: {details}")
        suite.failures += 1
    elif outcome is Outcome.WARN and warnings == "skipped":
        body = _element("skipped", "warn", f"warning: {result.message}", f"warning: {details}")
        suite.skipped += 1
    elif outcome is Outcome.WARN:
        name = f"{name} (warning: {_short(result.message, NAME_MESSAGE_CHARS)})"
        body = f"<system-out>{_text('warning: ' + details)}</system-out>"
    else:
        body = ""
    suite.append(_case(suite.unique(classname, name), classname, body))


def _grouped(
    suite: _Suite, area: Area, results: Iterable[Result], vm_count: int, passes: Counter[str]
) -> None:
    """One case per rule for its passes, one per rule for its skips (the reasons counted)."""
    names: dict[str, str] = {}
    reasons: dict[str, Counter[str]] = {}
    for r in results:
        names[r.rule] = r.name
        if r.outcome is Outcome.SKIP:
            reasons.setdefault(r.rule, Counter())[" ".join(r.message.split())] += 1
    for code in sorted(set(passes) | set(reasons)):
        classname = f"asr-preflight.{area.value}.{code}"
        if passes.get(code):
            text = f"passed on {passes[code]} of {vm_count} VMs (results.json lists them)"
            body = f"<system-out>{_text(text)}</system-out>"
            name = suite.unique(classname, f"{code} {names[code]} [passing VMs]")
            suite.append(_case(name, classname, body))
        if code in reasons:
            total = sum(reasons[code].values())
            top = "; ".join(f"{why} ({n} VMs)" for why, n in reasons[code].most_common(5))
            more = len(reasons[code]) - 5
            if more > 0:
                top += f"; {more} more reasons in results.json"
            message = f"skipped on {total} VMs: {top}"
            body = _element("skipped", "skip", message, message)
            name = suite.unique(classname, f"{code} {names[code]} [skipped VMs]")
            suite.append(_case(name, classname, body))
            suite.skipped += 1


#: How results become test cases, finest first; the first whose file fits :data:`MAX_BYTES`
#: is written (``per-vm`` only up to :data:`GROUP_ABOVE_VMS` VMs).
FORMS = ("per-vm", "per-rule", "per-finding", "per-rule-and-outcome")


def _finding_key(r: Result, form: str) -> tuple[str, ...]:
    """Results with the same key share one case in the grouped forms of problems."""
    if form == "per-rule-and-outcome":
        return (r.rule, r.outcome.value)
    masked = r.message.replace(r.vm, "\x00") if r.vm else r.message
    target = "" if r.target == r.vm_id or " -> " in r.target else r.target
    original = r.original.value if r.original else ""  # a waived failure is not a waived unknown
    return (r.rule, r.outcome.value, masked, r.hint, target, r.waiver or "", original)


def _suites(
    evaluation: Evaluation,
    by_area: dict[Area, list[Result]],
    form: str,
    warnings: str,
    budget: int | None = None,
) -> list[tuple[Area, _Suite]] | None:
    """The suites in ``form``; ``None`` as soon as they exceed ``budget`` bytes."""
    labels = vm_labels(evaluation.vms)
    suites: list[tuple[Area, _Suite]] = []
    spent = 0
    for area, results in by_area.items():
        suite = _Suite()
        passes: Counter[str] = Counter()
        findings: dict[tuple[str, ...], list[Result]] = {}
        for result in results:
            if budget is not None and spent + suite.size > budget:
                return None
            if form == "per-vm":
                _add(suite, result, case_name(result, labels), warnings)
            elif result.outcome is Outcome.PASS:
                passes[result.rule] += 1
            elif result.outcome is Outcome.SKIP:
                pass  # counted by _grouped
            elif form == "per-rule":
                _add(suite, result, case_name(result, labels), warnings)
            else:
                findings.setdefault(_finding_key(result, form), []).append(result)
        for members in findings.values():
            first = members[0]
            name = case_name(first, labels)
            if len(members) > 1:
                name = f"{name[:-1]} and {len(members) - 1} more]"
            also = [
                m.target if " -> " in m.target else labels.get(m.vm_id, m.vm) for m in members[1:]
            ]
            mine = _finding_key(first, "per-finding")
            same = all(_finding_key(m, "per-finding") == mine for m in members[1:])
            _add(suite, first, name, warnings, also, same)
        if form != "per-vm":
            _grouped(suite, area, results, len(evaluation.vms), passes)
        suites.append((area, suite))
        spent += suite.size
    if budget is not None and spent > budget:
        return None
    return suites


def write(evaluation: Evaluation, info: RunInfo, out: IO[bytes]) -> None:
    """Write the ``<testsuites>`` document to ``out``, one suite per area in their order."""
    warnings = info.junit_warnings if info.junit_warnings in WARNING_MODES else "pass"
    by_area: dict[Area, list[Result]] = {area: [] for area in Area}
    for result in evaluation.results:
        by_area[result.area].append(result)
    forms = FORMS if len(evaluation.vms) <= GROUP_ABOVE_VMS else FORMS[1:]
    for form in forms:
        last = form == forms[-1]  # written whatever its size
        found = _suites(evaluation, by_area, form, warnings, None if last else MAX_BYTES)
        if found is not None:
            suites = found
            break
    properties = {
        "asr-preflight.version": info.tool_version,
        "verdict": evaluation.verdict.value,
        # why the run is incomplete or gated (a rule pack that failed to load, VMs not listed)
        **{f"asr-preflight.note.{i}": _clean(note) for i, note in enumerate(evaluation.notes, 1)},
        "target-region": info.target_region or "",
        "snapshot-created-at": info.snapshot_created_at or "",
        "asr-preflight.cases": form,
        "asr-preflight.junit-warnings": warnings,
    }
    props = "".join(
        f'<property name="{_attr(k)}" value="{_attr(v)}"/>\n' for k, v in properties.items()
    )
    tests = sum(len(suite.cases) for _, suite in suites)
    failures = sum(suite.failures for _, suite in suites)
    errors = sum(suite.errors for _, suite in suites)
    out.write(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(
        f'<testsuites name="asr-preflight" tests="{tests}" failures="{failures}" '
        f'errors="{errors}" time="0">\n'.encode()
    )
    for area, suite in suites:
        out.write(
            f'<testsuite name="{area.value}" tests="{len(suite.cases)}" '
            f'failures="{suite.failures}" errors="{suite.errors}" skipped="{suite.skipped}" '
            f'time="0" timestamp="{_attr(info.generated_at)}">\n'
            f"<properties>\n{props}</properties>\n".encode()
        )
        for case in suite.cases:
            out.write(case)
        out.write(b"</testsuite>\n")
    out.write(b"</testsuites>\n")


def render(evaluation: Evaluation, info: RunInfo) -> str:
    """The document as text (built in memory: for tests and small estates)."""
    import io

    buffer = io.BytesIO()
    write(evaluation, info, buffer)
    return buffer.getvalue().decode("utf-8")
