"""Management locks, listed once per subscription.

``GET /subscriptions/{s}/providers/Microsoft.Authorization/locks``
(ManagementLocks_ListAtSubscriptionLevel) returns every lock in the subscription: on the
subscription, on its resource groups and on their resources. The parser follows
azure-rest-api-specs
``specification/resources/resource-manager/Microsoft.Authorization/stable/2016-09-01/locks.json``
(``ManagementLockObject``: ``properties.level`` NotSpecified | CanNotDelete | ReadOnly,
``properties.notes``), the same shape as the 2020-05-01 folder's ``locks.json``. The lock's
scope is its id up to ``/providers/Microsoft.Authorization/locks/``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from asr_preflight.azure.api_versions import api_version
from asr_preflight.azure.raw import dig, list_all
from asr_preflight.snapshot import ManagementLock

LOCKS_API = api_version("Microsoft.Authorization/locks")
_MARKER = "/providers/microsoft.authorization/locks/"


def list_locks(client: Any, sub: str) -> list[ManagementLock]:
    path = f"/subscriptions/{sub}/providers/Microsoft.Authorization/locks"
    return [to_lock(item) for item in list_all(client, path, LOCKS_API)]


def to_lock(item: Mapping[str, Any]) -> ManagementLock:
    lock_id = item.get("id")
    level = dig(item, "properties", "level")
    if not isinstance(lock_id, str) or _MARKER not in lock_id.lower():
        raise ValueError(f"management lock {lock_id!r} has no lock id")
    if not isinstance(level, str) or not level:
        raise ValueError(f"management lock {lock_id} has no level")
    cut = lock_id.lower().rindex(_MARKER)
    notes = dig(item, "properties", "notes")
    return ManagementLock(
        id=lock_id,
        name=str(item.get("name") or lock_id[cut + len(_MARKER) :]),
        scope=lock_id[:cut] or "/",
        level=level,
        notes=notes if isinstance(notes, str) else None,
    )
