"""The command line: a thin Typer shell over the library (DESIGN.md §3).

Every command loads, calls the library, writes, and maps the outcome to an exit code. How errors
end a command is :mod:`.cli_errors`; the options ``check``, ``collect`` and ``demo`` share are
declared once in :mod:`.cli_options`; ``diff`` and ``waivers`` are :mod:`.cli_gates`, ``rules``
is :mod:`.cli_rules`; the collection's progress bar is :mod:`.cli_progress`.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from asr_preflight import __version__, cli_gates, cli_init, cli_rules
from asr_preflight.cli_errors import (
    DEBUG_ENV,
    ISSUES_FALLBACK,
    GuardedGroup,
    UsageProblem,
    issues_url,
    run_guarded,
)
from asr_preflight.cli_help import Command
from asr_preflight.cli_options import (
    CloudName,
    CollectFlags,
    GateFlags,
    OutputDirOpt,
    PlanOpt,
    ReportFlags,
    RuleFlags,
    flag_groups,
)

if TYPE_CHECKING:
    from asr_preflight.engine import Chosen
    from asr_preflight.gate import Gates
    from asr_preflight.options import CollectOptions
    from asr_preflight.plan import Plan
    from asr_preflight.snapshot import Snapshot

__all__ = [
    "DEBUG_ENV",
    "ISSUES_FALLBACK",
    "CloudName",
    "UsageProblem",
    "app",
    "evaluate_and_report",
    "issues_url",
    "load_demo",
    "load_gates",
    "main",
    "run_guarded",
]

app = typer.Typer(
    cls=GuardedGroup,
    name="asr-preflight",
    help="Will Azure Site Recovery replication of these VMs to that region work? Read-only.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
cli_rules.register(app)  # `rules list`, `rules packs` and `rules explain`
cli_gates.register(app)  # `diff` and `waivers check` (docs/gates.md)
cli_init.register(app)  # `init` (a commented plan from a read-only survey)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"asr-preflight {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Pre-flight readiness checks for Azure Site Recovery (Azure-to-Azure)."""


def _collect(plan: Plan, options: CollectOptions) -> Snapshot:
    """Collect with a progress bar on stderr when it is a terminal."""
    from dataclasses import replace

    from asr_preflight.cli_progress import console_progress
    from asr_preflight.collect import collect

    with console_progress(sys.stderr.isatty()) as progress:
        return collect(plan, replace(options, progress=progress))


def choose_rules(plan: Plan, flags: RuleFlags | None = None) -> Chosen:
    """The rules the run evaluates (installed packs, ``[plugins]``, ``[rules]`` and the flags),
    checked before anything is collected: exit 2 for a required pack that failed or a selector
    that matches no rule."""
    from asr_preflight import engine
    from asr_preflight.packs import split_codes

    flags = flags or RuleFlags()
    return engine.choose_rules(
        plan,
        select=split_codes(flags.select or ()),
        ignore=split_codes(flags.ignore or ()),
        require=split_codes(flags.require_pack or ()),
    )


def _trimmed(options: CollectOptions, chosen: Chosen) -> CollectOptions:
    """Gather nothing only ignored rules would read: no guest probes when no guest rule (x3xx)
    runs, no ASR eligibility calls when ASR009 does not run."""
    from dataclasses import replace

    from asr_preflight.api import Area

    if options.guests.enabled and not any(r.area is Area.GUEST for r in chosen.rules):
        options = replace(options, guests=replace(options.guests, enabled=False))
    if options.azure.eligibility and not any(r.code == "ASR009" for r in chosen.rules):
        options = replace(options, azure=replace(options.azure, eligibility=False))
    return options


def _with_selection(plan: Plan, flags: RuleFlags) -> Plan:
    """The plan as a snapshot records it: ``--select``/``--ignore`` folded into ``[rules]``, so
    that ``check --snapshot`` evaluates what was collected for."""
    from asr_preflight.packs import split_codes

    select, ignore = split_codes(flags.select or ()), split_codes(flags.ignore or ())
    if not (select or ignore):
        return plan
    rules = plan.rules.model_copy(
        update={
            "select": [s.upper() for s in select] or plan.rules.select,
            "ignore": [*plan.rules.ignore, *(s.upper() for s in ignore)],
        }
    )
    return plan.model_copy(update={"rules": rules})


