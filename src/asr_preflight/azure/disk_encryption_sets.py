"""Disk encryption sets, listed once per target subscription.

``GET /subscriptions/{s}/providers/Microsoft.Compute/diskEncryptionSets``
(DiskEncryptionSets_List). The parser follows azure-rest-api-specs ``specification/compute/
resource-manager/Microsoft.Compute/DiskRP/stable/2024-03-02/diskEncryptionSet.json``
(``DiskEncryptionSet``: ``location``, ``properties.encryptionType`` EncryptionAtRestWith
CustomerKey | EncryptionAtRestWithPlatformAndCustomerKeys | ConfidentialVmEncryptedWithCustomer
Key, ``properties.provisioningState``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from asr_preflight.azure.api_versions import api_version
from asr_preflight.azure.raw import dig, list_all
from asr_preflight.regions import normalize
from asr_preflight.snapshot import DiskEncryptionSet

DES_API = api_version("Microsoft.Compute/diskEncryptionSets")


def list_disk_encryption_sets(client: Any, sub: str) -> list[DiskEncryptionSet]:
    path = f"/subscriptions/{sub}/providers/Microsoft.Compute/diskEncryptionSets"
    return [to_disk_encryption_set(item) for item in list_all(client, path, DES_API)]


def to_disk_encryption_set(item: Mapping[str, Any]) -> DiskEncryptionSet:
    des_id, location = item.get("id"), item.get("location")
    if not isinstance(des_id, str) or not des_id or not isinstance(location, str):
        raise ValueError(f"disk encryption set {des_id!r} lacks an id or a location")
    kind = dig(item, "properties", "encryptionType")
    state = dig(item, "properties", "provisioningState")
    return DiskEncryptionSet(
        id=des_id,
        name=str(item.get("name") or des_id.rsplit("/", 1)[-1]),
        location=normalize(location),
        encryption_type=kind if isinstance(kind, str) else None,
        provisioning_state=state if isinstance(state, str) else None,
    )
