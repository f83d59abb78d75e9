"""Generated files: the README's rule list and the shipped JSON Schemas.

    python -m asr_preflight.docs            # rewrite them
    python -m asr_preflight.docs --check    # exit 1 if any is stale (the tests do this too)
    python -m asr_preflight.docs --sample   # also refresh the README's `make demo` sample

The README list sits between ``<!-- rules:begin -->`` and ``<!-- rules:end -->`` and comes from
the built-in catalogue; the schemas come from the snapshot dataclasses and the results.json
TypedDicts, so none of them is ever edited by hand.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from asr_preflight.api import Rule

BEGIN = "<!-- rules:begin -->"
END = "<!-- rules:end -->"
SAMPLE_BEGIN = "<!-- sample:begin -->"
SAMPLE_END = "<!-- sample:end -->"
SCHEMA_DIR = Path(__file__).parent / "schemas"


class StaleError(ValueError):
    """The README has no rule-list markers."""


def builtin_rules() -> tuple[Rule, ...]:
    from asr_preflight_rules.catalogue import RULES

    return tuple(sorted(RULES, key=lambda r: r.code))


def rules_markdown(rules: Iterable[Rule]) -> str:
    """The rule list as a Markdown table (one row per rule, by code)."""
    lines = ["| code | name | severity | area | what it checks |", "|---|---|---|---|---|"]
    for rule in rules:
        title = rule.title.replace("|", "\\|")
        lines.append(
            f"| {rule.code} | `{rule.name}` | {rule.severity.value} | {rule.area.value} | {title} |"
        )
    return "\n".join(lines)


def with_rules(readme: str, rules: Iterable[Rule]) -> str:
    """``readme`` with the text between the markers replaced by the current rule list."""
    return _replace_block(readme, BEGIN, END, rules_markdown(rules))


def _replace_block(text: str, begin: str, end: str, body: str) -> str:
    start, stop = text.find(begin), text.find(end)
    if start < 0 or stop < start:
        raise StaleError(f"README has no {begin} … {end} block")
    return text[:start] + f"{begin}\n{body}\n{end}" + text[stop + len(end) :]


def demo_sample(width: int = 100) -> str:
    """The console output of ``asr-preflight demo`` (as in a CI log), fenced for Markdown."""
    import io

    from asr_preflight import engine
    from asr_preflight.cli import load_demo
    from asr_preflight.reporters import DEFAULT_FORMATS, FILE_REPORTERS, RunInfo, console

    plan, snapshot = load_demo()
    evaluation = engine.evaluate(snapshot, plan, engine.builtin_rules())
    info = RunInfo.of(snapshot, plan)
    written = [
        Path("reports/demo") / reporter.file_name
        for name, reporter in FILE_REPORTERS.items()
        if name in DEFAULT_FORMATS
    ]
    buffer = io.StringIO()
    out = console.make_console(buffer)
    out.width = width
    code = engine.exit_code(evaluation.verdict)
    console.render(evaluation, info, written, exit_code=code, console=out)
    return f"```\n$ asr-preflight demo\n{_abridged(buffer.getvalue())}```"


def _abridged(output: str, keep: int = 3) -> str:
    """The console output with the findings of only the first ``keep`` VMs (the table, the
    summary and the files written stay whole)."""
    lines = output.splitlines()
    try:
        table_end = lines.index("")
        summary = next(i for i in range(table_end, len(lines)) if " VMs checked " in lines[i])
    except (ValueError, StopIteration):
        return output
    blocks = [i for i in range(table_end + 1, summary) if lines[i] and not lines[i][0].isspace()]
    if len(blocks) <= keep:
        return output
    cut = blocks[keep]
    rest = len(blocks) - keep
    more = f"… and the findings of {rest} more VMs (all of them in reports/demo/report.html)"
    return "\n".join([*lines[:cut], more, "", *lines[summary:]]) + "\n"


def with_sample(readme: str) -> str:
    """``readme`` with the demo's console output between the sample markers."""
    return _replace_block(readme, SAMPLE_BEGIN, SAMPLE_END, demo_sample())


def schemas() -> dict[str, str]:
    """File name -> content of every shipped JSON Schema."""
    from asr_preflight.reporters.json import results_json_schema, results_v2_json_schema
    from asr_preflight.snapshot import snapshot_json_schema

    def dump(schema: dict[str, object]) -> str:
        return json.dumps(schema, indent=1, ensure_ascii=False) + "\n"

    return {
        "snapshot-v1.schema.json": dump(snapshot_json_schema()),
        "results-v1.schema.json": dump(results_json_schema()),
        "results-v2.schema.json": dump(results_v2_json_schema()),
    }


def generated(
    readme: Path, schema_dir: Path = SCHEMA_DIR, *, sample: bool = False
) -> dict[Path, str]:
    """Every generated file and what it should contain (the demo sample only on request: it
    changes whenever the demo estate does, and is illustration rather than contract)."""
    files = {schema_dir / name: text for name, text in schemas().items()}
    text = with_rules(readme.read_text(encoding="utf-8"), builtin_rules())
    files[readme] = with_sample(text) if sample else text
    return files


def main(argv: Sequence[str] | None = None) -> int:
    from asr_preflight import fsutil

    parser = argparse.ArgumentParser(prog="python -m asr_preflight.docs", description=__doc__)
    parser.add_argument("--readme", type=Path, default=Path("README.md"))
    parser.add_argument("--check", action="store_true", help="fail if a file is stale")
    parser.add_argument(
        "--sample", action="store_true", help="also refresh the README's demo output sample"
    )
    args = parser.parse_args(argv)
    stale = []
    for path, text in generated(args.readme, sample=args.sample).items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(path)
        if not args.check:
            fsutil.write_text(path, text)
    verb = "stale" if args.check else "updated"
    for path in stale:
        print(f"{verb}: {path}")
    if args.check and stale:
        print("run `python -m asr_preflight.docs` to regenerate", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
