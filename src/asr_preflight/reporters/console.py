"""The console report (rich): per-VM verdicts, the findings that matter, and a summary.

Safe for CI logs: without a terminal rich writes no colour or cursor codes, uses a fixed width,
and falls back to ASCII boxes when the output encoding is not UTF-8. Every value is a
:class:`rich.text.Text`, so a VM named ``[bold]x`` prints as written, and every value from the
estate or a rule goes through :func:`asr_preflight.printable.printable` (via :func:`_data`), so
an ESC sequence or a newline in a VM name is shown escaped, never obeyed, with or without a
terminal.

Large estates stay readable: past ``max_vm_rows`` VMs the table lists only the VMs that are
not Ready, and at most ``max_findings`` findings are printed (the files hold the rest).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from asr_preflight.api import Outcome
from asr_preflight.engine import Verdict
from asr_preflight.printable import printable

if TYPE_CHECKING:
    from asr_preflight.engine import Evaluation, Result
    from asr_preflight.reporters import RunInfo

VERDICT_STYLE = {
    Verdict.READY: "bold green",
    Verdict.CONDITIONS: "bold yellow",
    Verdict.NOT_READY: "bold red",
    Verdict.UNKNOWN: "bold magenta",
}
OUTCOME_STYLE = {
    Outcome.FAIL: "red",
    Outcome.UNKNOWN: "magenta",
    Outcome.WARN: "yellow",
    Outcome.WAIVED: "dim",
    Outcome.SKIP: "dim",
    Outcome.PASS: "green",
}
SHOWN = (Outcome.FAIL, Outcome.UNKNOWN, Outcome.WARN)
_RANK = {o: i for i, o in enumerate(SHOWN)}
EXIT_MEANINGS = {
    0: "every VM Ready",
    1: "at least one VM Not ready",
    2: "usage or plan error (nothing was checked)",
    3: "readiness unknown for at least one VM",
    4: "warnings only, with --strict",
    5: "internal error",
}


def make_console(file: TextIO | None = None, *, stderr: bool = False) -> Console:
    """A console for our output; without a terminal, a fixed, wide width and no colour."""
    stream = file or (sys.stderr if stderr else sys.stdout)
    isatty = hasattr(stream, "isatty") and stream.isatty()
    width = None if isatty or os.environ.get("COLUMNS") else 120
    return Console(file=stream, width=width, highlight=False, soft_wrap=False)


def _data(text: object, style: str = "") -> Text:
    """Text from the estate, a rule or the file system: control characters escaped."""
    return Text(printable(text), style=style)


def render(
    evaluation: Evaluation,
    info: RunInfo,
    written: Sequence[Path] = (),
    *,
    exit_code: int | None = None,
    console: Console | None = None,
    max_vm_rows: int = 200,
    max_findings: int = 200,
) -> None:
    out = console or make_console()
    if out.is_terminal:
        _report(out, evaluation, info, written, exit_code, max_vm_rows, max_findings)
        return
    # A log file: the same text without the padding rich adds to the right of table cells.
    with out.capture() as captured:
        _report(out, evaluation, info, written, exit_code, max_vm_rows, max_findings)
    text = "".join(f"{line.rstrip()}\n" for line in captured.get().splitlines())
    encoding = getattr(out.file, "encoding", None) or "utf-8"
    out.file.write(text.encode(encoding, errors="replace").decode(encoding))  # e.g. an ASCII log
    out.file.flush()


def _report(
    out: Console,
    evaluation: Evaluation,
    info: RunInfo,
    written: Sequence[Path],
    exit_code: int | None,
    max_vm_rows: int,
    max_findings: int,
) -> None:
    _vm_table(out, evaluation, max_vm_rows)
    _findings(out, evaluation, max_findings)
    _summary(out, evaluation, info, written, exit_code)


def _vm_table(out: Console, evaluation: Evaluation, max_rows: int) -> None:
    vms = list(evaluation.vms)
    hidden = 0
    if len(vms) > max_rows:
        shown = [vm for vm in vms if vm.verdict is not Verdict.READY]
        hidden = len(vms) - len(shown)
        vms = shown[:max_rows]
        hidden += len(shown) - len(vms)
    table = Table(title="ASR readiness by VM", title_justify="left", show_edge=False)
    table.add_column("VM", no_wrap=True)
    table.add_column("Verdict", no_wrap=True)
    for outcome in (*SHOWN, Outcome.WAIVED):
        table.add_column(outcome.value, justify="right")
    for vm in vms:
        table.add_row(
            _data(vm.name),
            Text(vm.verdict.label, style=VERDICT_STYLE[vm.verdict]),
            *(_count(vm.counts.get(o, 0), o) for o in (*SHOWN, Outcome.WAIVED)),
        )
    out.print(table)
    if hidden:
        out.print(Text(f"... {hidden} more VMs not listed (Ready ones are left out first)"))


def _count(n: int, outcome: Outcome) -> Text:
    return Text(str(n), style=OUTCOME_STYLE[outcome] if n else "dim")


def _findings(out: Console, evaluation: Evaluation, limit: int) -> None:
    by_vm: dict[str, list[Result]] = {}
    for result in evaluation.results:
        if result.outcome in _RANK:
            by_vm.setdefault(result.vm_id, []).append(result)
    if not by_vm:
        return
    out.print()
    printed = 0
    total = sum(len(v) for v in by_vm.values())
    for vm in evaluation.vms:
        mine = sorted(by_vm.get(vm.id, ()), key=lambda r: (_RANK[r.outcome], r.rule, r.target))
        if not mine or printed >= limit:
            continue
        verdict = (vm.verdict.label, VERDICT_STYLE[vm.verdict])
        out.print(Text.assemble(_data(vm.name, "bold"), "  ", verdict))
        grid = Table.grid(padding=(0, 1))
        grid.add_column(width=1)
        grid.add_column(no_wrap=True, min_width=7)
        grid.add_column()
        for result in mine[: limit - printed]:
            text = _data(f"{result.rule} {result.name}: ")
            if result.change == "new":
                text = Text.assemble(("NEW ", "bold"), text)  # against --baseline (docs/gates.md)
            text.append(printable(result.message))
            if result.hint:
                text.append(f"\nhint: {printable(result.hint)}", style="dim")
            outcome = Text(result.outcome.value.upper(), style=OUTCOME_STYLE[result.outcome])
            grid.add_row("", outcome, text)
            printed += 1
        out.print(grid)
    if total > printed:
        out.print(Text(f"... {total - printed} more findings in the report files"))


def _sarif_note(out: Console, evaluation: Evaluation) -> None:
    from asr_preflight.reporters import sarif

    grouping = sarif.grouping_of(evaluation)
    if grouping is not None:
        out.print(
            Text(
                f"note: results.sarif has one result per {grouping} (more than "
                f"{sarif.MAX_RESULTS:,} problems, GitHub code scanning's limit per run); "
                "each lists its VMs, results.json has every result",
                style="yellow",
            )
        )


def _summary(
    out: Console,
    evaluation: Evaluation,
    info: RunInfo,
    written: Sequence[Path],
    exit_code: int | None,
) -> None:
    out.print()
    verdicts = {v: 0 for v in Verdict}
    for vm in evaluation.vms:
        verdicts[vm.verdict] += 1
    counts = ", ".join(f"{n} {v.label}" for v, n in verdicts.items() if n)
    region = printable(info.target_region or "?")
    out.print(Text(f"{len(evaluation.vms)} VMs checked against {region}: {counts or 'none'}"))
    for error in evaluation.rule_errors:
        out.print(_data(f"rule error (a bug, results unknown): {error}", "red"))
    for note in evaluation.notes:  # waivers and the baseline comparison, among others
        out.print(_data(f"note: {note}", "yellow"))
    for path in written:
        out.print(_data(f"wrote {path}"))
        if path.name == "results.sarif":
            _sarif_note(out, evaluation)
    line = Text("Run verdict: ")
    line.append(evaluation.verdict.label, style=VERDICT_STYLE[evaluation.verdict])
    if exit_code is not None:
        meaning = EXIT_MEANINGS.get(exit_code, "?")
        if exit_code == 0 and evaluation.verdict is not Verdict.READY:
            meaning = "nothing the gate counts (--fail-on, --fail-on-new; docs/gates.md)"
        line.append(f" (exit code {exit_code}: {meaning})")
    out.print(line)
