"""Collection: the plan and the world in, a Snapshot out. Collectors gather and never judge.

``collect()`` runs the Azure collectors (``asr_preflight.azure``) and then the guest collectors
(``asr_preflight.guest``), and returns one Snapshot whose ``errors`` say what could not be
gathered. It is the only entry point the CLI uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from asr_preflight.plan import Plan
from asr_preflight.snapshot import Snapshot


@dataclass(frozen=True)
class CollectOptions:
    cloud: str | None = None  # overrides [azure] cloud
    arm_endpoint: str | None = None
    authority_host: str | None = None
    principal_id: str | None = None
    eligibility: bool = True  # False: --no-eligibility (ASR009 says skip)
    guest: bool = True  # False: --no-guest (ASR3xx say skip)
    concurrency: int = 16
    accept_new_host_keys: bool = False
    progress: bool = True  # rich progress on the console


def collect(plan: Plan, options: CollectOptions, *, credential: Any = None) -> Snapshot:
    """Gather every fact ``check`` would use. ``credential`` overrides DefaultAzureCredential."""
    raise NotImplementedError("Azure collection arrives with the Azure collection issue")
