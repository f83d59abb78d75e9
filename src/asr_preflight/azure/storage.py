"""Cache storage accounts, read as ARM serves them (JSON through the storage client's pipeline).

Follows Azure/azure-rest-api-specs
``specification/storage/resource-manager/Microsoft.Storage/stable/<pinned version>`` (storage.json:
StorageAccounts_GetProperties; blob.json: BlobServices_GetServiceProperties; the version is the
one :mod:`api_versions` pins; the official examples in tests/fakes/examples are 2023-05-01's,
whose fields read here are the same). The fields read:

- ``properties.publicNetworkAccess``: ``Enabled``, ``Disabled`` or ``SecuredByPerimeter`` ("value
  is optional"); absent on accounts where it was never set, which the storage firewall
  documentation describes as public access enabled, the network ACLs deciding: read as
  ``Enabled``;
- ``properties.networkAcls``: ``defaultAction`` (Allow/Deny), ``bypass`` (a comma-separated
  flags string: ``None`` or any of ``Logging, Metrics, AzureServices``), ``virtualNetworkRules``
  (``id`` = a subnet id, ``action``, ``state``), ``ipRules`` (``value``), ``resourceAccessRules``
  (``resourceId``, ``tenantId``);
- ``properties.allowSharedKeyAccess``: null means allowed (the spec: "If not specified, the
  default value is null, which is equivalent to true");
- ``properties.privateEndpointConnections``: ``privateEndpoint.id`` and
  ``privateLinkServiceConnectionState.status``; the sub-resource (blob, file…) is not listed
  there: it is the private endpoint's ``groupIds`` (:mod:`private_link`);
- blob service ``properties.deleteRetentionPolicy.enabled`` (blob soft delete).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from asr_preflight.azure.api_versions import api_version
from asr_preflight.azure.raw import dig, get_json, ref
from asr_preflight.regions import normalize
from asr_preflight.snapshot import PrivateEndpointConnection, StorageAccount

STORAGE_API = api_version("Microsoft.Storage/storageAccounts")
#: virtualNetworkRules[].state values of a rule that admits nothing (the spec's State enum)
DEAD_RULE_STATES = ("failed", "networksourcedeleted", "deprovisioning")

Json = dict[str, Any]


def get_account(client: Any, account_id: str) -> tuple[Json, Json]:
    """The account (StorageAccounts_GetProperties) and its blob service properties."""
    account = get_json(client, f"{account_id}?api-version={STORAGE_API}")
    blob = get_json(client, f"{account_id}/blobServices/default?api-version={STORAGE_API}")
    if not isinstance(account, dict) or not isinstance(blob, dict):
        raise ValueError(f"{account_id}: answer is not an object")
    return account, blob


def storage_account(client: Any, account_id: str) -> StorageAccount:
    return to_storage_account(*get_account(client, account_id))


def connections(items: Any) -> tuple[PrivateEndpointConnection, ...]:
    """``privateEndpointConnections`` of a storage account or a vault."""
    out = []
    for item in items or ():
        if not isinstance(item, Mapping):
            raise ValueError("a private endpoint connection is not an object")
        props = item.get("properties") or {}
        status = dig(props, "privateLinkServiceConnectionState", "status")
        out.append(
            PrivateEndpointConnection(
                id=str(item.get("id") or ""),
                private_endpoint_id=ref(props, "privateEndpoint"),
                status=str(status) if status else None,
                group_ids=tuple(str(g) for g in (props.get("groupIds") or ())),
            )
        )
    return tuple(out)


def to_storage_account(account: Json, blob: Json) -> StorageAccount:
    props = account.get("properties") or {}
    acls = props.get("networkAcls") or {}
    bypass = str(acls.get("bypass") or "")
    default_action = acls.get("defaultAction")
    shared = props.get("allowSharedKeyAccess")
    retention = dig(blob, "properties", "deleteRetentionPolicy", "enabled")
    if not account.get("id") or not account.get("name"):
        raise ValueError("storage account without id or name")
    return StorageAccount(
        id=str(account["id"]),
        name=str(account["name"]),
        location=normalize(account.get("location")),
        kind=str(account["kind"]) if account.get("kind") else None,
        sku=str(dig(account, "sku", "name") or "") or None,
        # absent policy = soft delete off; a value that is no boolean is not gathered (unknown)
        blob_soft_delete_enabled=False if retention is None else _flag(retention),
        allow_shared_key_access=True if shared is None else _flag(shared),
        network_default_action=default_action if default_action in ("Allow", "Deny") else None,
        network_bypass=tuple(
            p.strip() for p in bypass.split(",") if p.strip() and p.strip() != "None"
        ),
        virtual_network_subnet_ids=tuple(
            str(r["id"])
            for r in (acls.get("virtualNetworkRules") or ())
            if isinstance(r, dict)
            and r.get("id")
            and (r.get("action") or "Allow") == "Allow"
            and str(r.get("state") or "").lower() not in DEAD_RULE_STATES
        ),
        ip_rules=tuple(
            str(r["value"])
            for r in (acls.get("ipRules") or ())
            if isinstance(r, dict) and r.get("value")
        ),
        blob_endpoint=str(dig(props, "primaryEndpoints", "blob") or "") or None,
        public_network_access=str(props.get("publicNetworkAccess") or "Enabled"),
        resource_access_rules=tuple(
            str(r["resourceId"])
            for r in (acls.get("resourceAccessRules") or ())
            if isinstance(r, dict) and r.get("resourceId")
        ),
        private_endpoint_connections=connections(props.get("privateEndpointConnections")),
    )


def _flag(value: Any) -> bool | None:
    """A JSON boolean; anything else (``"false"``, ``0``) is not read as one (None)."""
    return value if isinstance(value, bool) else None
