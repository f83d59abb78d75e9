"""How usable is report.html for a large estate? Render it, open it in headless Chromium, filter.

    python bench/report_html.py [--vms 10000] [--rules 25] [--runs 3] [--keep DIR]

Builds a synthetic evaluation (deterministic outcome mix: ~85 % pass, 5 % fail, 4 % warn,
3 % unknown, 3 % skip), writes report.html with the real reporter, then measures in Debian's
headless Chromium (fresh profile per run): navigation to the load event plus two animation
frames ("load"), the browser's own DOMContentLoaded and load timings, and each filter (verdict,
rule, text search including its 150 ms debounce) and expand-all; then the worst case a reader
can ask for: "Show all" VMs and expand all of them (both timed to the next frame after a forced
layout). Target: load <= 3 s. Prints a table; never run as a test.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "gates"))

from chromium import Chromium, Page, find_chromium

from asr_preflight.api import Outcome, Rule, RuleKind, Severity
from asr_preflight.engine import Evaluation, Result, Verdict, VmVerdict
from asr_preflight.reporters import RunInfo, write_reports
from asr_preflight.testing import vm_id
from asr_preflight.waivers import recompute

AREAS = ("0", "1", "2", "3", "4", "5")
DOC = """{title}

## What it checks
Synthetic rule {code} for the HTML benchmark: it looks at one property of each VM.

## Why it matters
Large estates produce large reports; the page must stay usable.

## How to fix
Nothing to fix: this rule only exists in the benchmark.

