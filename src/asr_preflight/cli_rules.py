"""CLI commands for the rule catalogue: ``asr-preflight rules list`` and ``rules explain``.

Registered on the main Typer app by :func:`register`.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from asr_preflight.cli_help import Command, Group

rules_app = typer.Typer(cls=Group, help="The rule catalogue.", no_args_is_help=True)


@rules_app.command("list", cls=Command)
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


@rules_app.command("explain", cls=Command)
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


def register(app: typer.Typer) -> None:
    """Add ``rules`` to the main CLI app."""
    app.add_typer(rules_app, name="rules")
