"""The collection's progress on the console: a rich bar per collector stage on stderr.

The collectors report :class:`~asr_preflight.options.ProgressEvent` values to a callback; this
module is the callback the CLI passes when stderr is a terminal.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from asr_preflight.options import ProgressCallback, ProgressEvent

_LABELS = {"azure": "[bold]Collecting from Azure[/]", "guests": "probing guests"}


class _Bars:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._progress: Any = None
        self._tasks: dict[str, Any] = {}

    def __call__(self, event: ProgressEvent) -> None:
        with self._lock:
            if self._progress is None:
                from rich.console import Console
                from rich.progress import (
                    BarColumn,
                    MofNCompleteColumn,
                    Progress,
                    TextColumn,
                    TimeElapsedColumn,
                )

                self._progress = Progress(
                    TextColumn("{task.fields[label]}"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TimeElapsedColumn(),
                    TextColumn("{task.description}"),
                    console=Console(stderr=True),
                    transient=True,
                )
                self._progress.start()
            if event.stage not in self._tasks:
                for task in self._tasks.values():  # one stage at a time: the former one is done
                    self._progress.update(task, visible=False)
                self._tasks[event.stage] = self._progress.add_task(
                    "", total=0, label=_LABELS.get(event.stage, event.stage)
                )
            self._progress.update(
                self._tasks[event.stage],
                completed=event.done,
                total=event.total,
                description=_printable(event.text),
            )

    def stop(self) -> None:
        with self._lock:
            if self._progress is not None:
                self._progress.stop()


def _printable(text: str) -> str:
    """Estate strings (VM names) shown on the terminal: no control characters, no rich markup."""
    from rich.markup import escape

    return escape("".join(c if c.isprintable() else "?" for c in text))


@contextmanager
def console_progress(enabled: bool) -> Iterator[ProgressCallback | None]:
    """A progress callback drawing on stderr while the block runs (None when not ``enabled``)."""
    if not enabled:
        yield None
        return
    bars = _Bars()
    try:
        yield bars
    finally:
        bars.stop()
