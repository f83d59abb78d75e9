"""Help that says what we wrote: Typer command and group classes for every asr-preflight command.

Typer renders help with Rich markup, so a help text such as ``TOML [[waivers]]`` lost its brackets
(``[]``), and it shows a ``<bool>`` type for on/off flags, which take no value. Commands and
groups built with these classes show help texts literally (escaped once, just before rendering)
and flags without a type. ``cli.py`` and ``cli_gates.py`` use them for every command.
"""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from typer.core import TyperCommand, TyperGroup

_DONE = "_asr_help_plain"


def _plain_params(command: Any, ctx: Any) -> None:
    markup = getattr(command, "rich_markup_mode", None) == "rich"
    for param in command.get_params(ctx):
        if getattr(param, _DONE, False):
            continue
        if markup and getattr(param, "help", None):
            param.help = escape(param.help)
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""  # a flag takes no value: no type column
        setattr(param, _DONE, True)


class Command(TyperCommand):
    def format_help(self, ctx: Any, formatter: Any) -> None:
        _plain_params(self, ctx)
        super().format_help(ctx, formatter)


class Group(TyperGroup):
    def format_help(self, ctx: Any, formatter: Any) -> None:
        _plain_params(self, ctx)
        super().format_help(ctx, formatter)


__all__ = ["Command", "Group"]
