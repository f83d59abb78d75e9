"""The help of every command says what we wrote, and flags show no value type."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import typer.main
from typer.testing import CliRunner

from asr_preflight import cli

runner = CliRunner()


def _commands(
    group: object, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], object]]:
    yield path, group
    for name, sub in sorted(getattr(group, "commands", {}).items()):
        yield from _commands(sub, (*path, name))


COMMANDS = list(_commands(typer.main.get_command(cli.app)))


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=lambda p: " ".join(p) or "root")
def test_help_texts_are_literal_and_flags_have_no_type(path: tuple[str, ...]) -> None:
    command = dict(COMMANDS)[path]
    helps = [p.help for p in getattr(command, "params", ()) if getattr(p, "help", None)]
    result = runner.invoke(cli.app, [*path, "--help"], env={"COLUMNS": "2000"})
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.output
    for text in helps:
        assert text in result.output


def test_the_waivers_help_keeps_its_brackets() -> None:
    result = runner.invoke(cli.app, ["check", "--help"], env={"COLUMNS": "2000"})
    assert "TOML [[waivers]]: rule" in result.output
