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
from pathlib import Path
from typing import Any

import pytest
from chromium import Chromium, Page, find_chromium
from gatekit import build

from asr_preflight.engine import Evaluation
from asr_preflight.reporters import RunInfo, write_reports

pytestmark = pytest.mark.browser

PAYLOADS = [
    "<img src=x onerror=\"document.title='pwned';window.__xss=1;alert(1)\">-bad",
    "<script>document.title='pwned';window.__xss=2</script>-old",
    '"><svg onload="window.__xss=3;alert(3)">-warn',
    "'onmouseover='window.__xss=4'-unk",
    "</textarea></title><script>window.__xss=5</script>",
]
NAMES = ["vm-ok-01", "vm-ok-02", "vm-bad-01", "vm-old-01", "vm-warn-01", "vm-unk-01", *PAYLOADS]
SCREENSHOT_ENV = "ASR_PREFLIGHT_SCREENSHOT"  # e.g. docs/report.png


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
    data = json.loads((directory / "results.json").read_text())
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
    assert page.eval("document.scripts.length") == 1  # the report's own
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
