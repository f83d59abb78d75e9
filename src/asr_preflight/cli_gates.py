"""CLI commands for CI gates and audits: ``asr-preflight diff`` and ``asr-preflight waivers check``.

Registered on the main Typer app by :func:`register`; thin shells over :mod:`baseline` and
:mod:`waivers`, imported lazily so that other commands stay fast.
"""

from __future__ import annotations

import json
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from asr_preflight.cli_help import Command, Group
from asr_preflight.engine import ExitCode
from asr_preflight.printable import printable

waivers_app = typer.Typer(
    cls=Group,
    help="Lint waiver files (rule, target, justification, owner, expiry).",
    no_args_is_help=True,
)


class DiffFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"


def _today(value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


def diff(
    old: Annotated[Path, typer.Argument(help="The earlier results.json.")],
    new: Annotated[Path, typer.Argument(help="The later results.json.")],
    fmt: Annotated[
        DiffFormat, typer.Option("--format", help="text, json, or markdown (a PR comment).")
    ] = DiffFormat.TEXT,
    fail_on_new: Annotated[
        bool, typer.Option("--fail-on-new", help="Exit 1 when the later scan has new problems.")
    ] = False,
    limit: Annotated[int, typer.Option(help="At most this many lines per section.")] = 200,
) -> None:
    """Print what changed between two scans: verdicts, VMs, new, fixed and gone problems."""
    from asr_preflight.baseline import (
        BaselineError,
        compare,
        comparison_to_json,
        diff_lines,
        diff_markdown,
        load_scan,
    )

    err = Console(stderr=True, soft_wrap=True)  # one line per message, whatever the width
    try:
        comparison = compare(load_scan(old), load_scan(new))
    except BaselineError as exc:
        err.print(f"[red]error:[/] {escape(printable(exc))}")
        raise typer.Exit(ExitCode.USAGE) from None
    if fmt is DiffFormat.JSON:  # ASCII: C1 and bidi controls as \u escapes, same JSON value
        typer.echo(json.dumps(comparison_to_json(comparison), indent=2, ensure_ascii=True))
    elif fmt is DiffFormat.MARKDOWN:  # Markdown escaping keeps ESC and C1: escape them per line
        text = diff_markdown(comparison, limit=limit)
        typer.echo("\n".join(printable(line) for line in text.split("\n")), nl=False)
    else:
        for line in diff_lines(comparison, limit=limit):
            typer.echo(printable(line))  # VM names and messages from the scans: escaped
    if fail_on_new and comparison.new:
        raise typer.Exit(ExitCode.NOT_READY)


@waivers_app.command("check", cls=Command)
def waivers_check(
    file: Annotated[Path, typer.Argument(help="The waiver file (TOML, [[waivers]] tables).")],
    today: Annotated[
        str | None, typer.Option(help="Judge expiry as of this date (YYYY-MM-DD).")
    ] = None,
) -> None:
    """Validate a waiver file: exit 2 if malformed (naming the line), 1 if a waiver has expired
    or names no installed rule, 0 otherwise (waivers expiring within 14 days are listed)."""
    from asr_preflight import packs
    from asr_preflight.plan import PlanError
    from asr_preflight.waivers import lint_waivers, load_waivers

    err = Console(stderr=True, soft_wrap=True)  # one line per message, whatever the width
    day = _today(today)
    try:
        loaded = load_waivers(file)
    except PlanError as exc:
        err.print(f"[red]error:[/] {escape(printable(exc))}")
        raise typer.Exit(ExitCode.USAGE) from None
    installed = packs.load_rule_set()
    for error in installed.errors:  # its codes are unknown here: waivers naming them are flagged
        err.print(f"[yellow]warning:[/] {escape(printable(error))}")
    rules = installed.rules
    findings = lint_waivers(loaded, rules, day)
    for finding in findings:
        colour = {"error": "red", "warning": "yellow"}.get(finding.level, "cyan")
        err.print(f"[{colour}]{finding.level}:[/] {escape(printable(finding.message))}")
    errors = sum(1 for f in findings if f.level == "error")
    typer.echo(f"{file}: {len(loaded)} waiver(s), {errors} error(s)")
    if errors:
        raise typer.Exit(ExitCode.NOT_READY)


def register(app: typer.Typer) -> None:
    """Add ``diff`` and ``waivers`` to the main CLI app."""
    app.command("diff", cls=Command)(diff)
    app.add_typer(waivers_app, name="waivers")