def _load_plan(path: Path) -> Plan:
    from asr_preflight.plan import load_plan

    return load_plan(path)


def load_gates(
    plan: Plan,
    plan_path: Path | None,
    waivers: Path | None,
    baseline: Path | None,
    fail_on: Sequence[str] | None,
    strict: bool,
    fail_on_new: bool,
) -> Gates:
    """Waivers, baseline and gate options, validated before anything is collected."""
    from asr_preflight.gate import Gates

    return Gates.load(
        plan_waivers=plan.waivers,
        plan_source=str(plan_path) if plan_path else "plan",
        waivers_file=waivers,
        baseline=baseline,
        fail_on=fail_on or (),
        strict=strict,
        fail_on_new=fail_on_new,
    )


def _gates(plan: Plan, plan_path: Path | None, gate: GateFlags, report: ReportFlags) -> Gates:
    return load_gates(
        plan, plan_path, gate.waivers, gate.baseline, gate.fail_on, report.strict, gate.fail_on_new
    )


def evaluate_and_report(
    snapshot: Snapshot,
    plan: Plan,
    formats: str,
    output_dir: Path,
    strict: bool,
    gates: Gates | None = None,
    plan_path: Path | None = None,
    *,
    report: ReportFlags | None = None,
    snapshot_path: Path | None = None,
    plan_source: tuple[str, str] | None = None,
    rules: Chosen | None = None,
) -> int:
    """Evaluate, apply waivers and the baseline, write the reports, print the console report;
    the run's exit code (the gate's, see docs/gates.md). ``plan_source`` is (uri, text) of a
    plan that is not a file here (the demo's), for SARIF's locations."""
    from dataclasses import replace

    from asr_preflight import engine
    from asr_preflight.gate import Gates, junit_warnings_mode
    from asr_preflight.reporters import CONSOLE, RunInfo, parse_formats, sarif, write_reports

    chosen = parse_formats(formats)
    gates = gates or Gates.load(strict=strict)
    rules = rules or choose_rules(plan)
    evaluation = engine.evaluate(snapshot, plan, rules.rules, incomplete=rules.incomplete)
    run = gates.apply(evaluation)
    evaluation = run.evaluation
    plan_uri, plan_text = plan_source or (None, None)
    if plan_path is not None:
        plan_uri = sarif.plan_uri_of(plan_path)
        with contextlib.suppress(OSError, UnicodeDecodeError):  # read once already: lines only
            plan_text = plan_path.read_text(encoding="utf-8")
    info = replace(
        RunInfo.of(snapshot, plan, strict=strict),
        plan_path=plan_uri,
        plan_lines=sarif.plan_lines(plan_text) if plan_text is not None else None,
        snapshot_path=sarif.plan_uri_of(snapshot_path) if snapshot_path is not None else None,
        junit_warnings=junit_warnings_mode(
            str(report.junit_warnings) if report and report.junit_warnings else None, run.gated
        ),
        sarif_category=report.sarif_category if report else None,
    )
    code = run.exit_code
    written = write_reports(evaluation, info, chosen, output_dir)
    if CONSOLE in chosen:
        from asr_preflight.reporters import console

        console.render(evaluation, info, written, exit_code=code)
    return code


@app.command(cls=Command)
@flag_groups
def check(
    plan: PlanOpt = None,
    snapshot: Annotated[
        Path | None,
        typer.Option("--snapshot", help="Evaluate a snapshot from `collect` (no Azure calls)."),
    ] = None,
    output_dir: OutputDirOpt = Path("reports"),
    *,
    report: ReportFlags,
    collection: CollectFlags,
    gate: GateFlags,
    selection: RuleFlags,
) -> int:
    """Collect (or load) the facts, evaluate every rule, write the reports."""
    from asr_preflight.reporters import parse_formats
    from asr_preflight.snapshot import load_snapshot

    parse_formats(report.format)  # a bad --format fails before any collection
    if snapshot is not None:
        facts = load_snapshot(snapshot)
        intent = _load_plan(plan) if plan is not None else facts.plan
        if intent is None:
            raise UsageProblem(f"{snapshot} holds no plan; pass --plan FILE")
        gates = _gates(intent, plan, gate, report)
        chosen = choose_rules(intent, selection)
        _prepare_dir(output_dir)
    elif plan is not None:
        intent = _load_plan(plan)
        gates = _gates(intent, plan, gate, report)
        chosen = choose_rules(intent, selection)  # before collecting, not after
        _prepare_dir(output_dir)
        facts = _collect(intent, _trimmed(collection.options(), chosen))
    else:
        raise UsageProblem("check needs --plan FILE (to collect) or --snapshot FILE (offline)")
    return evaluate_and_report(
        facts, intent, report.format, output_dir, report.strict, gates, plan,
        report=report, snapshot_path=snapshot, rules=chosen,
    )  # fmt: skip


