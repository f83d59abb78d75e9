"""Demo estate: role assignments, role definitions, deny assignments.
Owned by the **rbac** helper.

`apply` receives the snapshot built so far and returns it with this area's facts added
(`dataclasses.replace`). Until the rbac area fills it in, it adds nothing.
"""

from __future__ import annotations

from asr_preflight.snapshot import Snapshot


def apply(snapshot: Snapshot) -> Snapshot:
    return snapshot
