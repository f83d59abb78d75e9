"""``results.xml``: JUnit XML for CI dashboards, shaped as DESIGN.md §3 says.

One ``<testsuite>`` per area (plan, capacity, network, guest, identity, vm), one ``<testcase>``
per result named ``Result.label`` (``ASR201 outbound-storage [vm-web-01]``):

- fail -> ``<failure>``; unknown -> ``<error>`` (we could not tell, which is not a pass);
- skip and waived -> ``<skipped>`` with the reason (the waiver's justification);
- warn passes, with its message in ``<system-out>``; pass is a bare test case.

The test cases and suites are built with the ``junit-xml`` library. Its document writer adds a
``disabled`` attribute the JUnit 10 schema (Jenkins xUnit) does not allow and pretty-prints
through minidom, which is slow for large estates, so the ``<testsuites>`` root is assembled and
serialised here with ElementTree.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from junit_xml import TestCase, TestSuite

from asr_preflight.api import Area, Outcome

if TYPE_CHECKING:
    from asr_preflight.engine import Evaluation, Result
    from asr_preflight.reporters import RunInfo

# Characters XML 1.0 cannot carry at all (a guest's output may contain them).
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SUITE_ATTRIBUTES_NOT_IN_SCHEMA = ("disabled",)


def _clean(text: str) -> str:
    return _ILLEGAL.sub("\ufffd", text)


def case_of(result: Result) -> TestCase:
    """The JUnit test case of one result."""
    case = TestCase(
        name=_clean(result.label),
        classname=f"asr-preflight.{result.area.value}.{result.rule}",
    )
    message = _clean(result.message)
    details = _details(result)
    if result.outcome is Outcome.FAIL:
        case.add_failure_info(message=message, output=details, failure_type=result.severity.value)
    elif result.outcome is Outcome.UNKNOWN:
        case.add_error_info(message=message, output=details, error_type="unknown")
    elif result.outcome is Outcome.SKIP:
        case.add_skipped_info(message=message)
    elif result.outcome is Outcome.WAIVED:
        reason = _clean(f"waived: {result.waiver}" if result.waiver else "waived")
        case.add_skipped_info(message=reason, output=message)
    elif result.outcome is Outcome.WARN:
        case.stdout = "\n".join(filter(None, (f"warning: {message}", details)))
    return case


def _details(result: Result) -> str:
    lines = [f"target: {result.target}"]
    if result.hint:
        lines.append(f"hint: {result.hint}")
    return _clean("\n".join(lines))


def build(evaluation: Evaluation, info: RunInfo) -> ET.Element:
    """The ``<testsuites>`` element: one suite per area, in the areas' fixed order."""
    by_area: dict[Area, list[TestCase]] = {area: [] for area in Area}
    for result in evaluation.results:
        by_area[result.area].append(case_of(result))
    root = ET.Element("testsuites", {"name": "asr-preflight"})
    totals = {"tests": 0, "failures": 0, "errors": 0}
    properties = {
        "asr-preflight.version": info.tool_version,
        "verdict": evaluation.verdict.value,
        # why the run is incomplete or gated (a rule pack that failed to load, VMs not listed)
        **{f"asr-preflight.note.{i}": _clean(note) for i, note in enumerate(evaluation.notes, 1)},
        "target-region": info.target_region or "",
        "snapshot-created-at": info.snapshot_created_at or "",
    }
    for area, cases in by_area.items():
        suite = TestSuite(
            name=area.value,
            test_cases=cases,
            timestamp=info.generated_at,
            properties=properties,
        )
        element = suite.build_xml_doc()
        for attribute in _SUITE_ATTRIBUTES_NOT_IN_SCHEMA:
            element.attrib.pop(attribute, None)
        for key in totals:
            totals[key] += int(element.get(key, "0"))
        root.append(element)
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", "0")
    return root


def render(evaluation: Evaluation, info: RunInfo) -> str:
    root = build(evaluation, info)
    ET.indent(root, space=" ")
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'
