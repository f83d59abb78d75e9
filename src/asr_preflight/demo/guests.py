"""Demo estate: in-guest facts (certificates, proxies, endpoints, port probes).
Owned by the **guest** helper.

`apply` receives the snapshot built so far and returns it with this area's facts added
(`dataclasses.replace`). Until the guest area fills it in, it adds nothing.
"""

from __future__ import annotations

from asr_preflight.snapshot import Snapshot


def apply(snapshot: Snapshot) -> Snapshot:
    return snapshot
