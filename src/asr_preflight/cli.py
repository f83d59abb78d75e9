"""The command line: a thin Typer shell over the library (DESIGN.md §3).

Every command loads, calls the library, writes, and maps the outcome to an exit code. Errors
are one line on stderr: a bad option, plan, snapshot or rule pack is ``error: …`` and exit 2
(nothing was checked); an Azure sign-in failure is ``error: Azure sign-in failed: …`` and exit 2
as well (nothing could be gathered); anything unexpected is a bug, exit 5, with where to report
it (``ASR_PREFLIGHT_DEBUG=1`` prints the traceback).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from asr_preflight import __version__, cli_gates
from asr_preflight.engine import ExitCode

if TYPE_CHECKING:
    from asr_preflight.gate import Gates
    from asr_preflight.options import CollectOptions
    from asr_preflight.plan import Plan
    from asr_preflight.snapshot import Snapshot

ISSUES_FALLBACK = "the asr-preflight issue tracker"  # until [project.urls] Issues names one
DEBUG_ENV = "ASR_PREFLIGHT_DEBUG"


class UsageProblem(Exception):
    """A combination of options that cannot work (exit 2)."""


# ---------------------------------------------------------------------------------------------
# Errors -> one line and an exit code
# ---------------------------------------------------------------------------------------------


def _say(message: str) -> None:
    sys.stderr.write(f"error: {_one_line(message)}\n")
    sys.stderr.flush()


def _one_line(message: str) -> str:
    lines = [line.strip() for line in str(message).strip().splitlines() if line.strip()]
    return lines[0] if lines else "(no message)"


def _expected_errors() -> tuple[type[BaseException], ...]:
    from asr_preflight.baseline import BaselineError
    from asr_preflight.engine import RuleLoadError
    from asr_preflight.gate import GateError
    from asr_preflight.plan import PlanError
    from asr_preflight.reporters import FormatError
    from asr_preflight.reporters.json import ResultsError
    from asr_preflight.snapshot import SnapshotError

    return (
        PlanError,
        SnapshotError,
        RuleLoadError,
        FormatError,
        ResultsError,
        UsageProblem,
        BaselineError,
        GateError,
    )


def _credential_error(exc: BaseException) -> bool:
    try:
        from azure.core.exceptions import ClientAuthenticationError
    except ImportError:  # pragma: no cover - azure-core is a dependency
        return False
    return isinstance(exc, ClientAuthenticationError)


def run_guarded(call: Callable[[], Any]) -> int:
    """Run a command; turn every way it can end into an exit code (and at most one line)."""
    from asr_preflight.engine import UnknownRuleError

    try:
        returned = call()
    except UnknownRuleError as exc:
        _say(f"unknown rule {exc.args[0]!r}; `asr-preflight rules list` shows the known rules")
        return ExitCode.USAGE
    except _expected_errors() as exc:
        _say(str(exc))
        return ExitCode.USAGE
    except KeyboardInterrupt:
        _say("interrupted")
        return 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        return _unexpected(exc)
    return returned if isinstance(returned, int) else 0


def _unexpected(exc: Exception) -> int:
    if hasattr(exc, "exit_code") and hasattr(exc, "format_message"):  # Typer/Click usage errors
        code = int(exc.exit_code)
        if type(exc).__name__ == "NoArgsIsHelpError":
            return code  # the help has been printed
        _say(exc.format_message())
        return code
    if type(exc).__name__ == "Abort":
        _say("aborted")
        return 1
    from asr_preflight.azure.credential import CredentialError

    if isinstance(exc, CredentialError):
        _say(_one_line(str(exc)))  # already names the chain tried, the cause and what to do
        return ExitCode.USAGE
    if _credential_error(exc):
        _say(
            f"Azure sign-in failed: {_one_line(str(exc))} (sign in with `az login`, or set up "
            "environment, managed or workload identity credentials; see docs/azure.md)"
        )
        return ExitCode.USAGE
    if isinstance(exc, OSError) and exc.filename:
        _say(f"{exc.filename}: {exc.strerror or exc}")
        return ExitCode.USAGE
    if os.environ.get(DEBUG_ENV):
        traceback.print_exception(exc, file=sys.stderr)
    _say(
        f"internal error, a bug in asr-preflight {__version__}: {type(exc).__name__}: "
        f"{_one_line(str(exc))}; please report it to {issues_url()} with the command you ran "
        f"(set {DEBUG_ENV}=1 to see the traceback)"
    )
    return ExitCode.INTERNAL


def issues_url() -> str:
    """The project's issue tracker, from the installed metadata (``[project.urls] Issues``)."""
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        entries = metadata("asr-preflight").get_all("Project-URL") or []
    except PackageNotFoundError:
        entries = []
    for entry in entries:
        label, _, url = str(entry).partition(",")
        if label.strip().lower() == "issues":
            return url.strip()
    return ISSUES_FALLBACK


