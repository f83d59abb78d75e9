"""An eligibility answer whose ``errors`` holds something other than error objects is not read
as "no errors": ASR009 is unknown for that VM, never pass (hostile or broken ARM input)."""

from __future__ import annotations

import pytest

from arm.conftest import options
from arm.helpers import outcomes, run
from asr_preflight.api import Outcome
from asr_preflight.collect import collect
from asr_preflight.plan import Plan
from fakes.arm import FakeAzure


@pytest.mark.parametrize(
    "errors",
    [["150436: The VM has a stale ASR extension."], [None], [["150436"]]],
    ids=["string", "null", "list"],
)
def test_an_unreadable_eligibility_error_is_unknown_not_pass(
    fake: FakeAzure, plan: Plan, errors: list[object]
) -> None:
    fake.fail(
        "/virtualmachines/vm-web-01/providers/microsoft.recoveryservices",
        status=200,
        body={"properties": {"errors": errors}},
        times=None,
    )
    evaluation = run(collect(plan, options(fake)), plan)
    asr009 = outcomes(evaluation, "ASR009")
    assert asr009["vm-web-01"] is Outcome.UNKNOWN
    assert asr009["vm-web-02"] is Outcome.PASS
