"""The Markdown summary: verdict and tables, rendered safely whatever the VM names contain."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from gatekit import build
from markdown_it import MarkdownIt

from asr_preflight.baseline import mark, scan_of
from asr_preflight.reporters import markdown

EVIL = [
    "<img src=x onerror=alert(1)>",
    "<script>document.title='pwned'</script>",
    "vm|bad|cell",
    "[click](javascript:alert(1))",
    "**bold**_`code`",
]

md = MarkdownIt("commonmark").enable("table")


def html_of(text: str) -> str:
    return md.render(text)


def test_summary_has_verdict_counts_and_tables(tmp_path: Path) -> None:
    ev = build(["vm-ok", "vm-bad", "vm-warn", "vm-unk", "vm-old"])
    path = markdown.write(ev, tmp_path)
    assert path.name == "summary.md"
    text = path.read_text()
    assert text.startswith("## ❌ Azure Site Recovery readiness: Not ready\n")
    assert (
        "**5 VMs**: 1 Ready · 1 Ready with conditions · 1 Readiness unknown · 2 Not ready" in text
    )
    html = html_of(text)
    assert html.count("<table>") == 3
    # the per-VM table lists worst first
    rows = [line for line in text.splitlines() if line.startswith("| vm")]
    assert [r.split("|")[1].strip() for r in rows[:5]] == [
        r"vm\-bad",
        r"vm\-old",
        r"vm\-unk",
        r"vm\-warn",
        r"vm\-ok",
    ]


@pytest.mark.parametrize("name", EVIL)
def test_hostile_names_render_as_text(name: str) -> None:
    ev = replace(build([f"{name} bad"]), notes=(f"waiver for {name}",))
    text = markdown.render(ev)
    html = html_of(text)
    assert "<img" not in html and "<script" not in html and "<a " not in html
    assert html.count("<strong>") == 1 and "<code>" not in html  # only our own bold count
    # every table row keeps its column count: a `|` in a name does not split cells
    for table in html.split("<table>")[1:]:
        first = table.split("</tr>")[0]
        head = first.count("<th>") + first.count("<th ")
        for row in table.split("<tbody>")[1].split("</tr>")[:-1]:
            assert row.count("<td") == head
    # and the name is still readable
    assert name.replace("<", "&lt;").replace(">", "&gt;").split()[0] in html or "vm|bad" in html


def test_large_estates_are_capped() -> None:
    ev = build([f"vm-{i:05d}-bad" for i in range(300)])
    text = markdown.render(ev, max_vms=50, max_findings=20)
    assert "… and 250 more VMs (250 Not ready)." in text
    assert "… and 280 more; see the HTML report or results.json." in text
    assert len(text) < 65536


def test_baseline_changes_are_shown_new_first() -> None:
    ev, _ = mark(build(["vm-a-bad", "vm-b-bad"]), scan_of(build(["vm-b-bad"])))
    text = markdown.render(ev)
    assert "Against the baseline: **1 new** problem(s), 1 unchanged, 0 fixed." in text
    findings = text.split("### Top findings")[1].splitlines()
    assert findings[4].startswith("| new | fail |") and "vm\\-a\\-bad" in findings[4]
    assert findings[5].startswith("| unchanged | fail |")
