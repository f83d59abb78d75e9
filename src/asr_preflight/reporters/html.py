"""``report.html``: one self-contained page (no external CSS, JS or fonts) for people.

Summary and run verdict, a per-VM verdict table, findings grouped by VM (fail, unknown, warn
and waived results in full; passes and skips as compact lists of codes), and each rule's
documentation with the VMs it affects.

The page stays quick for estates of thousands of VMs by building per-VM parts in the browser,
and only when needed: the server renders the summary, the filters, each rule's documentation
and (inside ``<noscript>``, so it costs nothing when JavaScript runs) the full verdict table.
Everything else travels as JSON in one ``<script type="application/json" id="report-data">``
element, with ``<``, ``>`` and ``&`` written as ``\\u003c``, ``\\u003e``, ``\\u0026`` so no value
can close the element. The inline script shows the verdict table and the VM blocks a page at a
time (:data:`PAGE` VMs, more on request), fills a VM's findings or a rule's affected VMs the
first time it is opened, and filters the data rather than the DOM. It builds elements with
``createElement``/``textContent`` only, never HTML. Jinja2 autoescapes every server-rendered
value; rule docstrings are escaped first and then given a few safe tags (paragraphs, lists,
``code``, links to https URLs).

Stable hooks for tests and scripts: ``#run-verdict[data-verdict]``, ``#count-vms``,
``#count-ready``, ``#count-ready-with-conditions``, ``#count-not-ready``, ``#count-unknown``,
``#count-outcome-<outcome>`` (each with ``data-count``), ``#shown-count`` (VMs matching the
filters), the filters ``#filter-verdict``, ``#filter-rule``, ``#filter-text``, ``#show-more``,
``#show-all``; rows ``tr.vm-row`` and blocks ``details.vm`` with ``data-vm``,
``data-verdict``, ``data-rules``; ``tr.finding`` with ``data-rule``, ``data-outcome`` and
``data-change``; ``details.rule`` with ``data-rule``; the data in ``#report-data``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import IO, TYPE_CHECKING, Any

import orjson
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
#: VMs shown at first (and added per "show more"); smaller estates show everything at once.
PAGE = 200
#: With at most this many VMs, the not-ready ones start open (as they always have).
OPEN_NOT_READY_UP_TO = 50


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


def render(evaluation: Evaluation, info: RunInfo) -> str:
    """The page as text (built in memory: for tests and small estates)."""
    return "".join(_chunks(evaluation, info))


def write(evaluation: Evaluation, info: RunInfo, out: IO[bytes]) -> None:
    """Write the page to ``out`` as the template produces it."""
    for chunk in _chunks(evaluation, info):
        out.write(chunk.encode("utf-8", "replace"))  # a lone surrogate from hostile input: "?"


def _chunks(evaluation: Evaluation, info: RunInfo) -> Iterator[str]:
    vms = _vm_views(evaluation)
    outcome_counts = dict.fromkeys((o.value for o in Outcome), 0)
    for result in evaluation.results:
        outcome_counts[result.outcome.value] += 1
    verdict_counts = dict.fromkeys((v.value for v in Verdict), 0)
    for vm in vms:
        verdict_counts[vm.verdict] += 1
    verdict_labels = {v.value: v.label for v in Verdict}
    return (
        _environment()
        .get_template("report.html.j2")
        .generate(
            info=info,
            evaluation=evaluation,
            verdict=evaluation.verdict.value,
            verdict_label=evaluation.verdict.label,
            vms=vms,
            rules=_rule_views(evaluation),
            outcome_counts=outcome_counts,
            verdict_counts=verdict_counts,
            verdict_labels=verdict_labels,
            data=script_json(_data(evaluation, vms, verdict_labels)),
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


def _rule_views(evaluation: Evaluation) -> list[RuleView]:
    counts: dict[str, dict[str, int]] = {
        rule.code: dict.fromkeys((o.value for o in Outcome), 0) for rule in evaluation.rules
    }
    for result in evaluation.results:
        if result.rule in counts:
            counts[result.rule][result.outcome.value] += 1
    return [
        RuleView(
            rule=rule,
            sections=[(h, doc_html(text)) for h, text in doc_sections(rule.doc).items()],
            counts=counts[rule.code],
        )
        for rule in evaluation.rules
    ]


# ---------------------------------------------------------------------------------------------
# The data the page's script renders from
# ---------------------------------------------------------------------------------------------


def _data(
    evaluation: Evaluation, vms: list[VmView], verdict_labels: dict[str, str]
) -> dict[str, Any]:
    """Everything the script needs, compactly: rules are referred to by their index."""
    rules: dict[str, int] = {}
    names: list[list[str]] = []

    def index(code: str, name: str) -> int:
        if code not in rules:
            rules[code] = len(names)
            names.append([code, name])
        return rules[code]

    for rule in evaluation.rules:
        index(rule.code, rule.name)
    return {
        "page": PAGE,
        "openNotReady": len(vms) <= OPEN_NOT_READY_UP_TO,
        "labels": verdict_labels,
        "outcomes": [o.value for o in FINDING_OUTCOMES],
        "rules": names,
        "vms": [
            {
                "n": vm.name,
                "id": vm.id,
                "rg": vm.resource_group,
                "v": vm.verdict,
                "c": [vm.counts[o.value] for o in FINDING_OUTCOMES],
                # findings: rule, outcome, target ("" = the VM), message, hint, waiver, change
                "f": [
                    [
                        index(r.rule, r.name),
                        r.outcome.value,
                        "" if r.target == vm.id else r.target,
                        r.message,
                        r.hint,
                        r.waiver,
                        r.change,
                    ]
                    for r in vm.findings
                ],
                "p": [index(code, code) for code in vm.passed],
                "s": [
                    [reason, [index(code, code) for code in codes]]
                    for reason, codes in vm.skipped.items()
                ],
            }
            for vm in vms
        ],
    }


def script_json(value: object) -> Markup:
    """JSON safe inside ``<script type="application/json">``: no ``<``, ``>`` or ``&`` left,
    so neither ``</script>`` nor ``<!--`` can appear, whatever the values hold."""
    try:
        data = orjson.dumps(value)
    except TypeError:  # a lone surrogate from hostile input: escaped, as the json module does
        data = json.dumps(value, ensure_ascii=True, separators=(",", ":")).encode()
    for unsafe, escaped in ((b"<", b"\\u003c"), (b">", b"\\u003e"), (b"&", b"\\u0026")):
        data = data.replace(unsafe, escaped)
    return Markup(data.decode("utf-8"))  # noqa: S704 - no markup characters remain


# ---------------------------------------------------------------------------------------------
# Rule documentation: escaped text with a few safe tags
# ---------------------------------------------------------------------------------------------

_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*([^*<>]+)\*\*")
_URL = re.compile(r"https://(?:[^\s<>\"'&]|&amp;)+")
_TRAILING = ".,;:)"


def doc_html(text: str) -> Markup:
    """A docstring section as HTML: paragraphs, ``- `` lists, ``code``, ``**bold**`` and https
    links.

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
    escaped = _BOLD.sub(lambda m: f"<strong>{m.group(1)}</strong>", escaped)
    return _URL.sub(_link, escaped)


def _link(match: re.Match[str]) -> str:
    url = match.group(0)
    tail = ""
    while url and url[-1] in _TRAILING:
        url, tail = url[:-1], url[-1] + tail
    return f'<a href="{url}" rel="noopener noreferrer">{url}</a>{tail}'
