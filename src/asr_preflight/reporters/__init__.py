"""Reporters: an :class:`~asr_preflight.engine.Evaluation` in, files (or console lines) out.

Every reporter reads only the evaluation and a small :class:`RunInfo`; none of them looks at
the snapshot, the plan or the world. The file reporters are registered in :data:`FILE_REPORTERS`
(format name -> file name and renderer), so a new format is one entry; the console reporter
prints instead of writing and lives in :mod:`asr_preflight.reporters.console`.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from asr_preflight import fsutil

if TYPE_CHECKING:
    from asr_preflight.engine import Evaluation
    from asr_preflight.plan import Plan
    from asr_preflight.snapshot import Snapshot


@dataclass(frozen=True)
class RunInfo:
    """What a report says about the run besides the results."""

    tool_version: str
    generated_at: str  # ISO 8601 UTC
    snapshot_created_at: str | None = None
    source: str | None = None  # the snapshot's collection source: azure, demo, test
    target_region: str | None = None
    strict: bool = False
    plan_path: str | None = None  # the plan file as given (SARIF's file location)

    @classmethod
    def of(
        cls, snapshot: Snapshot, plan: Plan, *, strict: bool = False, now: datetime | None = None
    ) -> RunInfo:
        from asr_preflight import __version__

        moment = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
        return cls(
            tool_version=__version__,
            generated_at=moment.isoformat().replace("+00:00", "Z"),
            snapshot_created_at=snapshot.created_at,
            source=snapshot.collection.source,
            target_region=plan.target.region,
            strict=strict,
        )


Renderer = Callable[["Evaluation", RunInfo], str]


@dataclass(frozen=True)
class FileReporter:
    file_name: str
    render: Renderer


def _json(evaluation: Evaluation, info: RunInfo) -> str:
    from asr_preflight.reporters import json

    return json.render(evaluation, info)


def _junit(evaluation: Evaluation, info: RunInfo) -> str:
    from asr_preflight.reporters import junit

    return junit.render(evaluation, info)


def _html(evaluation: Evaluation, info: RunInfo) -> str:
    from asr_preflight.reporters import html

    return html.render(evaluation, info)


def _sarif(evaluation: Evaluation, info: RunInfo) -> str:
    from asr_preflight.reporters import sarif

    return sarif.dumps(evaluation, plan_uri=info.plan_path)


def _markdown(evaluation: Evaluation, info: RunInfo) -> str:
    from asr_preflight.reporters import markdown

    return markdown.render(evaluation)


#: Format name -> the file it writes. Renderers import lazily: `rules list` stays fast.
FILE_REPORTERS: dict[str, FileReporter] = {
    "junit": FileReporter("results.xml", _junit),
    "html": FileReporter("report.html", _html),
    "json": FileReporter("results.json", _json),
    "sarif": FileReporter("results.sarif", _sarif),
    "markdown": FileReporter("summary.md", _markdown),
}
CONSOLE = "console"
DEFAULT_FORMATS = ("junit", "html", "json", CONSOLE)


class FormatError(ValueError):
    """An output format nobody provides."""


def parse_formats(spec: str | Iterable[str]) -> tuple[str, ...]:
    """``"junit,html"`` -> ``("junit", "html")``; unknown names are a :class:`FormatError`."""
    parts = spec.split(",") if isinstance(spec, str) else list(spec)
    names = [p.strip().lower() for p in parts if p.strip()]
    known = (*FILE_REPORTERS, CONSOLE)
    bad = [n for n in names if n not in known]
    if bad:
        raise FormatError(f"unknown format {bad[0]!r} (known: {', '.join(known)})")
    if not names:
        raise FormatError(f"no output format given (known: {', '.join(known)})")
    return tuple(dict.fromkeys(names))


def write_reports(
    evaluation: Evaluation,
    info: RunInfo,
    formats: Iterable[str],
    output_dir: Path,
    reporters: Mapping[str, FileReporter] | None = None,
) -> list[Path]:
    """Render every file format in ``formats``, then write each atomically; returns the paths.

    Everything is rendered before anything is written, so a rendering failure leaves the previous
    run's files untouched rather than a mix of old and new ones."""
    table = FILE_REPORTERS if reporters is None else reporters
    rendered: list[tuple[Path, str]] = []
    for name in formats:
        reporter = table.get(name)
        if reporter is None:
            continue  # the console, or a format handled elsewhere
        with gc_paused():
            rendered.append((output_dir / reporter.file_name, reporter.render(evaluation, info)))
    return [fsutil.write_text(path, text) for path, text in rendered]


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Rendering allocates many short-lived objects next to a large, long-lived evaluation;
    the cyclic collector would rescan that evaluation again and again (3-5x slower at 10,000
    VMs). Nothing rendered forms reference cycles, so pause it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
