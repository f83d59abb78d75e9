"""What every transport offers the collector, and the errors it may raise."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from asr_preflight.guest.scripts import Invocation

#: What one probe may print (stdout and stderr together, bytes); past it the transport stops
#: reading, closes the command and the probe reports nothing. The scripts print a few KiB, a
#: full trust store ~300 KiB. Documented in docs/guest.md.
MAX_PROBE_OUTPUT = 1024 * 1024


@dataclass(frozen=True)
class CommandResult:
    probe: str
    exit_status: int | None  # None: it did not finish in time (or ``failure`` says why)
    stdout: str
    stderr: str
    failure: str | None = None  # why there is no exit status, when the transport knows


class OutputTooLarge(Exception):
    """A probe printed more than :data:`MAX_PROBE_OUTPUT`; reading stopped."""

    def __init__(self, limit: int = MAX_PROBE_OUTPUT) -> None:
        super().__init__(
            f"printed more than {limit // 1024} KiB; reading stopped (a probe prints a few KiB)"
        )


class GuestAccessError(Exception):
    """The guest could not be reached or refused us: becomes a FactError with cause and hint."""

    def __init__(self, cause: str, hint: str = "") -> None:
        super().__init__(cause)
        self.cause = cause
        self.hint = hint


class Transport(Protocol):
    def connect(self) -> None: ...

    def run_many(
        self, invocations: Sequence[Invocation], timeout: float, together: bool = False
    ) -> list[CommandResult]: ...

    def close(self) -> None: ...


class Deadline:
    """A per-host time budget: every wait is clamped to what is left of it."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def remaining(self) -> float:
        return max(0.0, self.end - time.monotonic())

    def clamp(self, seconds: float) -> float:
        return max(0.05, min(seconds, self.remaining()))

    @property
    def expired(self) -> bool:
        return time.monotonic() >= self.end
