"""CLI commands for the rule catalogue: ``asr-preflight rules list``, ``rules packs`` and
``rules explain``.

Registered on the main Typer app by :func:`register`.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from asr_preflight.cli_help import Command, Group
from asr_preflight.printable import printable

if TYPE_CHECKING:
    from rich.table import Table

    from asr_preflight.packs import Pack, RuleSet

rules_app = typer.Typer(cls=Group, help="The rule catalogue.", no_args_is_help=True)


@rules_app.command("list", cls=Command)
def rules_list(
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print the rules as a JSON list (each with its pack and the pack's requires_api).",
        ),
    ] = False,
    with_packs: Annotated[
        bool,
        typer.Option(
            "--packs",
            help="Print only the rule packs and their load errors "
            "(the same as 'rules packs [--json]').",
        ),
    ] = False,
) -> None:
    """List every installed rule, and the rule packs with their load errors."""
    from rich.table import Table
    from rich.text import Text

    from asr_preflight import packs
    from asr_preflight.reporters.console import make_console

    loaded = packs.load_rule_set()
    if as_json and with_packs:
        _print_packs_json(loaded)
    elif with_packs:
        make_console().print(_packs_table(loaded))
    elif as_json:
        # A JSON list of rule objects, as before packs existed: scripts read it as a list.
        # Each entry is extended (never renamed) with its pack and the pack's requires_api.
        sys.stdout.write(json.dumps(_rule_entries(loaded), indent=1) + "\n")
    else:
        table = Table(show_edge=False)
        for column in ("code", "name", "severity", "area", "title"):
            table.add_column(column, no_wrap=column != "title")
        for r in loaded.rules:
            row = (r.code, r.name, r.severity.value, r.area.value, r.title)
            table.add_row(*(Text(printable(v)) for v in row))
        out = make_console()
        out.print(table)
        out.print()
        out.print(_packs_table(loaded))
    _errors_to_stderr(loaded)


@rules_app.command("packs", cls=Command)
def rules_packs(
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="Print JSON: {api_version, packs, errors}, packs with their status."
        ),
    ] = False,
) -> None:
    """List the installed rule packs: version, required rule API, rules, load status."""
    from asr_preflight import packs
    from asr_preflight.reporters.console import make_console

    loaded = packs.load_rule_set()
    if as_json:
        _print_packs_json(loaded)
    else:
        make_console().print(_packs_table(loaded))
    _errors_to_stderr(loaded)


def _rule_entries(loaded: RuleSet) -> list[dict[str, object]]:
    from asr_preflight.api import API_VERSION
    from asr_preflight.reporters.json import rule_entry

    pack_of = {rule.code: pack for pack in loaded.packs for rule in pack.rules}
    entries: list[dict[str, object]] = []
    for rule in loaded.rules:
        pack = pack_of.get(rule.code)
        entry: dict[str, object] = dict(rule_entry(rule))
        entry["pack"] = pack.name if pack else None
        entry["pack_version"] = pack.version if pack else None
        entry["requires_api"] = pack.requires_api if pack else None
        entry["api_version"] = API_VERSION
        entries.append(entry)
    return entries


def _print_packs_json(loaded: RuleSet) -> None:
    from asr_preflight.api import API_VERSION

    document = {
        "api_version": API_VERSION,
        "packs": [_pack_entry(pack) for pack in loaded.packs],
        "errors": list(loaded.errors),
    }
    sys.stdout.write(json.dumps(document, indent=1) + "\n")


def _packs_table(loaded: RuleSet) -> Table:
    from rich.table import Table
    from rich.text import Text

    from asr_preflight.api import API_VERSION

    found = Table(show_edge=False, title=f"Rule packs (rule API {API_VERSION})")
    for column in ("pack", "version", "requires API", "rules", "status"):
        found.add_column(column, no_wrap=column != "status")
    for pack in loaded.packs:
        status = "disabled" if pack.disabled else "failed: " + pack.error if pack.failed else "ok"
        row = (pack.name, pack.version, pack.requires_api or "-", str(len(pack.rules)), status)
        found.add_row(*(Text(printable(v)) for v in row))
    return found


def _errors_to_stderr(loaded: RuleSet) -> None:
    for error in loaded.errors:  # one line each on stderr, for scripts and CI logs
        sys.stderr.write(f"error: {printable(' '.join(error.split()))}\n")


def _pack_entry(pack: Pack) -> dict[str, object]:
    return {
        "name": pack.name,
        "version": pack.version,
        "entry_points": list(pack.entry_points),
        "requires_api": pack.requires_api,
        "rules": [r.code for r in pack.rules],
        "status": "disabled" if pack.disabled else "failed" if pack.failed else "loaded",
        "error": pack.error or None,
    }


@rules_app.command("explain", cls=Command)
def rules_explain(code: Annotated[str, typer.Argument(help="A rule code, e.g. ASR505.")]) -> None:
    """Print a rule's documentation."""
    from rich.text import Text

    from asr_preflight.api import doc_sections
    from asr_preflight.engine import find_rule, load_rules
    from asr_preflight.reporters.console import make_console

    rule = find_rule(load_rules(), code)
    out = make_console()
    out.print(Text(printable(f"{rule.code} {rule.name}"), style="bold"))
    out.print(
        Text(
            f"severity {rule.severity.value}, area {rule.area.value}, {rule.kind.value} rule, "
            f"from {printable(rule.distribution or 'an unregistered pack')}",
            style="dim",
        )
    )
    out.print()
    out.print(Text(printable(rule.title)))
    for heading, body in doc_sections(rule.doc).items():
        out.print()
        out.print(Text(printable(heading), style="bold underline"))
        # a third-party pack's docstring is text from outside: no control character reaches
        # the terminal, line breaks kept
        out.print(Text("\n".join(printable(line) for line in body.split("\n"))))


def register(app: typer.Typer) -> None:
    """Add ``rules`` to the main CLI app."""
    app.add_typer(rules_app, name="rules")
