"""The Recovery Services vault, the cache storage account and the resource groups the plan names."""

from __future__ import annotations

from typing import Any

from asr_preflight.azure.ids import ResourceId, text
from asr_preflight.regions import normalize
from asr_preflight.snapshot import ResourceGroup, StorageAccount, Vault


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


def storage_account(client: Any, account_id: str) -> StorageAccount:
    ref = ResourceId.parse(account_id)
    account = client.storage_accounts.get_properties(ref.resource_group, ref.name)
    blob = client.blob_services.get_service_properties(ref.resource_group, ref.name)
    retention = getattr(blob, "delete_retention_policy", None)
    acls = getattr(account, "network_rule_set", None)
    shared = getattr(account, "allow_shared_key_access", None)
    bypass = text(getattr(acls, "bypass", None)) or ""
    endpoints = getattr(account, "primary_endpoints", None)
    default_action = text(getattr(acls, "default_action", None))
    return StorageAccount(
        id=str(account.id),
        name=str(account.name),
        location=normalize(account.location),
        kind=text(account.kind),
        sku=text(getattr(account.sku, "name", None)),
        blob_soft_delete_enabled=bool(getattr(retention, "enabled", False)),
        allow_shared_key_access=True if shared is None else bool(shared),  # ARM null = allowed
        network_default_action=default_action if default_action in ("Allow", "Deny") else None,  # type: ignore[arg-type]
        network_bypass=tuple(
            p.strip() for p in bypass.split(",") if p.strip() and p.strip() != "None"
        ),
        virtual_network_subnet_ids=tuple(
            str(r.virtual_network_resource_id)
            for r in (getattr(acls, "virtual_network_rules", None) or ())
        ),
        ip_rules=tuple(str(r.ip_address_or_range) for r in (getattr(acls, "ip_rules", None) or ())),
        blob_endpoint=text(getattr(endpoints, "blob", None)),
    )
