"""engine.evaluate pauses the cyclic garbage collector for the run (a netsec speed change) and
leaves it as it found it."""

from __future__ import annotations

import gc

from netsec_facts import estate

from asr_preflight.engine import evaluate
from asr_preflight.testing import make_plan
from asr_preflight_rules.network.asr201_outbound_storage import outbound_storage


def test_evaluate_restores_the_garbage_collector_state() -> None:
    was = gc.isenabled()
    try:
        for state in (True, False):
            (gc.enable if state else gc.disable)()
            result = evaluate(estate(), make_plan(), [outbound_storage])
            assert gc.isenabled() is state
            assert result.results[0].rule == "ASR201"
    finally:
        (gc.enable if was else gc.disable)()
