"""Key vaults (Microsoft.KeyVault/vaults): listed once per subscription, never read per VM.

``GET /subscriptions/{s}/providers/Microsoft.KeyVault/vaults`` (Vaults_ListBySubscription,
specification/keyvault/resource-manager/Microsoft.KeyVault/stable/2023-02-01/keyvault.json)
returns whole vault objects, ``properties.accessPolicies`` and
``properties.enableRbacAuthorization`` included, paged with ``nextLink``. Only management-plane
properties are read: no key, secret or certificate is ever listed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from asr_preflight.azure.api_versions import api_version
from asr_preflight.azure.raw import dig, list_all
from asr_preflight.regions import normalize as norm_location
from asr_preflight.snapshot import KeyVault, KeyVaultAccessPolicy

KEYVAULT_API = api_version("Microsoft.KeyVault/vaults")


def list_key_vaults(client: Any, sub: str) -> list[KeyVault]:
    """Every key vault of the subscription (through ``Clients.raw``'s pipeline)."""
    path = f"/subscriptions/{sub}/providers/Microsoft.KeyVault/vaults"
    return [to_key_vault(item) for item in list_all(client, path, KEYVAULT_API)]


def to_key_vault(item: Mapping[str, Any]) -> KeyVault:
    vault_id, name, location = item.get("id"), item.get("name"), item.get("location")
    if not (vault_id and name and location):
        raise ValueError(f"key vault {vault_id or '(no id)'} lacks name or location")
    props = item.get("properties") or {}
    rbac = props.get("enableRbacAuthorization")
    return KeyVault(
        id=str(vault_id),
        name=str(name),
        location=norm_location(str(location)),
        rbac_authorization=rbac if isinstance(rbac, bool) else None,
        access_policies=tuple(
            _policy(p) for p in (props.get("accessPolicies") or ()) if isinstance(p, Mapping)
        ),
    )


def _policy(entry: Mapping[str, Any]) -> KeyVaultAccessPolicy:
    def perms(kind: str) -> tuple[str, ...]:
        values = dig(entry, "permissions", kind) or ()
        return tuple(str(v).lower() for v in values if isinstance(v, str))

    app = entry.get("applicationId")
    tenant = entry.get("tenantId")
    return KeyVaultAccessPolicy(
        object_id=str(entry.get("objectId") or ""),
        tenant_id=str(tenant) if tenant else None,
        application_id=str(app) if app else None,
        keys=perms("keys"),
        secrets=perms("secrets"),
    )


def ade_vault_ids(disks: Any) -> set[str]:
    """The key vault ids the given :class:`~asr_preflight.snapshot.Disk` facts name (ADE)."""
    found: set[str] = set()
    for disk in disks:
        for ref in (disk.ade_key_vault_id, disk.ade_kek_vault_id):
            if ref:
                found.add(ref)
    return found