@app.command(cls=Command)
@flag_groups
def collect(
    plan: Annotated[Path, typer.Option("--plan", help="The plan file (TOML).")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the snapshot (JSON).")],
    record: Annotated[
        Path | None,
        typer.Option(
            "--record",
            metavar="DIR",
            help="Also write every ARM answer received (no header, token or secret) into DIR, "
            "for a bug report (docs/azure.md).",
        ),
    ] = None,
    record_pseudonymise: Annotated[
        bool,
        typer.Option(
            "--record-pseudonymise",
            help="In the recording, replace subscription and tenant ids by consistent pseudonyms.",
        ),
    ] = False,
    *,
    collection: CollectFlags,
    selection: RuleFlags,
) -> int:
    """Gather the facts only, into a snapshot for `check --snapshot`."""
    from dataclasses import replace

    from asr_preflight import fsutil
    from asr_preflight.snapshot import snapshot_to_json

    intent = _load_plan(plan)
    chosen = choose_rules(intent, selection)  # a bad selector or a required pack: exit 2 now
    for note in chosen.incomplete:  # `check --snapshot` will say it again in every report
        sys.stderr.write(f"warning: {' '.join(note.split())}\n")
    _prepare_dir(out.parent, "--out")  # before collecting, not after
    options = _trimmed(collection.options(), chosen)
    if record_pseudonymise and record is None:
        raise UsageProblem("--record-pseudonymise needs --record DIR")
    if record is not None:
        _prepare_dir(record, "--record")
        azure = replace(options.azure, record=record, record_pseudonymise=record_pseudonymise)
        options = replace(options, azure=azure)
    facts = _collect(intent, options)
    if selection.select or selection.ignore:
        facts = replace(facts, plan=_with_selection(facts.plan or intent, selection))
    fsutil.write_text(out, snapshot_to_json(facts))
    gaps = len(facts.errors)
    sys.stdout.write(
        f"wrote {out}: {len(facts.vms)} VMs, {gaps} collection error{'' if gaps == 1 else 's'}"
        " (the rules that need those facts will say unknown)\n"
    )
    if record is not None:
        sys.stdout.write(f"recorded the ARM answers in {record} (docs/azure.md: sharing one)\n")
    return 0


def load_demo() -> tuple[Plan, Snapshot]:
    """The bundled demo estate (``asr_preflight.demo.load_demo``)."""
    demo = importlib.import_module("asr_preflight.demo")
    loaded: tuple[Plan, Snapshot] = demo.load_demo()
    return loaded


def _prepare_dir(directory: Path, option: str = "--output-dir") -> None:
    """Create ``directory`` and prove it writable before any work: a usage error naming the
    option and the directory, not a temporary file's name after minutes of collection."""
    from asr_preflight import fsutil

    try:
        fsutil.ensure_writable_dir(directory)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        if isinstance(exc, FileExistsError) or (directory.exists() and not directory.is_dir()):
            reason = "it is a file, not a directory"
        raise UsageProblem(f"{option} {directory}: cannot write there ({reason})") from exc


@app.command(cls=Command)
@flag_groups
def demo(
    output_dir: OutputDirOpt = Path("reports/demo"),
    *,
    report: ReportFlags,
    gate: GateFlags,
    selection: RuleFlags,
) -> int:
    """Check the bundled, fictional demo estate (no Azure needed)."""
    from asr_preflight.reporters import parse_formats

    parse_formats(report.format)
    intent, facts = load_demo()
    gates = _gates(intent, None, gate, report)
    chosen = choose_rules(intent, selection)
    _prepare_dir(output_dir)
    source = ("demo/plan.toml", importlib.import_module("asr_preflight.demo").plan_text())
    return evaluate_and_report(
        facts, intent, report.format, output_dir, report.strict, gates,
        report=report, plan_source=source, rules=chosen,
    )  # fmt: skip


def main() -> None:
    """The console script ``asr-preflight``."""
    app()
