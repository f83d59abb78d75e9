"""Demo estate: NSG rules, route tables, service tags.
Owned by the **netsec** helper.

`apply` receives the snapshot built so far and returns it with this area's facts added
(`dataclasses.replace`). Until the netsec area fills it in, it adds nothing.
"""

from __future__ import annotations

from asr_preflight.snapshot import Snapshot


def apply(snapshot: Snapshot) -> Snapshot:
    return snapshot
