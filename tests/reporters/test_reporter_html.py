from __future__ import annotations

import json
import re
from dataclasses import replace
from html.parser import HTMLParser
from typing import Any

import pytest

from asr_preflight.reporters import html
from reporting_sample import HOSTILE, sample_evaluation, sample_info

DATA = re.compile(r'<script type="application/json" id="report-data">(.*?)</script>', re.S)


def report_data(page: str) -> dict[str, Any]:
    """The JSON the page's script renders from (exactly one such element)."""
    found = DATA.findall(page)
    assert len(found) == 1
    data: dict[str, Any] = json.loads(found[0])
    return data


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)

    def by_id(self, ident: str) -> dict[str, str | None]:
        found = [a for _, a in self.elements if a.get("id") == ident]
        assert len(found) == 1, ident
        return found[0]

    def with_class(self, tag: str, cls: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.elements if t == tag and cls in (a.get("class") or "").split()]


@pytest.fixture(scope="module")
def page() -> str:
    return html.render(sample_evaluation(), sample_info())


@pytest.fixture(scope="module")
def parsed(page: str) -> _Collect:
    parser = _Collect()
    parser.feed(page)
    return parser


def test_hostile_vm_name_is_escaped_everywhere(page: str, parsed: _Collect) -> None:
    assert HOSTILE not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>badly</b>" not in page
    assert len(parsed.scripts) == 2  # our own data and our own script
    assert HOSTILE in {a.get("data-vm") for a in parsed.with_class("tr", "vm-row")}
    assert HOSTILE in {vm["n"] for vm in report_data(page)["vms"]}


def test_summary_counts_have_stable_ids(parsed: _Collect) -> None:
    assert parsed.by_id("run-verdict")["data-verdict"] == "not-ready"
    expected = {
        "count-vms": "5",
        "count-ready": "1",
        "count-ready-with-conditions": "1",
        "count-not-ready": "2",
        "count-unknown": "1",
        "count-outcome-fail": "2",
        "count-outcome-waived": "1",
        "shown-count": "5",
    }
    for ident, count in expected.items():
        assert parsed.by_id(ident)["data-count"] == count, ident


def test_vm_rows_and_data_carry_verdict_rules_and_findings(page: str, parsed: _Collect) -> None:
    rows = parsed.with_class("tr", "vm-row")  # the table shown without JavaScript
    data = report_data(page)
    assert [r["data-vm"] for r in rows] == [vm["n"] for vm in data["vms"]]
    assert [r["data-verdict"] for r in rows] == [vm["v"] for vm in data["vms"]]
    fail = next(r for r in rows if r["data-vm"] == "vm-fail-01")
    assert fail["data-verdict"] == "not-ready"
    assert set((fail["data-rules"] or "").split()) == {"TST201", "TST101"}
    codes = [code for code, _ in data["rules"]]
    findings = {(codes[f[0]], f[1]) for vm in data["vms"] for f in vm["f"]}
    assert findings == {
        ("TST001", "waived"),
        ("TST101", "warn"),
        ("TST201", "fail"),
        ("TST401", "unknown"),
        ("TST501", "fail"),
    }
    ok = next(vm for vm in data["vms"] if vm["n"] == "vm-ok-01")
    assert sorted(codes[i] for i in ok["p"]) == [
        "TST009",
        "TST101",
        "TST201",
        "TST301",
        "TST401",
        "TST501",
    ]
    warn = next(vm for vm in data["vms"] if vm["n"] == "vm-warn-01")
    assert warn["s"] == [["in-guest checks were not requested", [codes.index("TST301")]]]
    rules = [a["data-rule"] for a in parsed.with_class("details", "rule")]
    assert rules == ["TST001", "TST009", "TST101", "TST201", "TST301", "TST401", "TST501"]


def test_self_contained_and_script_never_writes_html(page: str, parsed: _Collect) -> None:
    for tag, attrs in parsed.elements:
        assert not (tag == "script" and attrs.get("src")), "external script"
        assert tag != "link", "external stylesheet"
        assert not (tag == "img" and attrs.get("src")), "external image"
    assert "@import" not in page and "url(" not in page
    kinds = [a.get("type") for t, a in parsed.elements if t == "script"]
    assert kinds == ["application/json", None]
    script = parsed.scripts[1]
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script


