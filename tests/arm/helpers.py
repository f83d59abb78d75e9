"""Shared assertions for the Azure collection tests."""

from __future__ import annotations

from arm.probes import PROBES
from asr_preflight.api import Outcome
from asr_preflight.engine import Evaluation, evaluate, load_rules
from asr_preflight.plan import Plan
from asr_preflight.snapshot import Snapshot
from fakes.arm import FakeAzure


def run(snapshot: Snapshot, plan: Plan) -> Evaluation:
    """The installed rules plus the probes, through the real engine."""
    return evaluate(snapshot, plan, [*load_rules(), *PROBES.values()])


def outcomes(evaluation: Evaluation, code: str) -> dict[str, Outcome]:
    return {r.vm: r.outcome for r in evaluation.results if r.rule == code}


def hints(evaluation: Evaluation, code: str) -> dict[str, str]:
    return {r.vm: r.hint for r in evaluation.results if r.rule == code}


def assert_read_only(fake: FakeAzure) -> None:
    """Nothing but GET reached the fake, apart from the credential's token request."""
    others = {
        (r.method, r.path)
        for r in fake.requests()
        if r.method != "GET" and not (r.method == "POST" and r.path.endswith("/oauth2/v2.0/token"))
    }
    assert others == set(), others
    assert fake.arm_requests(), "nothing reached ARM at all"
