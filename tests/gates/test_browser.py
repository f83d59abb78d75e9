"""report.html opened from disk in headless Chromium, with JavaScript on.

The page must show the counts results.json has, its filters must work, and nothing from the
estate (VM names, messages) may execute: the payloads below would set ``document.title``, write a
marker or open a dialog if they ran. Skips loudly without Chromium, except with CI=true.
"""

from __future__ import annotations

import json
import os
import struct
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from chromium import Chromium, Page, find_chromium
from gatekit import build

from asr_preflight.api import Outcome
from asr_preflight.engine import Evaluation
from asr_preflight.reporters import RunInfo, write_reports
from asr_preflight.reporters.json import as_v1

pytestmark = pytest.mark.browser

PAYLOADS = [
    "<img src=x onerror=\"document.title='pwned';window.__xss=1;alert(1)\">-bad",
    "<script>document.title='pwned';window.__xss=2</script>-old",
    '"><svg onload="window.__xss=3;alert(3)">-warn',
    "'onmouseover='window.__xss=4'-unk",
    "</textarea></title><script>window.__xss=5</script>",
    "</script><script>document.title='pwned';window.__xss=6;alert(6)</script>-bad",
]
NAMES = ["vm-ok-01", "vm-ok-02", "vm-bad-01", "vm-old-01", "vm-warn-01", "vm-unk-01", *PAYLOADS]
SCREENSHOT_ENV = "ASR_PREFLIGHT_SCREENSHOT"  # e.g. docs/report.png
TOOLS = Path(os.environ.get("ASR_NPM_TOOLS", Path(__file__).parents[2] / ".cache" / "npm-tools"))
AXE = TOOLS / "node_modules" / "axe-core" / "axe.min.js"
WCAG_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Chromium]:
    if find_chromium() is None:
        reason = (
            "BROWSER TESTS NOT RUN: headless Chromium is not installed "
            "(apt-get install chromium; `make test` installs it)"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}, and CI=true requires them")
        pytest.skip(reason)
    with Chromium.launch() as chromium:
        yield chromium


def write(
    evaluation: Evaluation, directory: Path, info: RunInfo | None = None
) -> tuple[Path, dict[str, Any]]:
    info = info or RunInfo(tool_version="test", generated_at="2026-11-25T00:00:00Z", source="test")
    write_reports(evaluation, info, ["html", "json"], directory)
    data = as_v1(json.loads((directory / "results.json").read_text()))  # results flat
    return directory / "report.html", data


@pytest.fixture(scope="module")
def report(
    browser: Chromium, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Page, dict[str, Any]]:
    path, data = write(build(NAMES), tmp_path_factory.mktemp("report"))
    page, _ = browser.open(path)
    return page, data


def count(page: Page, selector: str) -> int:
    value = page.eval(f"document.querySelector({json.dumps(selector)}).textContent.trim()")
    return int(value)


def test_the_counts_shown_match_results_json(report: tuple[Page, dict[str, Any]]) -> None:
    page, data = report
    assert count(page, "#count-vms") == len(data["vms"]) == len(NAMES)
    verdicts = Counter(vm["verdict"] for vm in data["vms"])
    for verdict in ("ready", "ready-with-conditions", "not-ready", "unknown"):
        assert count(page, f"#count-{verdict}") == verdicts[verdict], verdict
    outcomes = Counter(r["outcome"] for r in data["results"])
    for outcome in ("pass", "fail", "warn", "unknown", "skip", "waived"):
        assert count(page, f"#count-outcome-{outcome}") == outcomes[outcome], outcome
    assert page.eval("document.getElementById('run-verdict').dataset.verdict") == data["verdict"]
    rows = page.eval(
        "Array.from(document.querySelectorAll('tr.vm-row'), r => [r.dataset.vm, r.dataset.verdict])"
    )
    assert dict(rows) == {vm["name"]: vm["verdict"] for vm in data["vms"]}


