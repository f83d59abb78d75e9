"""``report.html``: one self-contained page (no external CSS, JS or fonts) for people.

Summary and run verdict, a per-VM verdict table, findings grouped by VM (fail, unknown, warn
and waived results in full; passes and skips as compact lists of codes), and each rule's
documentation with the VMs it affects. A little inline JavaScript filters by verdict, rule and
free text; it reads only ``data-*`` attributes and ``textContent``, never writes HTML. Jinja2
autoescapes every value; rule docstrings are escaped first and then given a few safe tags
(paragraphs, lists, ``code``, links to https URLs).

Stable hooks for tests and scripts: ``#run-verdict[data-verdict]``, ``#count-vms``,
``#count-ready``, ``#count-ready-with-conditions``, ``#count-not-ready``, ``#count-unknown``,
``#count-outcome-<outcome>`` (each with ``data-count``), ``#shown-count``, the filters
``#filter-verdict``, ``#filter-rule``, ``#filter-text``; rows ``tr.vm-row`` and blocks
``details.vm`` with ``data-vm``, ``data-verdict``, ``data-rules``; ``tr.finding`` with
``data-rule`` and ``data-outcome``; ``details.rule`` with ``data-rule``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from markupsafe import Markup, escape

from asr_preflight.api import Outcome, doc_sections
from asr_preflight.engine import Verdict

if TYPE_CHECKING:
    from jinja2 import Environment

    from asr_preflight.api import Rule
    from asr_preflight.engine import Evaluation, Result, VmVerdict
    from asr_preflight.reporters import RunInfo

#: Outcomes shown in full in the findings; passes and skips are listed compactly.
FINDING_OUTCOMES = (Outcome.FAIL, Outcome.UNKNOWN, Outcome.WARN, Outcome.WAIVED)
_ORDER = {o: i for i, o in enumerate((*FINDING_OUTCOMES, Outcome.SKIP, Outcome.PASS))}


@dataclass
class VmView:
    anchor: str
    name: str
    id: str
    resource_group: str
    verdict: str
    label: str
    counts: dict[str, int]
    findings: list[Result] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)
    skipped: dict[str, list[str]] = field(default_factory=dict)  # reason -> codes

    @property
    def rules(self) -> str:
        """Codes with a finding (for the rule filter), space-separated."""
        return " ".join(dict.fromkeys(r.rule for r in self.findings))


@dataclass
class RuleView:
    rule: Rule
    sections: list[tuple[str, Markup]]
    counts: dict[str, int]
    affected: list[tuple[str, list[VmView]]]  # outcome -> VMs, worst first


def render(evaluation: Evaluation, info: RunInfo) -> str:
    vms = _vm_views(evaluation)
    by_id = {vm.id: vm for vm in vms}
    outcome_counts = dict.fromkeys((o.value for o in Outcome), 0)
    for result in evaluation.results:
        outcome_counts[result.outcome.value] += 1
    verdict_counts = dict.fromkeys((v.value for v in Verdict), 0)
    for vm in vms:
        verdict_counts[vm.verdict] += 1
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            info=info,
            evaluation=evaluation,
            verdict=evaluation.verdict.value,
            verdict_label=evaluation.verdict.label,
            vms=vms,
            rules=_rule_views(evaluation, by_id),
            outcome_counts=outcome_counts,
            verdict_counts=verdict_counts,
            verdict_labels={v.value: v.label for v in Verdict},
        )
    )


@cache
def _environment() -> Environment:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(
        loader=PackageLoader("asr_preflight.reporters", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["doc"] = doc_html
    return env


def _vm_views(evaluation: Evaluation) -> list[VmView]:
    views: dict[str, VmView] = {}
    for index, vm in enumerate(evaluation.vms):
        views[vm.id] = _vm_view(index, vm)
    for result in evaluation.results:
        view = views.get(result.vm_id)
        if view is None:
            continue
        if result.outcome in FINDING_OUTCOMES:
            view.findings.append(result)
        elif result.outcome is Outcome.SKIP:
            view.skipped.setdefault(result.message, []).append(result.rule)
        else:
            view.passed.append(result.rule)
    for view in views.values():
        view.findings.sort(key=lambda r: (_ORDER[r.outcome], r.rule, r.target))
    return list(views.values())


def _vm_view(index: int, vm: VmVerdict) -> VmView:
    return VmView(
        anchor=f"vm-{index}",
        name=vm.name,
        id=vm.id,
        resource_group=_resource_group(vm.id),
        verdict=vm.verdict.value,
        label=vm.verdict.label,
        counts={o.value: vm.counts.get(o, 0) for o in Outcome},
    )


def _resource_group(resource_id: str) -> str:
    parts = resource_id.split("/")
    lowered = [p.lower() for p in parts]
    if "resourcegroups" in lowered:
        i = lowered.index("resourcegroups")
        if i + 1 < len(parts):
            return parts[i + 1]
    return ""


def _rule_views(evaluation: Evaluation, vms: dict[str, VmView]) -> list[RuleView]:
    results: dict[str, list[Result]] = {rule.code: [] for rule in evaluation.rules}
    for result in evaluation.results:
        results.setdefault(result.rule, []).append(result)
    views = []
    for rule in evaluation.rules:
        mine = results.get(rule.code, [])
        counts = dict.fromkeys((o.value for o in Outcome), 0)
        affected: dict[str, dict[str, VmView]] = {o.value: {} for o in FINDING_OUTCOMES}
        for result in mine:
            counts[result.outcome.value] += 1
            vm = vms.get(result.vm_id)
            if vm is not None and result.outcome in FINDING_OUTCOMES:
                affected[result.outcome.value].setdefault(vm.id, vm)
        sections = [(h, doc_html(text)) for h, text in doc_sections(rule.doc).items()]
        views.append(
            RuleView(
                rule=rule,
                sections=sections,
                counts=counts,
                affected=[(o, list(v.values())) for o, v in affected.items() if v],
            )
        )
    return views


# ---------------------------------------------------------------------------------------------
# Rule documentation: escaped text with a few safe tags
# ---------------------------------------------------------------------------------------------

_CODE = re.compile(r"`([^`]+)`")
_URL = re.compile(r"https://(?:[^\s<>\"'&]|&amp;)+")
_TRAILING = ".,;:)"


def doc_html(text: str) -> Markup:
    """A docstring section as HTML: paragraphs, ``- `` lists, ``code`` and https links.

    Everything is escaped before any tag is added, so a docstring can never inject markup.
    """
    blocks: list[str] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        if not lines:
            continue
        if all(line.startswith(("- ", "* ")) for line in lines[:1]):
            items: list[str] = []
            for line in lines:
                if line.startswith(("- ", "* ")):
                    items.append(line[2:])
                elif items:
                    items[-1] += " " + line
            blocks.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in items) + "</ul>")
        else:
            blocks.append(f"<p>{_inline(' '.join(lines))}</p>")
    return Markup("".join(blocks))  # noqa: S704 - built from escaped text only


def _inline(text: str) -> str:
    escaped = str(escape(text))
    escaped = _CODE.sub(lambda m: f"<code>{m.group(1)}</code>", escaped)
    return _URL.sub(_link, escaped)


def _link(match: re.Match[str]) -> str:
    url = match.group(0)
    tail = ""
    while url and url[-1] in _TRAILING:
        url, tail = url[:-1], url[-1] + tail
    return f'<a href="{url}" rel="noopener noreferrer">{url}</a>{tail}'
