"""Reporters: an :class:`~asr_preflight.engine.Evaluation` in, files (or console lines) out.

Every reporter reads only the evaluation and a small :class:`RunInfo`; none of them looks at
the snapshot, the plan or the world. The file reporters are registered in :data:`FILE_REPORTERS`
(format name -> file name and renderer), so a new format is one entry; the console reporter
prints instead of writing and lives in :mod:`asr_preflight.reporters.console`.
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING

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
    # The plan's 1-based line per key path ("target.region"), for SARIF locations (cli fills it).
    plan_lines: Mapping[str, int] | None = None
    snapshot_path: str | None = None  # the snapshot checked, when no plan file was given
    junit_warnings: str = "pass"  # pass | skipped | failure (docs/gates.md)
    sarif_category: str | None = None  # SARIF automationDetails.id prefix (default: plan name)

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
#: A streaming renderer: writes the file's bytes to the open handle, piece by piece.
Writer = Callable[["Evaluation", RunInfo, IO[bytes]], None]


@dataclass(frozen=True)
class FileReporter:
    """One file format: its file name and how to produce it. ``stream`` writes the file piece
    by piece (what :func:`write_reports` uses); ``render`` returns it whole (tests, tools)."""

    file_name: str
    render: Renderer | None = None
    stream: Writer | None = None

    def write(self, evaluation: Evaluation, info: RunInfo, handle: IO[bytes]) -> None:
        if self.stream is not None:
            self.stream(evaluation, info, handle)
        elif self.render is not None:
            # a lone surrogate from hostile input becomes "?" rather than a crash
            handle.write(self.render(evaluation, info).encode("utf-8", "replace"))
        else:
            raise TypeError(f"the reporter of {self.file_name} neither renders nor streams")

    def text(self, evaluation: Evaluation, info: RunInfo) -> str:
        """The whole file as text (rendered in memory: for tests and small estates)."""
        buffer = io.BytesIO()
        self.write(evaluation, info, buffer)
        return buffer.getvalue().decode("utf-8")


def _json(evaluation: Evaluation, info: RunInfo, handle: IO[bytes]) -> None:
    from asr_preflight.reporters import json

    json.write(evaluation, info, handle)


def _json_v1(evaluation: Evaluation, info: RunInfo) -> str:
    from asr_preflight.reporters import json

    return json.render_v1(evaluation, info)


def _junit(evaluation: Evaluation, info: RunInfo, handle: IO[bytes]) -> None:
    from asr_preflight.reporters import junit

    junit.write(evaluation, info, handle)


def _html(evaluation: Evaluation, info: RunInfo, handle: IO[bytes]) -> None:
    from asr_preflight.reporters import html

    html.write(evaluation, info, handle)


def _sarif(evaluation: Evaluation, info: RunInfo, handle: IO[bytes]) -> None:
    from asr_preflight.reporters import sarif

    sarif.write_to(evaluation, info, handle)


def _markdown(evaluation: Evaluation, info: RunInfo) -> str:
    from asr_preflight.reporters import markdown

    return markdown.render(evaluation)


#: Format name -> the file it writes. Renderers import lazily: `rules list` stays fast.
FILE_REPORTERS: dict[str, FileReporter] = {
    "junit": FileReporter("results.xml", stream=_junit),
    "html": FileReporter("report.html", stream=_html),
    "json": FileReporter("results.json", stream=_json),
    "sarif": FileReporter("results.sarif", stream=_sarif),
    "markdown": FileReporter("summary.md", _markdown),
    # results.json as schema v1 wrote it (one object per result), for scripts not yet migrated
    # to v2 (docs/gates.md); never a default, as it is four times the size.
    "json-v1": FileReporter("results-v1.json", _json_v1),
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
    """Write every file format in ``formats``; returns the paths.

    Each format is streamed, one at a time, to a temporary file beside its destination (so no
    whole report is ever held in memory); only when all of them are written are they renamed
    over the previous files, so a failure in any renderer leaves the previous run's set
    untouched rather than a mix of old and new ones."""
    table = FILE_REPORTERS if reporters is None else reporters
    chosen = [(name, table[name]) for name in formats if name in table]  # console: elsewhere
    output_dir.mkdir(parents=True, exist_ok=True)
    with gc_paused():
        return _write_all(evaluation, info, chosen, output_dir)


def _write_all(
    evaluation: Evaluation, info: RunInfo, chosen: list[tuple[str, FileReporter]], output_dir: Path
) -> list[Path]:
    staged: list[tuple[str, Path]] = []
    try:
        for _, reporter in chosen:
            path = output_dir / reporter.file_name
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=output_dir)
            staged.append((tmp, path))
            try:
                with os.fdopen(fd, "wb", buffering=1 << 20) as handle:
                    reporter.write(evaluation, info, handle)
                    handle.flush()
                    os.fsync(handle.fileno())
            except OSError as exc:
                if exc.filename is None and exc.errno is not None:
                    # write(2) names no file (a full disk, a quota): name the report, so the
                    # CLI says "<file>: No space left on device" rather than "a bug".
                    raise OSError(exc.errno, exc.strerror, str(path)) from exc
                raise
            os.chmod(tmp, 0o666 & ~_umask())
        _rename_all(staged)
    except BaseException:
        for tmp, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        raise
    return [path for _, path in staged]


def _rename_all(staged: list[tuple[str, Path]]) -> None:
    """Rename every temp file over its destination; should one rename fail (a directory in
    the way, a sticky directory), put back the files already replaced: the previous set stays
    whole. The previous files are kept as hard links until every rename has succeeded."""
    links: list[str] = []
    done: list[tuple[Path, str | None]] = []  # replaced: (destination, its old file's link)
    try:
        for tmp, path in staged:
            link = f"{tmp}.old"
            old: str | None = link
            try:
                os.link(path, link, follow_symlinks=False)  # a symlink is put back as such
                links.append(link)
            except FileNotFoundError:
                old = None  # no previous file: a rollback removes the new one
            except OSError:
                old = ""  # no link (a directory, a file system without them): left as is
            os.replace(tmp, path)
            done.append((path, old))
    except BaseException:
        for path, old in reversed(done):
            with contextlib.suppress(OSError):
                if old:
                    os.replace(old, path)
                elif old is None:
                    os.unlink(path)
        raise
    finally:
        for link in links:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(link)


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


def _umask() -> int:
    # mkstemp creates 0600 files; a report gets the permissions a plain open() would give.
    mask = os.umask(0)
    os.umask(mask)
    return mask
