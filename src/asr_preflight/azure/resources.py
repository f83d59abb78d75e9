"""The Recovery Services vault and the resource groups the plan names (the cache storage
accounts: :mod:`storage`)."""

from __future__ import annotations

from typing import Any

from asr_preflight.azure.ids import ResourceId
from asr_preflight.regions import normalize
from asr_preflight.snapshot import ResourceGroup, Vault


def vault(client: Any, vault_id: str) -> Any:
    ref = ResourceId.parse(vault_id)
    return client.vaults.get(ref.resource_group, ref.name)


def to_vault(model: Any, rg_location: str | None) -> Vault:
    ref = ResourceId.parse(model.id)
    return Vault(
        id=str(model.id),
        name=str(model.name),
        location=normalize(model.location),
        resource_group=ref.resource_group,
        resource_group_location=rg_location,
    )


def resource_group(client: Any, subscription: str, name: str) -> ResourceGroup:
    """Looks the group up; a 404 means it does not exist (ASR will create it)."""
    from azure.core.exceptions import ResourceNotFoundError

    rg_id = f"/subscriptions/{subscription}/resourceGroups/{name}"
    try:
        model = client.resource_groups.get(name)
    except ResourceNotFoundError:
        return ResourceGroup(id=rg_id, name=name, subscription_id=subscription, exists=False)
    return ResourceGroup(
        id=str(model.id or rg_id),
        name=str(model.name or name),
        subscription_id=subscription,
        location=normalize(model.location) or None,
        exists=True,
    )
