"""Running ARM reads concurrently: every failure becomes a FactError, progress goes to a callback.

The runner owns no console: it reports :class:`~asr_preflight.options.ProgressEvent` values
(``stage="azure"``, the current phase as text) to the callback the caller passed, if any.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from asr_preflight.azure.errors import fact_error
from asr_preflight.options import ProgressCallback, ProgressEvent
from asr_preflight.plan import PlanError
from asr_preflight.snapshot import FactError, FactKind

T = TypeVar("T")
READER = "Reader"


@dataclass(frozen=True)
class Failed:
    """The result of a task that failed, with its FactError (already recorded unless asked not)."""

    error: FactError


class Progress:
    """Counts the tasks submitted and done, and tells the callback (if any) at each change."""

    def __init__(self, callback: ProgressCallback | None) -> None:
        self._callback = callback
        self._lock = threading.Lock()
        self._done = 0
        self._total = 0
        self._text = ""

    def phase(self, text: str) -> None:
        self._update(text=text)

    def add(self, n: int) -> None:
        self._update(total=n)

    def advance(self) -> None:
        self._update(done=1)

    def _update(self, *, done: int = 0, total: int = 0, text: str | None = None) -> None:
        if self._callback is None:
            return
        with self._lock:
            self._done += done
            self._total += total
            if text is not None:
                self._text = text
            event = ProgressEvent("azure", self._done, self._total, self._text)
        self._callback(event)


class Runner:
    def __init__(self, concurrency: int, progress: Progress) -> None:
        self.pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="arm")
        self.errors: list[FactError] = []
        self.progress = progress
        self._lock = threading.Lock()

    def submit(
        self,
        fn: Callable[[], T],
        kind: FactKind,
        scope: str,
        needs: str = READER,
        *,
        record: bool = True,
    ) -> Future[T | Failed]:
        self.progress.add(1)

        def task() -> T | Failed:
            try:
                return fn()
            except PlanError:
                raise
            except Exception as exc:  # noqa: BLE001 - every failure becomes a FactError
                error = fact_error(exc, kind, scope, needs)
                if record:
                    self.record(error)
                return Failed(error)
            finally:
                self.progress.advance()

        return self.pool.submit(task)

    def record(self, error: FactError) -> None:
        with self._lock:
            self.errors.append(error)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def value(future: Future[T | Failed]) -> T | None:
    """The task's result, or None when it failed (its FactError is recorded)."""
    result = future.result()
    return None if isinstance(result, Failed) else result
