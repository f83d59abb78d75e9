"""The README's usage section names only commands and options the CLI has, its plan example is a
valid plan, and its links to docs/ lead somewhere: a renamed option fails here, not in a reader's
shell."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError

from asr_preflight import cli
from asr_preflight.plan import Plan

ROOT = Path(__file__).parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end]


def _commands() -> dict[str, set[str]]:
    """'check' -> its options, 'rules list' -> its options, '' -> the root's."""
    found: dict[str, set[str]] = {}

    def walk(command: Any, path: str) -> None:  # typer's vendored click: no public types
        found[path] = {opt for p in command.params for opt in getattr(p, "opts", [])}
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{path} {name}".strip())

    walk(typer.main.get_command(cli.app), "")
    return found


def test_every_documented_command_line_uses_real_commands_and_options() -> None:
    commands = _commands()
    usage = _section("Use it on your estate")
    lines = re.findall(r"^asr-preflight ([^#\n]*)", usage, re.M)
    assert len(lines) >= 10
    for line in lines:
        words = line.split()
        path = words[0] if words[0] in commands else ""
        if len(words) > 1 and f"{words[0]} {words[1]}" in commands:
            path = f"{words[0]} {words[1]}"
        assert path, line
        for option in re.findall(r"--[a-z][a-z0-9-]*", line):
            assert option in commands[path], f"{option} is not an option of {path}: {line}"


def test_every_option_the_usage_section_names_exists() -> None:
    everything = set().union(*_commands().values())
    usage = _section("Use it on your estate")
    named = set(re.findall(r"`(--[a-z][a-z0-9-]*)", usage))
    named |= set(re.findall(r"`--[^`]*?(--[a-z][a-z0-9-]*)", usage))  # "`--a X`, `--b`"
    assert {"--management-group", "--timeout", "--record", "--junit-warnings"} <= named
    assert named - everything == set()


def test_every_key_of_the_plan_example_is_a_plan_key() -> None:
    [example] = re.findall(r"```toml\n(.*?)```", _section("The plan file"), re.S)
    # the commented alternatives are keys too
    example = re.sub(
        r"^# (management_groups|cache_storage_accounts) =", r"\1 =", example, flags=re.M
    )
    example = example.replace("cache_storage_account = ", "# ", 1)  # one of the two forms
    data = tomllib.loads(example)
    assert {"management_groups", "subscriptions"} <= data["azure"].keys()
    assert {"cache_storage_accounts", "proximity_placement_group", "availability_sets"} <= data[
        "target"
    ].keys()
    assert {"rules", "plugins"} <= data.keys()
    try:
        Plan.model_validate(data)
    except ValidationError as exc:  # placeholders such as "<id>" are not ids, but keys must be
        assert [e for e in exc.errors() if e["type"] in ("extra_forbidden", "missing")] == []


def test_links_to_the_docs_exist() -> None:
    links = set(re.findall(r"\]\((docs/[^)#]+)", README))
    assert {"docs/CHANGES.md", "docs/plugins.md", "docs/gates.md"} <= links
    assert [link for link in links if not (ROOT / link).exists()] == []