def test_rule_docs_are_rendered_and_escaped(page: str) -> None:
    assert "Reporters must show &lt;every&gt; outcome &amp; escape it." in page
    assert "<li>Change the tag.</li>" in page
    assert "<code>tests</code>" in page
    link = "https://learn.microsoft.com/azure/site-recovery/azure-to-azure-support-matrix"
    assert f'<a href="{link}" rel="noopener noreferrer">{link}</a>' in page


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a <img src=x onerror=alert(1)>", "<p>a &lt;img src=x onerror=alert(1)&gt;</p>"),
        ("see `<b>`", "<p>see <code>&lt;b&gt;</code></p>"),
        ('javascript:alert(1) "https://x.example/a"', None),
        ("- one\n  continued\n- two", "<ul><li>one continued</li><li>two</li></ul>"),
        ("https://e.example/p?a=1&b=2.", None),
        ("**fail**: a `*_ZRS` disk", "<p><strong>fail</strong>: a <code>*_ZRS</code> disk</p>"),
        ("**<b>x</b>**", "<p><strong>&lt;b&gt;x&lt;/b&gt;</strong></p>"),
    ],
)
def test_doc_html_escapes_before_adding_tags(text: str, expected: str | None) -> None:
    out = str(html.doc_html(text))
    if expected is not None:
        assert out == expected
    assert "<img" not in out and 'href="javascript' not in out
    for href in re.findall(r'href="([^"]*)"', out):
        assert href.startswith("https://") and not href.endswith(".")


def test_hints_and_waivers_travel_with_their_findings(page: str) -> None:
    findings = {f[3]: f for vm in report_data(page)["vms"] for f in vm["f"]}
    assert findings["vm-fail-01: TST201 failed <b>badly</b>"][4] == "fix vm-fail-01"
    assert findings["vm-ok-01: TST001 is fine"][5] == "accepted by the DR board, ticket 42"


@pytest.mark.parametrize(
    "value",
    [
        "</script><script>alert(1)</script>",
        "</SCRIPT >x",
        "<!--<script>",
        "a & b > c \u2028 \\u003c",
    ],
)
def test_script_json_cannot_close_its_element(value: str) -> None:
    text = str(html.script_json({"name": value, "list": [value]}))
    assert not set("<>&") & set(text)
    assert json.loads(text) == {"name": value, "list": [value]}


def test_a_hostile_value_stays_inside_the_data() -> None:
    breakout = "</script><script>alert(6)</script>"
    evaluation = sample_evaluation()
    results = tuple(replace(r, message=breakout + r.message) for r in evaluation.results)
    vms = tuple(
        replace(vm, name=breakout) if vm.name == "vm-ok-01" else vm for vm in evaluation.vms
    )
    page = html.render(replace(evaluation, vms=vms, results=results), sample_info())
    assert breakout not in page
    parser = _Collect()
    parser.feed(page)
    assert len(parser.scripts) == 2
    data = report_data(page)
    assert breakout in {vm["n"] for vm in data["vms"]}
    messages = [f[3] for vm in data["vms"] for f in vm["f"]]
    assert messages and all(m.startswith(breakout) for m in messages)


def test_large_estate_renders_compactly() -> None:
    evaluation = sample_evaluation()
    many = tuple(
        replace(vm, name=f"vm-{i:05d}", id=f"{vm.id}-{i}")
        for i in range(2000)
        for vm in evaluation.vms[:1]
    )
    results = tuple(
        replace(r, vm=vm.name, vm_id=vm.id) for vm in many for r in evaluation.results[:1]
    )
    page = html.render(replace(evaluation, vms=many, results=results), sample_info())
    assert page.count('class="vm-row"') == 2000  # the table without JavaScript
    assert len(report_data(page)["vms"]) == 2000
    assert not report_data(page)["openNotReady"]
    assert page.count("<details") == len(evaluation.rules)  # VM blocks are built on demand
    assert len(page) < 2000 * 1000  # well under 1 kB per VM
