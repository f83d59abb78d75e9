"""Collection: the plan and the world in, a Snapshot out. Collectors gather and never judge.

``collect()`` runs the Azure collectors (``asr_preflight.azure``) and then the guest collectors
(``asr_preflight.guest``), and returns one Snapshot whose ``errors`` say what could not be
gathered. It is the only entry point the CLI uses. The options live in
:mod:`asr_preflight.options` (re-exported here).
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from asr_preflight.azure.credential import CredentialError
from asr_preflight.options import CollectOptions
from asr_preflight.plan import Plan
from asr_preflight.snapshot import Snapshot

__all__ = ["CollectOptions", "CredentialError", "collect"]


def collect(plan: Plan, options: CollectOptions, *, credential: Any = None) -> Snapshot:
    """Gather every fact ``check`` would use. ``credential`` overrides DefaultAzureCredential.

    Raises :class:`asr_preflight.azure.credential.CredentialError` (one line, no traceback
    needed) when no credential can get a token, and :class:`asr_preflight.plan.PlanError` for a
    plan the estate contradicts (a named vault that does not exist, group members not selected).
    """
    from asr_preflight.azure.orchestrator import collect_azure

    started = time.monotonic()
    snapshot = collect_azure(plan, options.azure, options.progress, credential=credential)
    if options.azure.timeout:  # an explicit --timeout covers the guests too (0: no limit)
        limited = replace(options.guests, deadline=started + options.azure.timeout)
        options = replace(options, guests=limited)
    if not (options.guests.enabled and plan.guest is not None):
        return replace(snapshot, collection=replace(snapshot.collection, guest_skipped=True))
    # No ImportError fallback: a guest collector that cannot be imported is a bug (exit 5), never
    # "guests skipped", which would turn every ASR3xx result into a quiet skip.
    from asr_preflight.guest.collect import collect_guests

    guests: Snapshot = collect_guests(plan, snapshot, options)  # its guest part and progress
    return guests
