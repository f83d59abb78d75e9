"""``python -m asr_preflight.support_matrix update PAGE.md``: regenerate the shipped support table.

PAGE.md is the Markdown source of the ASR Azure-to-Azure support matrix page (MicrosoftDocs/
azure-docs ``articles/site-recovery/azure-to-azure-support-matrix.md``), whole or its "Replicated
machine operating systems" section with the front matter's ``ms.date``. The table is written
atomically to ``asr_preflight/data/support_matrix.json`` (or ``--output``), and the date line in
ASR311's docstring (``support table dated YYYY-MM-DD``) is brought up to date, so that
``rules explain ASR311`` names the new date. ``show`` prints the shipped table's date and size.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import sys
from collections import Counter
from importlib.resources import files
from pathlib import Path

from asr_preflight import fsutil
from asr_preflight.support_matrix import DATA_FILE, load, to_json
from asr_preflight.support_matrix.generate import PAGE_URL, PageError, parse_page

RULE_MODULE = "asr_preflight_rules.guest.asr311_os_supported"
DATE_LINE = re.compile(r"(support table dated )\d{4}-\d{2}-\d{2}")


def default_output() -> Path:
    return Path(str(files("asr_preflight").joinpath("data", DATA_FILE)))


def with_rule_date(text: str, date: str) -> str:
    """``text`` (ASR311's source) with the table date in its docstring set to ``date``."""
    return DATE_LINE.sub(lambda m: m.group(1) + date, text)


def update_rule_date(date: str) -> Path | None:
    """Rewrite the table date in ASR311's docstring; the file, or None when it is not found."""
    spec = importlib.util.find_spec(RULE_MODULE)
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin)
    text = path.read_text("utf-8")
    new = with_rule_date(text, date)
    if new != text:
        fsutil.write_text(path, new)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m asr_preflight.support_matrix", description=__doc__
    )
    commands = parser.add_subparsers(dest="command", required=True)
    update = commands.add_parser("update", help="regenerate the table from the page's Markdown")
    update.add_argument("page", type=Path, help="the page's Markdown source")
    update.add_argument("--output", type=Path, default=None, help="default: the packaged table")
    update.add_argument("--source", default=PAGE_URL, help="the page's address")
    update.add_argument("--commit", default=None, help="the azure-docs commit the page is from")
    update.add_argument(
        "--no-rule-date", action="store_true", help="leave ASR311's docstring as it is"
    )
    commands.add_parser("show", help="the shipped table's date and rows per distribution")
    args = parser.parse_args(argv)

    if args.command == "show":
        matrix = load()
        counts = Counter(f"{r.distribution}" for r in matrix.rows)
        print(f"support table dated {matrix.date} from {matrix.source} ({matrix.commit or '-'})")
        for name, count in sorted(counts.items()):
            print(f"  {name:16} {count} rows")
        return 0

    try:
        text = args.page.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"error: cannot read {args.page}: {fsutil.unreadable(exc)}", file=sys.stderr)
        return 2
    if args.commit is None:
        found = re.search(r"at commit ([0-9a-f]{40})", text)
        args.commit = found.group(1) if found else None
    try:
        matrix = parse_page(text, source=args.source, commit=args.commit)
    except PageError as exc:
        print(f"error: {args.page}: {exc}", file=sys.stderr)
        return 1
    output = args.output or default_output()
    fsutil.write_text(output, to_json(matrix))
    print(f"wrote {output}: {len(matrix.rows)} rows, dated {matrix.date}")
    if not args.no_rule_date:
        rule = update_rule_date(matrix.date)
        if rule is not None:
            print(f"updated the table date in {rule}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