def test_hostile_names_and_messages_execute_nothing(report: tuple[Page, dict[str, Any]]) -> None:
    page, data = report
    assert page.eval("document.title") == f"ASR readiness: {data['verdict_label']}"
    assert page.eval("typeof window.__xss") == "undefined"
    assert page.dialogs() == []
    # the payloads are there, as text: no element came out of them
    assert page.eval("document.querySelectorAll('img, svg, iframe, textarea').length") == 0
    # the report's own two: its data (JSON, never run) and its script
    assert page.eval("Array.from(document.scripts, s => s.type)") == ["application/json", ""]
    shown = page.eval("Array.from(document.querySelectorAll('tr.vm-row td a'), a => a.textContent)")
    assert set(PAYLOADS) <= set(shown)
    # hover and click everything: attribute-injected handlers would fire now
    page.eval(
        "document.querySelectorAll('*').forEach(e => {"
        " e.dispatchEvent(new MouseEvent('mouseover', {bubbles: true}));"
        " if (e.tagName === 'SUMMARY') e.click(); })"
    )
    assert page.eval("typeof window.__xss") == "undefined"
    assert page.dialogs() == []
    # the opened VM blocks and rules show the payloads as text (in messages and in links)
    messages = page.eval(
        "Array.from(document.querySelectorAll('tr.finding td:last-child'), td => td.textContent)"
    )
    breakout = PAYLOADS[-1]
    assert any(m.startswith(f"{breakout}: outbound to storage is blocked") for m in messages)
    affected = page.eval(
        "Array.from(document.querySelectorAll('p.affected a'), a => a.textContent)"
    )
    assert breakout in affected
    assert page.eval("document.querySelectorAll('img, svg, iframe, textarea').length") == 0
    assert page.eval("document.scripts.length") == 2
    assert page.eval("document.title") == f"ASR readiness: {data['verdict_label']}"


def _select(page: Page, element: str, value: str) -> int:
    page.eval(
        f"(() => {{ const s = document.getElementById({json.dumps(element)});"
        f" s.value = {json.dumps(value)}; s.dispatchEvent(new Event('change')); }})()"
    )
    return _shown(page)


def _shown(page: Page) -> int:
    shown = int(page.eval("document.getElementById('shown-count').textContent"))
    visible = page.eval("document.querySelectorAll('tr.vm-row:not([hidden])').length")
    assert shown == visible
    return shown


def test_filters_by_verdict_rule_and_text(report: tuple[Page, dict[str, Any]]) -> None:
    page, data = report
    verdicts = Counter(vm["verdict"] for vm in data["vms"])
    for verdict, n in verdicts.items():
        assert _select(page, "filter-verdict", verdict) == n
    assert _select(page, "filter-verdict", "") == len(data["vms"])
    with_finding = {
        r["vm"] for r in data["results"] if r["rule"] == "TST501" and r["outcome"] != "pass"
    }
    assert _select(page, "filter-rule", "TST501") == len(with_finding) > 0
    assert _select(page, "filter-rule", "") == len(data["vms"])
    page.eval(
        "(() => { const t = document.getElementById('filter-text'); t.value = 'vm-ok';"
        " t.dispatchEvent(new Event('input')); })()"
    )
    page.eval("new Promise(r => setTimeout(r, 400))")  # the search is debounced
    assert _shown(page) == 2
    page.eval(
        "(() => { const t = document.getElementById('filter-text'); t.value = '';"
        " t.dispatchEvent(new Event('input')); })()"
    )
    page.eval("new Promise(r => setTimeout(r, 400))")
    assert _shown(page) == len(data["vms"])


def test_groups_collapse_and_expand(report: tuple[Page, dict[str, Any]]) -> None:
    page, data = report
    page.eval("document.getElementById('collapse-all').click()")
    assert page.eval("document.querySelectorAll('details.vm[open]').length") == 0
    page.eval("document.getElementById('expand-all').click()")
    assert page.eval("document.querySelectorAll('details.vm[open]').length") == len(data["vms"])


def test_new_badges_hints_and_waiver_notes(browser: Chromium, tmp_path: Path) -> None:
    evaluation = build(["vm-ok-01", "vm-bad-01", "vm-unk-01", "vm-old-01"])
    results = tuple(
        replace(r, change="new")
        if r.vm == "vm-bad-01"
        else replace(r, outcome=Outcome.WAIVED, waiver="ticket CAB-7 <b>ok</b>")
        if r.vm == "vm-old-01" and r.outcome is Outcome.FAIL
        else r
        for r in evaluation.results
    )
    path, _ = write(replace(evaluation, results=results), tmp_path)
    page, _ = browser.open(path)
    page.eval("document.getElementById('expand-all').click()")
    new = page.eval(
        "Array.from(document.querySelectorAll('tr.finding span.change-new'),"
        " s => s.closest('details').dataset.vm)"
    )
    assert new == ["vm-bad-01"]
    notes = page.eval(
        "Array.from(document.querySelectorAll('tr.finding .hint'), d => d.textContent)"
    )
    assert "Waived: ticket CAB-7 <b>ok</b>" in notes
    assert any(n.startswith("Hint: ") for n in notes), notes  # the unknown one's hint
    assert page.eval("document.querySelectorAll('tr.finding b').length") == 0


