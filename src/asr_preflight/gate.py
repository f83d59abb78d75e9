"""The CI gate: which outcomes make `check` exit non-zero, and with which code.

Exit codes (DESIGN.md): 1 = a failure, 3 = readiness unknown, 4 = warnings. The *gated set* is:

- by default ``{fail, unknown}``;
- with ``--fail-on X`` (repeatable) exactly the outcomes given, replacing the default;
- ``--strict`` adds ``warn`` to whichever set is in force.

The exit code is that of the most serious gated outcome present among the non-waived results,
in the order fail (1) > unknown (3) > warn (4); 0 when none is present. With ``--fail-on-new``
only results marked ``new`` against the baseline count. A run that selected no VM at all is
``unknown`` (nothing can be said to be ready) and exits 3 whenever ``unknown`` is gated.
"""

from __future__ import annotations

from collections.abc import Iterable

from asr_preflight.api import Outcome
from asr_preflight.engine import Evaluation, ExitCode

DEFAULT_FAIL_ON = frozenset({Outcome.FAIL, Outcome.UNKNOWN})
GATEABLE = (Outcome.FAIL, Outcome.UNKNOWN, Outcome.WARN)  # in order of precedence
_CODES = {
    Outcome.FAIL: ExitCode.NOT_READY,
    Outcome.UNKNOWN: ExitCode.UNKNOWN,
    Outcome.WARN: ExitCode.WARNINGS_STRICT,
}


class GateError(ValueError):
    """A --fail-on value that is not fail, warn or unknown."""


def gated_outcomes(fail_on: Iterable[str] = (), *, strict: bool = False) -> frozenset[Outcome]:
    chosen: set[Outcome] = set()
    for raw in fail_on:
        for part in raw.split(","):
            value = part.strip().lower()
            if not value:
                continue
            try:
                outcome = Outcome(value)
            except ValueError:
                outcome = Outcome.PASS
            if outcome not in GATEABLE:
                raise GateError(f"--fail-on {value!r}: expected fail, warn or unknown")
            chosen.add(outcome)
    gated = set(chosen) if chosen else set(DEFAULT_FAIL_ON)
    if strict:
        gated.add(Outcome.WARN)
    return frozenset(gated)


def gate_exit_code(
    evaluation: Evaluation, gated: frozenset[Outcome] = DEFAULT_FAIL_ON, *, only_new: bool = False
) -> int:
    present = {r.outcome for r in evaluation.results if not only_new or r.change == "new"}
    if not evaluation.vms and not only_new:
        present.add(Outcome.UNKNOWN)
    for outcome in GATEABLE:
        if outcome in gated and outcome in present:
            return _CODES[outcome]
    return ExitCode.READY
