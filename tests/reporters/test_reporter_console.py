from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path
from typing import Any

from asr_preflight.engine import Evaluation
from asr_preflight.reporters import console
from reporting_sample import HOSTILE, sample_evaluation, sample_info


def _render(evaluation: Evaluation | None = None, **kwargs: Any) -> str:
    buffer = io.StringIO()  # not a TTY, as in a CI log
    out = console.make_console(buffer)
    console.render(evaluation or sample_evaluation(), sample_info(), console=out, **kwargs)
    return buffer.getvalue()


def test_non_tty_output_is_plain_text() -> None:
    text = _render(written=[Path("reports/results.xml")], exit_code=1)
    assert "\x1b" not in text
    assert "vm-fail-01" in text and "Not ready" in text
    assert "wrote reports/results.xml" in text
    assert "Run verdict: Not ready (exit code 1: at least one VM Not ready)" in text
    assert max(len(line) for line in text.splitlines()) <= 120
    assert all(line == line.rstrip() for line in text.splitlines())  # no cell padding in logs


def test_findings_listed_per_vm_with_hints_but_not_passes() -> None:
    text = _render()
    assert "FAIL    TST201 scripted-network: vm-fail-01: TST201 failed <b>badly</b>" in text
    assert "hint: fix vm-fail-01" in text
    assert "UNKNOWN TST401" in text
    assert "is fine" not in text  # passes are counted, not listed


def test_markup_in_names_is_printed_literally() -> None:
    evaluation = sample_evaluation()
    vm = evaluation.vms[2]
    renamed = replace(vm, name="[bold red]vm[/]")
    vms = tuple(renamed if v is vm else v for v in evaluation.vms)
    text = _render(replace(evaluation, vms=vms))
    assert "[bold red]vm[/]" in text
    assert HOSTILE in text


def test_large_estates_are_truncated() -> None:
    evaluation = sample_evaluation()
    text = _render(evaluation, max_vm_rows=2, max_findings=2)
    assert "more VMs not listed" in text
    assert "more findings in the report files" in text
    assert "vm-ok-01" not in text.split("Run verdict")[0].split("more VMs")[0]


def test_summary_names_counts() -> None:
    text = _render()
    assert "5 VMs checked against westus2" in text
    assert "1 Ready" in text and "2 Not ready" in text and "1 Readiness unknown" in text


def test_an_ascii_log_gets_ascii_boxes_and_no_encoding_error() -> None:
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii")
    evaluation = sample_evaluation()
    vms = tuple(replace(vm, name=f"{vm.name} …") for vm in evaluation.vms)
    out = console.make_console(stream)
    console.render(replace(evaluation, vms=vms), sample_info(), console=out)
    stream.flush()
    text = raw.getvalue().decode("ascii")
    assert "vm-fail-01 ?" in text and "Run verdict: Not ready" in text