def test_without_javascript_the_summary_and_verdict_table_remain(
    browser: Chromium, tmp_path: Path
) -> None:
    path, data = write(build(NAMES), tmp_path)
    page = browser.new_page()
    page.send("Emulation.setScriptExecutionDisabled", value=True)
    page.send("Page.navigate", url=path.resolve().as_uri())
    page.wait_for("Page.loadEventFired")
    assert count(page, "#count-vms") == len(data["vms"])
    assert count(page, "#count-not-ready") == sum(v["verdict"] == "not-ready" for v in data["vms"])
    rows = page.eval(
        "Array.from(document.querySelectorAll('tr.vm-row'),"
        " r => [r.cells[0].textContent, r.dataset.verdict, r.offsetHeight > 0])"
    )
    assert [r[:2] for r in rows] == [[vm["name"], vm["verdict"]] for vm in data["vms"]]
    assert all(visible for *_, visible in rows)
    assert "need JavaScript" in page.eval("document.querySelector('.nojs').textContent")
    # controls that would do nothing are not shown; the rules' documentation is
    assert page.eval("document.getElementById('filters').offsetHeight") == 0
    assert page.eval("document.querySelectorAll('details.rule .doc h3').length") > 0
    assert page.eval("document.querySelectorAll('img, svg, iframe, textarea').length") == 0


LARGE = 450  # more than one page (html.PAGE VMs)


@pytest.fixture(scope="module")
def large(
    browser: Chromium, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Page, dict[str, Any]]:
    names = [
        f"vm-{i:04d}{'-bad' if i % 7 == 0 else ''}{'-old' if i % 11 == 0 else ''}"
        for i in range(LARGE)
    ]
    path, data = write(build(names), tmp_path_factory.mktemp("large"))
    page, _ = browser.open(path)
    return page, data


def _rows(page: Page) -> int:
    return int(page.eval("document.querySelectorAll('tr.vm-row:not([hidden])').length"))


def test_a_large_report_shows_a_page_and_builds_details_on_demand(
    large: tuple[Page, dict[str, Any]],
) -> None:
    from asr_preflight.reporters.html import PAGE

    page, data = large
    assert count(page, "#shown-count") == LARGE == len(data["vms"])
    assert _rows(page) == PAGE
    assert page.eval("document.querySelectorAll('details.vm').length") == PAGE
    # nothing is open, so no finding was built yet
    assert page.eval("document.querySelectorAll('details.vm[open], tr.finding').length") == 0
    many = "document.getElementById('vm-blocks').classList.contains('many')"
    assert page.eval(many) is False  # off-screen blocks skip layout only beyond one page
    page.eval("document.getElementById('show-more').click()")
    assert _rows(page) == 2 * PAGE
    assert page.eval(many) is True
    page.eval("document.getElementById('show-all').click()")
    assert _rows(page) == LARGE
    assert page.eval("document.getElementById('show-more')") is None
    # filters work on the data: the count is every match, the page shows the first ones
    not_ready = sum(vm["verdict"] == "not-ready" for vm in data["vms"])
    assert _select_count(page, "filter-verdict", "not-ready") == not_ready
    assert _rows(page) == min(not_ready, PAGE)
    _select_count(page, "filter-verdict", "")
    old = {r["vm"] for r in data["results"] if r["rule"] == "TST501" and r["outcome"] == "fail"}
    assert _select_count(page, "filter-rule", "TST501") == len(old)
    _select_count(page, "filter-rule", "")
    assert _rows(page) == PAGE  # a filter change starts again from the first page


def _select_count(page: Page, element: str, value: str) -> int:
    page.eval(
        f"(() => {{ const s = document.getElementById({json.dumps(element)});"
        f" s.value = {json.dumps(value)}; s.dispatchEvent(new Event('change')); }})()"
    )
    return count(page, "#shown-count")


def test_the_rule_filter_hides_other_findings_of_open_vms(
    large: tuple[Page, dict[str, Any]],
) -> None:
    page, _ = large
    page.eval("document.getElementById('expand-all').click()")
    _select_count(page, "filter-rule", "TST501")
    shown = page.eval(
        "Array.from(document.querySelectorAll('tr.finding:not([hidden])'), r => r.dataset.rule)"
    )
    hidden = page.eval("document.querySelectorAll('tr.finding[hidden]').length")
    assert set(shown) == {"TST501"} and hidden > 0
    _select_count(page, "filter-rule", "")
    assert page.eval("document.querySelectorAll('tr.finding[hidden]').length") == 0
    page.eval("document.getElementById('collapse-all').click()")


