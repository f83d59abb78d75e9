"""How a command ends: every exception becomes one line on stderr and an exit code.

A bad option, plan, snapshot or rule pack is ``error: …`` and exit 2 (nothing was checked); an
Azure sign-in failure is ``error: Azure sign-in failed: …`` and exit 2 as well (nothing could be
gathered); anything unexpected is a bug, exit 5, with where to report it (``ASR_PREFLIGHT_DEBUG=1``
prints the traceback). :class:`GuardedGroup` runs every invocation through :func:`run_guarded`.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from asr_preflight import __version__
from asr_preflight.cli_help import Group
from asr_preflight.engine import ExitCode

ISSUES_FALLBACK = "the asr-preflight issue tracker"  # until [project.urls] Issues names one
DEBUG_ENV = "ASR_PREFLIGHT_DEBUG"


class UsageProblem(Exception):
    """A combination of options that cannot work (exit 2)."""


def _say(message: str) -> None:
    """The ``error:`` line. Its text may quote estate data (a token authority's answer, a name
    in a plan or snapshot): control characters are shown escaped, never obeyed."""
    from asr_preflight.printable import printable

    sys.stderr.write(f"error: {printable(_one_line(message))}\n")
    sys.stderr.flush()


def _one_line(message: str) -> str:
    lines = [line.strip() for line in str(message).strip().splitlines() if line.strip()]
    return lines[0] if lines else "(no message)"


def _expected_errors() -> tuple[type[BaseException], ...]:
    from asr_preflight.baseline import BaselineError
    from asr_preflight.engine import RuleLoadError, SelectionError
    from asr_preflight.gate import GateError
    from asr_preflight.plan import PlanError
    from asr_preflight.reporters import FormatError
    from asr_preflight.reporters.json import ResultsError
    from asr_preflight.snapshot import SnapshotError

    return (
        PlanError,
        SnapshotError,
        RuleLoadError,
        SelectionError,
        FormatError,
        ResultsError,
        UsageProblem,
        BaselineError,
        GateError,
    )


def _credential_error(exc: BaseException) -> bool:
    try:
        from azure.core.exceptions import ClientAuthenticationError
    except ImportError:  # pragma: no cover - azure-core is a dependency
        return False
    return isinstance(exc, ClientAuthenticationError)


def run_guarded(call: Callable[[], Any]) -> int:
    """Run a command; turn every way it can end into an exit code (and at most one line)."""
    from asr_preflight.engine import UnknownRuleError

    try:
        returned = call()
    except UnknownRuleError as exc:
        _say(f"unknown rule {exc.args[0]!r}; `asr-preflight rules list` shows the known rules")
        return ExitCode.USAGE
    except _expected_errors() as exc:
        _say(str(exc))
        return ExitCode.USAGE
    except KeyboardInterrupt:
        _say("interrupted")
        return 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        return _unexpected(exc)
    return returned if isinstance(returned, int) else 0


def _unexpected(exc: Exception) -> int:
    if hasattr(exc, "exit_code") and hasattr(exc, "format_message"):  # Typer/Click usage errors
        code = int(exc.exit_code)
        if type(exc).__name__ == "NoArgsIsHelpError":
            return code  # the help has been printed
        _say(exc.format_message())
        return code
    if type(exc).__name__ == "Abort":
        _say("aborted")
        return 1
    from asr_preflight.azure.credential import CredentialError

    if isinstance(exc, CredentialError):
        _say(_one_line(str(exc)))  # already names the chain tried, the cause and what to do
        return ExitCode.USAGE
    if _credential_error(exc):
        _say(
            f"Azure sign-in failed: {_one_line(str(exc))} (sign in with `az login`, or set up "
            "environment, managed or workload identity credentials; see docs/azure.md)"
        )
        return ExitCode.USAGE
    if isinstance(exc, OSError) and exc.filename:
        _say(f"{exc.filename}: {exc.strerror or exc}")
        return ExitCode.USAGE
    if os.environ.get(DEBUG_ENV):
        traceback.print_exception(exc, file=sys.stderr)
    _say(
        f"internal error, a bug in asr-preflight {__version__}: {type(exc).__name__}: "
        f"{_one_line(str(exc))}; please report it to {issues_url()} with the command you ran "
        f"(set {DEBUG_ENV}=1 to see the traceback)"
    )
    return ExitCode.INTERNAL


def issues_url() -> str:
    """The project's issue tracker, from the installed metadata (``[project.urls] Issues``)."""
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        entries = metadata("asr-preflight").get_all("Project-URL") or []
    except PackageNotFoundError:
        entries = []
    for entry in entries:
        label, _, url = str(entry).partition(",")
        if label.strip().lower() == "issues":
            return url.strip()
    return ISSUES_FALLBACK


class GuardedGroup(Group):
    """The root command: every invocation, CliRunner's included, goes through run_guarded."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        parent = super().main
        code = run_guarded(
            lambda: parent(args, prog_name, complete_var, standalone_mode=False, **extra)
        )
        if standalone_mode:
            sys.exit(code)
        return code
