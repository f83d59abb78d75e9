"""RuleContext.error_for answers from an index built once per run: the same error as a scan of
every FactError (the longest covering scope, the first of equally long ones) for any scope."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from asr_preflight.api import RuleContext
from asr_preflight.snapshot import FactError
from asr_preflight.testing import make_plan, make_snapshot

SEGMENTS = st.sampled_from(["subscriptions", "S1", "s1", "resourceGroups", "RG", "rg", "vm-a", ""])
SCOPES = st.lists(SEGMENTS, max_size=5).map(lambda parts: "/" + "/".join(parts))
SCOPES = SCOPES | SCOPES.map(lambda s: s + "/") | SCOPES.map(lambda s: s.lstrip("/"))
KINDS = st.sampled_from(["network", "guest", "skus"])


def scanned(errors: tuple[FactError, ...], kind: str, scope: str) -> FactError | None:
    best: FactError | None = None
    for err in errors:
        if err.covers(kind, scope) and (best is None or len(err.scope) > len(best.scope)):
            best = err
    return best


@settings(max_examples=500, deadline=None)
@example(errors=[("skus", "//"), ("skus", "S1")], kind="skus", scope="S1")  # found by hypothesis
@given(
    errors=st.lists(st.tuples(KINDS, SCOPES), max_size=6),
    kind=KINDS,
    scope=SCOPES,
)
def test_the_index_answers_as_a_scan_of_every_error(
    errors: list[tuple[str, str]], kind: str, scope: str
) -> None:
    facts = tuple(
        FactError(k, s, f"cause {i}", f"hint {i}")  # type: ignore[arg-type]
        for i, (k, s) in enumerate(errors)
    )
    ctx = RuleContext(make_snapshot(errors=facts), make_plan())
    assert ctx.error_for(kind, scope) == scanned(facts, kind, scope)


def test_a_subscription_error_explains_a_missing_nic_below_it() -> None:
    broad = FactError("network", "/subscriptions/S1", "403 on the subscription", "grant Reader")
    narrow = FactError("network", "/subscriptions/s1/resourceGroups/rg", "rg gone", "")
    ctx = RuleContext(make_snapshot(errors=(broad, narrow)), make_plan())
    nic = "/subscriptions/S1/resourceGroups/RG/providers/Microsoft.Network/networkInterfaces/n"
    assert ctx.error_for("network", nic) is narrow
    assert ctx.error_for("network", "/subscriptions/S1/resourceGroups/other/x") is broad
    assert ctx.error_for("guest", nic) is None
    assert ctx.error_for("network", "/subscriptions/S12") is None