def test_a_link_to_a_vm_beyond_the_page_shows_it(large: tuple[Page, dict[str, Any]]) -> None:
    page, data = large
    last_bad = max(i for i, vm in enumerate(data["vms"]) if "-bad" in vm["name"])
    assert last_bad >= 200
    page.eval("document.querySelector('#rule-TST201 summary').click()")
    links = page.eval(
        "Array.from(document.querySelectorAll('#rule-TST201 p.affected a'), a => a.textContent)"
    )
    assert links == [vm["name"] for vm in data["vms"] if "-bad" in vm["name"]]
    page.eval(
        f"document.querySelector('#rule-TST201 p.affected a[href=\"#vm-{last_bad}\"]').click()"
    )
    page.eval("new Promise(r => setTimeout(r, 100))")  # hashchange is asynchronous
    block = f"document.getElementById('vm-{last_bad}')"
    assert page.eval(f"{block}.open") is True
    assert page.eval(f"{block}.dataset.vm") == data["vms"][last_bad]["name"]
    assert page.eval(f"{block}.querySelectorAll('tr.finding[data-rule=TST201]').length") == 1


def test_a_screenshot_of_the_report(browser: Chromium, tmp_path: Path) -> None:
    target = os.environ.get(SCREENSHOT_ENV)
    evaluation, info = _demo_evaluation() or (build(NAMES[:6]), None)
    path, _ = write(evaluation, tmp_path, info)
    page, _ = browser.open(path)
    shot = page.screenshot(Path(target) if target else tmp_path / "report.png")
    head = shot.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", head[16:24])
    assert (width, height) == (1280, 900)


def _demo_evaluation() -> tuple[Evaluation, RunInfo] | None:
    """The bundled demo estate, once it exists (the README's screenshot shows it)."""
    try:
        from asr_preflight.demo import load_demo
    except ImportError:
        return None
    from asr_preflight.engine import evaluate, load_rules

    plan, snapshot = load_demo()
    return evaluate(snapshot, plan, load_rules()), RunInfo.of(snapshot, plan)


def _axe_source() -> str:
    if not AXE.exists():
        reason = (
            f"AXE-CORE ACCESSIBILITY CHECKS NOT RUN: {AXE} is missing "
            "(`make test` installs axe-core from npm)"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}, and CI=true requires them")
        pytest.skip(reason)
    return AXE.read_text(encoding="utf-8")


def _axe(page: Page, source: str) -> list[dict[str, Any]]:
    page.eval(source)
    options = json.dumps({"runOnly": {"type": "tag", "values": WCAG_A_AA}})
    found: list[dict[str, Any]] = page.eval(
        f"axe.run(document, {options}).then(r => r.violations.map(v => "
        "({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))})))",
        timeout=120,
    )
    return found


def test_axe_core_finds_no_wcag_a_or_aa_violation(browser: Chromium, tmp_path: Path) -> None:
    source = _axe_source()
    evaluation, info = _demo_evaluation() or (build(NAMES), None)
    path, _ = write(evaluation, tmp_path, info)
    page, _ = browser.open(path)
    page.eval("document.getElementById('expand-all').click()")  # findings built and shown
    page.eval("document.querySelector('details.rule').open = true")
    assert _axe(page, source) == []


def test_axe_core_itself_reports_a_broken_page(browser: Chromium, tmp_path: Path) -> None:
    source = _axe_source()
    path, _ = write(build(NAMES[:6]), tmp_path)
    page, _ = browser.open(path)
    page.eval("document.documentElement.removeAttribute('lang')")
    page.eval("document.getElementById('filter-text').removeAttribute('id')")
    assert "html-has-lang" in {v["id"] for v in _axe(page, source)}


def test_the_page_has_a_main_landmark_and_anchors_stop_below_the_sticky_bar(
    large: tuple[Page, dict[str, Any]],
) -> None:
    page, _ = large
    assert page.eval("document.querySelectorAll('main').length") == 1
    assert page.eval(
        "!!document.querySelector('main #summary') && !!document.querySelector('main #by-rule')"
    )
    page.eval("location.hash = '#rule-TST201'")
    page.eval("new Promise(r => setTimeout(r, 200))")
    top = page.eval("document.getElementById('rule-TST201').getBoundingClientRect().top")
    bar = page.eval("document.getElementById('filters').getBoundingClientRect().bottom")
    assert top >= bar  # not hidden under the sticky filter bar
    page.eval("location.hash = '#vm-3'")
    page.eval("new Promise(r => setTimeout(r, 200))")
    top = page.eval("document.getElementById('vm-3').getBoundingClientRect().top")
    assert top >= bar
    page.eval("location.hash = ''")