class _GuardedGroup(TyperGroup):
    """The root command: every invocation, CliRunner's included, goes through run_guarded."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        parent = super().main
        code = run_guarded(
            lambda: parent(args, prog_name, complete_var, standalone_mode=False, **extra)
        )
        if standalone_mode:
            sys.exit(code)
        return code


# ---------------------------------------------------------------------------------------------
# The app
# ---------------------------------------------------------------------------------------------

app = typer.Typer(
    cls=_GuardedGroup,
    name="asr-preflight",
    help="Will Azure Site Recovery replication of these VMs to that region work? Read-only.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
rules_app = typer.Typer(help="The rule catalogue.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")
cli_gates.register(app)  # `diff` and `waivers check` (docs/gates.md)


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


class CloudName(StrEnum):
    AzureCloud = "AzureCloud"
    AzureUSGovernment = "AzureUSGovernment"
    AzureChinaCloud = "AzureChinaCloud"
    custom = "custom"


_COLLECT = "Collection (ignored with --snapshot)"
_OUTPUT = "Output"
PlanOpt = Annotated[Path | None, typer.Option("--plan", help="The plan file (TOML).")]
FormatOpt = Annotated[
    str,
    typer.Option(
        "--format",
        help="Comma-separated: junit, html, json, sarif, markdown, console.",
        rich_help_panel=_OUTPUT,
    ),
]
_GATE = "CI gate (docs/gates.md)"
WaiversOpt = Annotated[
    Path | None,
    typer.Option(
        "--waivers",
        metavar="FILE",
        help="Waivers (TOML [[waivers]]: rule, target, justification, owner, expires).",
        rich_help_panel=_GATE,
    ),
]
BaselineOpt = Annotated[
    Path | None,
    typer.Option(
        "--baseline",
        metavar="OLD_results.json",
        help="Mark each result new, unchanged or fixed against an earlier results.json.",
        rich_help_panel=_GATE,
    ),
]
FailOnNewOpt = Annotated[
    bool,
    typer.Option(
        "--fail-on-new",
        help="Gate only on problems that are new against --baseline.",
        rich_help_panel=_GATE,
    ),
]
FailOnOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--fail-on",
        metavar="fail|warn|unknown",
        help="Outcomes that fail the run (repeatable); replaces the default fail,unknown; "
        "--strict adds warn.",
        rich_help_panel=_GATE,
    ),
]
StrictOpt = Annotated[
    bool,
    typer.Option("--strict", help="Warnings fail the run (exit 4).", rich_help_panel=_OUTPUT),
]
NoEligibilityOpt = Annotated[
    bool,
    typer.Option(
        "--no-eligibility",
        help="Skip ASR's per-VM eligibility calls (ASR009 says skip).",
        rich_help_panel=_COLLECT,
    ),
]
NoGuestOpt = Annotated[
    bool,
    typer.Option(
        "--no-guest",
        help="Skip in-guest probes (the ASR3xx rules say skip).",
        rich_help_panel=_COLLECT,
    ),
]
PrincipalOpt = Annotated[
    str | None,
    typer.Option(
        "--principal-id",
        metavar="OID",
        help="Object id whose permissions ASR4xx check (default: the signed-in principal).",
        rich_help_panel=_COLLECT,
    ),
]
ConcurrencyOpt = Annotated[
    int | None,
    typer.Option(
        "--concurrency",
        min=1,
        help="Parallel ARM requests and guest probes (default: 16 requests, 32 guests).",
        rich_help_panel=_COLLECT,
    ),
]
CloudOpt = Annotated[
    CloudName | None,
    typer.Option("--cloud", help="Overrides the plan's azure.cloud.", rich_help_panel=_COLLECT),
]
ArmOpt = Annotated[
    str | None,
    typer.Option(
        "--arm-endpoint", metavar="URL", help="Custom cloud ARM endpoint.", rich_help_panel=_COLLECT
    ),
]
AuthorityOpt = Annotated[
    str | None,
    typer.Option(
        "--authority-host", metavar="URL", help="Custom cloud authority.", rich_help_panel=_COLLECT
    ),
]
HostKeysOpt = Annotated[
    bool,
    typer.Option(
        "--accept-new-host-keys",
        help="Trust SSH host keys not yet in known_hosts (a changed key is still refused).",
        rich_help_panel=_COLLECT,
    ),
]


def _options(
    no_eligibility: bool,
    no_guest: bool,
    principal_id: str | None,
    concurrency: int | None,
    cloud: CloudName | None,
    arm_endpoint: str | None,
    authority_host: str | None,
    accept_new_host_keys: bool,
) -> CollectOptions:
    from asr_preflight.options import AzureOptions, CollectOptions, GuestOptions

    return CollectOptions(
        azure=AzureOptions(
            cloud=cloud.value if cloud is not None else None,
            arm_endpoint=arm_endpoint,
            authority_host=authority_host,
            principal_id=principal_id,
            eligibility=not no_eligibility,
            concurrency=concurrency or 16,
        ),
        guests=GuestOptions(
            enabled=not no_guest,
            concurrency=concurrency or 32,
            accept_new_host_keys=accept_new_host_keys,
        ),
    )


def _collect(plan: Plan, options: CollectOptions) -> Snapshot:
    """Collect with a progress bar on stderr when it is a terminal."""
    from dataclasses import replace

    from asr_preflight.cli_progress import console_progress
    from asr_preflight.collect import collect

    with console_progress(sys.stderr.isatty()) as progress:
        return collect(plan, replace(options, progress=progress))


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


def evaluate_and_report(
    snapshot: Snapshot,
    plan: Plan,
    formats: str,
    output_dir: Path,
    strict: bool,
    gates: Gates | None = None,
    plan_path: Path | None = None,
) -> int:
    """Evaluate, apply waivers and the baseline, write the reports, print the console report;
    the run's exit code (the gate's, see docs/gates.md)."""
    from dataclasses import replace

    from asr_preflight import engine
    from asr_preflight.gate import Gates
    from asr_preflight.reporters import CONSOLE, RunInfo, parse_formats, sarif, write_reports

    chosen = parse_formats(formats)
    gates = gates or Gates.load(strict=strict)
    evaluation = engine.evaluate(snapshot, plan, engine.load_rules())
    run = gates.apply(evaluation)
    evaluation = run.evaluation
    info = replace(
        RunInfo.of(snapshot, plan, strict=strict),
        plan_path=sarif.plan_uri_of(plan_path) if plan_path is not None else None,
    )
    code = run.exit_code
    written = write_reports(evaluation, info, chosen, output_dir)
    if CONSOLE in chosen:
        from asr_preflight.reporters import console

        console.render(evaluation, info, written, exit_code=code)
    return code


@app.command()
def check(
    plan: PlanOpt = None,
    snapshot: Annotated[
        Path | None,
        typer.Option("--snapshot", help="Evaluate a snapshot from `collect` (no Azure calls)."),
    ] = None,
    format: FormatOpt = "junit,html,json,console",
    output_dir: Annotated[
        Path, typer.Option("--output-dir", help="Where reports go.", rich_help_panel=_OUTPUT)
    ] = Path("reports"),
    strict: StrictOpt = False,
    no_eligibility: NoEligibilityOpt = False,
    no_guest: NoGuestOpt = False,
    principal_id: PrincipalOpt = None,
    concurrency: ConcurrencyOpt = None,
    cloud: CloudOpt = None,
    arm_endpoint: ArmOpt = None,
    authority_host: AuthorityOpt = None,
    accept_new_host_keys: HostKeysOpt = False,
    waivers: WaiversOpt = None,
    baseline: BaselineOpt = None,
    fail_on_new: FailOnNewOpt = False,
    fail_on: FailOnOpt = None,
) -> int:
    """Collect (or load) the facts, evaluate every rule, write the reports."""
    from asr_preflight import fsutil
    from asr_preflight.reporters import parse_formats
    from asr_preflight.snapshot import load_snapshot

    parse_formats(format)  # a bad --format fails before any collection
    if snapshot is not None:
        facts = load_snapshot(snapshot)
        intent = _load_plan(plan) if plan is not None else facts.plan
        if intent is None:
            raise UsageProblem(f"{snapshot} holds no plan; pass --plan FILE")
        gates = load_gates(intent, plan, waivers, baseline, fail_on, strict, fail_on_new)
    elif plan is not None:
        intent = _load_plan(plan)
        gates = load_gates(intent, plan, waivers, baseline, fail_on, strict, fail_on_new)
        fsutil.ensure_writable_dir(output_dir)  # before collecting, not after
        options = _options(
            no_eligibility, no_guest, principal_id, concurrency, cloud, arm_endpoint,
            authority_host, accept_new_host_keys,
        )  # fmt: skip
        facts = _collect(intent, options)
    else:
        raise UsageProblem("check needs --plan FILE (to collect) or --snapshot FILE (offline)")
    return evaluate_and_report(facts, intent, format, output_dir, strict, gates, plan)


@app.command()
def collect(
    plan: Annotated[Path, typer.Option("--plan", help="The plan file (TOML).")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the snapshot (JSON).")],
    no_eligibility: NoEligibilityOpt = False,
    no_guest: NoGuestOpt = False,
    principal_id: PrincipalOpt = None,
    concurrency: ConcurrencyOpt = None,
    cloud: CloudOpt = None,
    arm_endpoint: ArmOpt = None,
    authority_host: AuthorityOpt = None,
    accept_new_host_keys: HostKeysOpt = False,
) -> int:
    """Gather the facts only, into a snapshot for `check --snapshot`."""
    from asr_preflight import fsutil
    from asr_preflight.snapshot import snapshot_to_json

    intent = _load_plan(plan)
    fsutil.ensure_writable_dir(out.parent)  # before collecting, not after
    options = _options(
        no_eligibility, no_guest, principal_id, concurrency, cloud, arm_endpoint,
        authority_host, accept_new_host_keys,
    )  # fmt: skip
    facts = _collect(intent, options)
    fsutil.write_text(out, snapshot_to_json(facts))
    gaps = len(facts.errors)
    sys.stdout.write(
        f"wrote {out}: {len(facts.vms)} VMs, {gaps} collection error{'' if gaps == 1 else 's'}"
        " (the rules that need those facts will say unknown)\n"
    )
    return 0


def load_demo() -> tuple[Plan, Snapshot]:
    """The bundled demo estate (``asr_preflight.demo.load_demo``)."""
    demo = importlib.import_module("asr_preflight.demo")
    loaded: tuple[Plan, Snapshot] = demo.load_demo()
    return loaded


@app.command()
def demo(
    format: FormatOpt = "junit,html,json,console",
    output_dir: Annotated[
        Path, typer.Option("--output-dir", help="Where reports go.", rich_help_panel=_OUTPUT)
    ] = Path("reports/demo"),
    strict: StrictOpt = False,
    waivers: WaiversOpt = None,
    baseline: BaselineOpt = None,
    fail_on_new: FailOnNewOpt = False,
    fail_on: FailOnOpt = None,
) -> int:
    """Check the bundled, fictional demo estate (no Azure needed)."""
    from asr_preflight.reporters import parse_formats

    parse_formats(format)
    intent, facts = load_demo()
    gates = load_gates(intent, None, waivers, baseline, fail_on, strict, fail_on_new)
    return evaluate_and_report(facts, intent, format, output_dir, strict, gates)


@rules_app.command("list")
def rules_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List every installed rule."""
    from rich.table import Table
    from rich.text import Text

    from asr_preflight.engine import load_rules
    from asr_preflight.reporters.console import make_console

    rules = load_rules()
    if as_json:
        from asr_preflight.reporters.json import rule_entry

        sys.stdout.write(json.dumps([rule_entry(r) for r in rules], indent=1) + "\n")
        return
    table = Table(show_edge=False)
    for column in ("code", "name", "severity", "area", "title"):
        table.add_column(column, no_wrap=column != "title")
    for r in rules:
        table.add_row(*(Text(v) for v in (r.code, r.name, r.severity.value, r.area.value, r.title)))
    make_console().print(table)


@rules_app.command("explain")
def rules_explain(code: Annotated[str, typer.Argument(help="A rule code, e.g. ASR505.")]) -> None:
    """Print a rule's documentation."""
    from rich.text import Text

    from asr_preflight.api import doc_sections
    from asr_preflight.engine import find_rule, load_rules
    from asr_preflight.reporters.console import make_console

    rule = find_rule(load_rules(), code)
    out = make_console()
    out.print(Text(f"{rule.code} {rule.name}", style="bold"))
    out.print(
        Text(
            f"severity {rule.severity.value}, area {rule.area.value}, {rule.kind.value} rule, "
            f"from {rule.distribution or 'an unregistered pack'}",
            style="dim",
        )
    )
    out.print()
    out.print(Text(rule.title))
    for heading, body in doc_sections(rule.doc).items():
        out.print()
        out.print(Text(heading, style="bold underline"))
        out.print(Text(body))


def main() -> None:
    """The console script ``asr-preflight``."""
    app()
