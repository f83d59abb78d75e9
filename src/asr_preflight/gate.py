"""The CI gate: which outcomes make `check` exit non-zero, and with which code.

Exit codes (DESIGN.md): 1 = a failure, 3 = readiness unknown, 4 = warnings. The *gated set* is:

- by default ``{fail, unknown}``;
- with ``--fail-on X`` (repeatable) exactly the outcomes given, replacing the default;
- ``--strict`` adds ``warn`` to whichever set is in force.

When ``warn`` is gated, JUnit shows warnings as failures unless ``--junit-warnings`` says
otherwise (:func:`junit_warnings_mode`).

The exit code is that of the most serious gated outcome present among the non-waived results,
in the order fail (1) > unknown (3) > warn (4); 0 when none is present. With ``--fail-on-new``
only results marked ``new`` against the baseline count. A run that selected no VM at all is
``unknown`` (nothing can be said to be ready) and exits 3 whenever ``unknown`` is gated; so is an
incomplete run (``Evaluation.incomplete``: VMs that could not be listed, a rule pack that failed
to load), with or without ``--fail-on-new``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from asr_preflight.api import Outcome
from asr_preflight.baseline import Comparison, Scan, load_scan, mark
from asr_preflight.engine import Evaluation, ExitCode
from asr_preflight.plan import Waiver
from asr_preflight.waivers import (
    LoadedWaiver,
    WaiverReport,
    apply_waivers,
    from_plan,
    load_waivers,
)

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


def junit_warnings_mode(given: str | None, gated: frozenset[Outcome]) -> str:
    """How JUnit shows a warning: ``--junit-warnings`` as given; without it ``failure`` when
    warnings are gated (``--strict``, ``--fail-on warn``), so that a CI reading the JUnit test
    results fails when the exit code does, else ``pass``."""
    if given is not None:
        return given
    return "failure" if Outcome.WARN in gated else "pass"


def gate_exit_code(
    evaluation: Evaluation, gated: frozenset[Outcome] = DEFAULT_FAIL_ON, *, only_new: bool = False
) -> int:
    present = {r.outcome for r in evaluation.results if not only_new or r.change == "new"}
    if not evaluation.vms and not only_new:
        present.add(Outcome.UNKNOWN)
    if evaluation.incomplete:  # VMs not listed, a rule pack not loaded: never ready silently
        present.add(Outcome.UNKNOWN)
    for outcome in GATEABLE:
        if outcome in gated and outcome in present:
            return _CODES[outcome]
    return ExitCode.READY


# ---------------------------------------------------------------------------------------------
# The whole post-evaluation step `check` runs: waivers, then baseline marks, then the gate
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GateRun:
    evaluation: Evaluation  # waived and marked
    exit_code: int
    waivers: WaiverReport | None = None
    comparison: Comparison | None = None
    gated: frozenset[Outcome] = DEFAULT_FAIL_ON
    only_new: bool = False

    def notes(self) -> list[str]:
        """Lines for the console: waiver problems and the baseline summary."""
        out = list(self.waivers.lines()) if self.waivers else []
        if self.comparison is not None:
            c = self.comparison
            out.append(
                f"against the baseline: {len(c.new)} new problem(s), {len(c.unchanged)} unchanged, "
                f"{len(c.fixed)} fixed, {len(c.gone)} gone"
            )
        return out


@dataclass(frozen=True)
class Gates:
    """The gate options, loaded and validated before anything is collected."""

    waivers: tuple[LoadedWaiver, ...] = ()
    baseline: Scan | None = None
    gated: frozenset[Outcome] = DEFAULT_FAIL_ON
    only_new: bool = False

    @classmethod
    def load(
        cls,
        *,
        plan_waivers: Sequence[Waiver] = (),
        plan_source: str = "plan",
        waivers_file: Path | None = None,
        baseline: Path | None = None,
        fail_on: Iterable[str] = (),
        strict: bool = False,
        fail_on_new: bool = False,
    ) -> Gates:
        """Raises :class:`~asr_preflight.plan.PlanError` (a malformed waiver),
        :class:`~asr_preflight.baseline.BaselineError` (an unreadable baseline) or
        :class:`GateError` (bad options); the CLI maps all three to exit code 2."""
        gated = gated_outcomes(fail_on, strict=strict)
        if fail_on_new and baseline is None:
            raise GateError("--fail-on-new needs --baseline OLD_results.json")
        loaded = list(from_plan(plan_waivers, plan_source))
        if waivers_file is not None:
            loaded.extend(load_waivers(waivers_file))
        scan = load_scan(baseline) if baseline is not None else None
        return cls(tuple(loaded), scan, gated, fail_on_new)

    def apply(self, evaluation: Evaluation, today: date | None = None) -> GateRun:
        """Waivers first (a waived problem is never new), then baseline marks, then the gate;
        the waiver and baseline notes are added to ``evaluation.notes``."""
        report: WaiverReport | None = None
        if self.waivers:
            evaluation, report = apply_waivers(evaluation, self.waivers, today or date.today())
        comparison: Comparison | None = None
        if self.baseline is not None:
            evaluation, comparison = mark(evaluation, self.baseline)
        code = gate_exit_code(evaluation, self.gated, only_new=self.only_new)
        run = GateRun(evaluation, code, report, comparison, self.gated, self.only_new)
        notes = tuple(run.notes())
        if notes:
            run = replace(run, evaluation=replace(evaluation, notes=(*evaluation.notes, *notes)))
        return run
