"""What the command line tells the collectors: Azure options, guest options, a progress callback.

This module depends on nothing else in the package, so that ``collect.py``, the Azure
orchestrator and the guest collector can all read their options without importing each other.
The collectors never draw on the console: they report :class:`ProgressEvent` values to the
callback the caller passes (the CLI renders them as a progress bar; tests pass none).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

__all__ = [
    "AzureOptions",
    "CollectOptions",
    "GuestOptions",
    "ProgressCallback",
    "ProgressEvent",
]


@dataclass(frozen=True)
class ProgressEvent:
    """Where one collector stands: ``done`` of ``total`` tasks (``total`` may still grow)."""

    stage: Literal["azure", "guests"]
    done: int
    total: int
    text: str = ""  # the current phase (Azure) or the guest just finished


ProgressCallback = Callable[[ProgressEvent], None]
"""Called from worker threads; it must be thread-safe and quick."""


@dataclass(frozen=True)
class AzureOptions:
    cloud: str | None = None  # overrides [azure] cloud
    arm_endpoint: str | None = None
    authority_host: str | None = None
    principal_id: str | None = None
    eligibility: bool = True  # False: --no-eligibility (ASR009 says skip)
    concurrency: int = 16  # parallel ARM requests
    retry_total: int | None = None  # ARM retries per request (None = azure/guard.py's, 5)
    read_timeout: float | None = None  # seconds per read of an ARM answer (None = guard's, 60)
    # --timeout: seconds for the whole collection, Azure and guests (None = not given: the Azure
    # part gets azure/guard.py's DEFAULT_TIMEOUT, the guests their budgets; 0 = no limit); past it
    # nothing more is requested and what is missing is `unknown`
    timeout: float | None = None
    record: Path | None = None  # collect --record DIR: every ARM answer (azure/recording.py)
    record_pseudonymise: bool = False  # --record-pseudonymise: subscription and tenant ids

    def __post_init__(self) -> None:
        # it goes into ARM's assignedTo('<oid>') filter: an object id, nothing else
        if self.principal_id is not None and not is_object_id(self.principal_id):
            raise ValueError(principal_id_problem(self.principal_id, "principal_id"))


_OBJECT_ID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


def is_object_id(value: str) -> bool:
    """Is ``value`` a Microsoft Entra object id (a GUID)?"""
    return _OBJECT_ID.fullmatch(value) is not None


def principal_id_problem(value: str, name: str = "--principal-id") -> str:
    """The one-line error for a ``--principal-id`` (``principal_id``) that is not a GUID."""
    return (
        f"{name} {value!r}: not an object id (a GUID such as 00000000-0000-0000-0000-000000000000)"
    )


@dataclass(frozen=True)
class GuestOptions:
    enabled: bool = True  # False: --no-guest (ASR3xx say skip)
    concurrency: int = 32  # guests probed at once
    accept_new_host_keys: bool = False
    # time.monotonic() past which no guest is probed and every probe stops (collect() sets it
    # from AzureOptions.timeout); None = only the per-guest budget
    deadline: float | None = None


@dataclass(frozen=True)
class CollectOptions:
    azure: AzureOptions = field(default_factory=AzureOptions)
    guests: GuestOptions = field(default_factory=GuestOptions)
    progress: ProgressCallback | None = None  # None: silent

    @classmethod
    def flat(
        cls,
        *,
        cloud: str | None = None,
        arm_endpoint: str | None = None,
        authority_host: str | None = None,
        principal_id: str | None = None,
        eligibility: bool = True,
        guest: bool = True,
        concurrency: int = 16,
        guest_concurrency: int = 32,
        accept_new_host_keys: bool = False,
        progress: ProgressCallback | bool | None = None,
        retry_total: int | None = None,
        read_timeout: float | None = None,
        timeout: float | None = None,
    ) -> CollectOptions:
        """The options from the flat keyword names ``CollectOptions`` had before the split
        (``progress=True/False`` of old means no callback)."""
        return cls(
            azure=AzureOptions(
                cloud=cloud,
                arm_endpoint=arm_endpoint,
                authority_host=authority_host,
                principal_id=principal_id,
                eligibility=eligibility,
                concurrency=concurrency,
                retry_total=retry_total,
                read_timeout=read_timeout,
                timeout=timeout,
            ),
            guests=GuestOptions(
                enabled=guest,
                concurrency=guest_concurrency,
                accept_new_host_keys=accept_new_host_keys,
            ),
            progress=None if isinstance(progress, bool) else progress,
        )