## References
- https://learn.microsoft.com/azure/site-recovery/azure-to-azure-support-matrix
"""


MIX = (
    (5, Outcome.FAIL),
    (9, Outcome.WARN),
    (12, Outcome.UNKNOWN),
    (15, Outcome.SKIP),
    (100, Outcome.PASS),
)


def _noop() -> None:
    return None


def synthetic(vms: int, rules: int) -> Evaluation:
    catalogue = []
    for j in range(rules):
        code = f"BEN{AREAS[j % len(AREAS)]}{j:02d}"
        title = f"Synthetic benchmark rule number {j}."
        severity = Severity.FAIL if j % 3 else Severity.WARN
        catalogue.append(
            Rule(
                code,
                f"bench-rule-{j}",
                severity,
                RuleKind.VM,
                _noop,
                DOC.format(title=title, code=code),
                title,
            )
        )
    results = []
    names = []
    for i in range(vms):
        name = f"vm-{['web', 'app', 'db', 'sap', 'win'][i % 5]}-{i:05d}"
        rid = vm_id(name, f"rg-bench-{i % 40:02d}")
        names.append((name, rid))
        for rule in catalogue:
            roll = int(
                hashlib.blake2b(f"{name}{rule.code}".encode(), digest_size=2).hexdigest(), 16
            )
            p = roll % 100
            outcome = next(o for limit, o in MIX if p < limit)
            results.append(
                Result(
                    rule=rule.code,
                    name=rule.name,
                    area=rule.area,
                    severity=rule.severity,
                    vm=name,
                    vm_id=rid,
                    target=rid,
                    outcome=outcome,
                    message=f"{name}: synthetic observation {roll} for {rule.code}; "
                    "the expected value is documented in the rule",
                    hint="re-run collect" if outcome is Outcome.UNKNOWN else "",
                )
            )
    stub = Evaluation(
        Verdict.UNKNOWN,
        tuple(VmVerdict(n, rid, Verdict.UNKNOWN, {}) for n, rid in names),
        (),
        tuple(catalogue),
    )
    return recompute(stub, results)


JS_SELECT = (
    "(() => {{ const s = document.getElementById('{id}'); s.value = '{value}';"
    " const t0 = performance.now(); s.dispatchEvent(new Event('change'));"
    " return new Promise(r => requestAnimationFrame(() => r(performance.now() - t0))); }})()"
)
JS_TEXT = (
    "(() => { const t = document.getElementById('filter-text'); const shown ="
    " document.getElementById('shown-count'); const before = shown.textContent;"
    " const t0 = performance.now(); t.value = '{value}'; t.dispatchEvent(new Event('input'));"
    " return new Promise(r => { const poll = () => shown.textContent !== before"
    " ? requestAnimationFrame(() => r(performance.now() - t0)) : setTimeout(poll, 5); poll(); });"
    " })()"
)
JS_CLICK = (
    "(() => {{ const t0 = performance.now(); document.getElementById('{id}').click();"
    " return new Promise(r => requestAnimationFrame(() => r(performance.now() - t0))); }})()"
)
JS_CLICK_LAYOUT = (
    "(() => {{ const b = document.getElementById('{id}'); if (!b) return null;"
    " const t0 = performance.now(); b.click(); void document.body.offsetHeight;"
    " return new Promise(r => requestAnimationFrame(() => r(performance.now() - t0))); }})()"
)
JS_TIMING = (
    "(() => { const n = performance.getEntriesByType('navigation')[0];"
    " return [n.domContentLoadedEventEnd, n.loadEventEnd]; })()"
)


def measure(page: Page, rule_code: str) -> dict[str, float]:
    dcl, load = page.eval(JS_TIMING)
    metrics = page.metrics()
    out = {
        "DOMContentLoaded (browser)": dcl / 1000,
        "load event (browser)": load / 1000,
        "main-thread busy until load (CPU)": metrics.get("TaskDuration", float("nan")),
        "  of which layout + style": metrics.get("LayoutDuration", 0.0)
        + metrics.get("RecalcStyleDuration", 0.0),
        "  of which script": metrics.get("ScriptDuration", float("nan")),
    }
    out["filter: verdict = not-ready"] = (
        page.eval(JS_SELECT.format(id="filter-verdict", value="not-ready")) / 1000
    )
    out["filter: verdict = all"] = page.eval(JS_SELECT.format(id="filter-verdict", value="")) / 1000
    out[f"filter: rule = {rule_code}"] = (
        page.eval(JS_SELECT.format(id="filter-rule", value=rule_code)) / 1000
    )
    page.eval(JS_SELECT.format(id="filter-rule", value=""))
    out["filter: text (incl. 150 ms debounce)"] = (
        page.eval(JS_TEXT.replace("{value}", "vm-db-0001")) / 1000
    )
    out["expand all"] = page.eval(JS_CLICK.format(id="expand-all")) / 1000
    out["collapse all"] = page.eval(JS_CLICK.format(id="collapse-all")) / 1000
    # the worst a reader can ask for: every VM on the page, then every VM open (with layout)
    page.eval(JS_TEXT.replace("{value}", ""))
    shown = page.eval(JS_CLICK_LAYOUT.format(id="show-all"), timeout=300)
    if shown is not None:
        out["show all VMs (incl. layout)"] = shown / 1000
        expanded = page.eval(JS_CLICK_LAYOUT.format(id="expand-all"), timeout=300)
        out["  then expand all (incl. layout)"] = expanded / 1000
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vms", type=int, default=10_000)
    parser.add_argument("--rules", type=int, default=25)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="write the report into this folder")
    args = parser.parse_args()
    if find_chromium() is None:
        print("chromium is not installed (apt-get install chromium)", file=sys.stderr)
        return 2

    started = time.perf_counter()
    evaluation = synthetic(args.vms, args.rules)
    built = time.perf_counter() - started
    folder = args.keep or Path(tempfile.mkdtemp(prefix="asr-bench-html-"))
    info = RunInfo(tool_version="bench", generated_at="2026-11-25T00:00:00Z", source="bench")
    started = time.perf_counter()
    write_reports(evaluation, info, ["html"], folder)
    rendered = time.perf_counter() - started
    path = folder / "report.html"
    size = path.stat().st_size

    loads: list[float] = []
    node_counts: list[float] = []
    rows: dict[str, list[float]] = {}
    for _ in range(args.runs):
        with Chromium.launch() as browser:
            page, seconds = browser.open(path, timeout=300)
            loads.append(seconds)
            node_counts.append(page.metrics().get("Nodes", 0.0))
            for key, value in measure(page, evaluation.rules[1].code).items():
                rows.setdefault(key, []).append(value)

    problems = sum(1 for r in evaluation.results if r.outcome is not Outcome.PASS)
    print(
        f"report.html: {args.vms} VMs x {args.rules} rules = {len(evaluation.results)} results "
        f"({problems} not pass), {size / 1e6:.1f} MB; median of {args.runs} run(s), "
        "a fresh browser each"
    )
    print()
    print(f"| {'step':<40} | {'seconds':>8} |")
    print(f"|{'-' * 42}|{'-' * 10}:|")
    print(f"| {'build the evaluation (Python)':<40} | {built:>8.2f} |")
    print(f"| {'render + write report.html (Python)':<40} | {rendered:>8.2f} |")
    median = statistics.median(loads)
    print(f"| {'load: navigate -> load + 2 frames':<40} | {median:>8.2f} |")
    for key, values in rows.items():
        print(f"| {key:<40} | {statistics.median(values):>8.2f} |")
    verdict = "meets" if median <= 3.0 else "MISSES"
    nodes = statistics.median(node_counts)
    print(
        f"\nDOM nodes: {nodes:.0f}; load average during the run: {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} CPUs (wall-clock times include waiting for the CPU)"
    )
    print(f"load {median:.2f} s {verdict} the 3 s target")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
