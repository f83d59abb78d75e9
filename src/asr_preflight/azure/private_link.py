"""Private endpoints, the private DNS zones Site Recovery needs, and the vault's private-link and
identity settings.

- Private endpoints, listed per subscription (``GET /subscriptions/S/providers/
  Microsoft.Network/privateEndpoints``, PrivateEndpoints_ListBySubscription,
  ``specification/network/resource-manager/Microsoft.Network/stable/2024-05-01/privateEndpoint.json``):
  ``properties.subnet.id`` and, from ``privateLinkServiceConnections`` and
  ``manualPrivateLinkServiceConnections``, ``properties.privateLinkServiceId`` (the target
  resource) and ``properties.groupIds`` (``blob``, ``AzureSiteRecovery``…).
- Private DNS zones, listed per subscription (``GET /subscriptions/S/providers/
  Microsoft.Network/privateDnsZones``, PrivateZones_List), and for the zones Site Recovery needs
  their virtual network links (``GET <zone id>/virtualNetworkLinks``, VirtualNetworkLinks_List):
  ``properties.virtualNetwork.id`` and ``properties.virtualNetworkLinkState`` (``Completed``,
  ``InProgress``); ``specification/privatedns/resource-manager/Microsoft.Network/stable/
  2020-06-01/privatedns.json``.
- The vault (Vaults_Get, ``specification/recoveryservices/resource-manager/
  Microsoft.RecoveryServices/stable/2024-04-01/vaults.json``): ``identity.type``,
  ``identity.principalId``, ``properties.publicNetworkAccess``,
  ``properties.privateEndpointConnections[].properties`` (``privateEndpoint.id``,
  ``groupIds``, ``privateLinkServiceConnectionState.status``) and
  ``properties.privateEndpointStateForSiteRecovery``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from asr_preflight.azure.api_versions import api_version
from asr_preflight.azure.raw import NETWORK_API, dig, list_all, ref
from asr_preflight.azure.storage import connections
from asr_preflight.snapshot import PrivateDnsZone, PrivateEndpoint, PrivateEndpointConnection

PRIVATE_DNS_API = api_version("Microsoft.Network/privateDnsZones")
#: The private DNS zone a vault's Site Recovery private endpoint needs (public cloud; the
#: sovereign clouds use their own suffix, matched by the same prefix).
SITE_RECOVERY_ZONE = "privatelink.siterecovery.windowsazure.com"
SITE_RECOVERY_GROUP = "AzureSiteRecovery"

Json = dict[str, Any]


def list_private_endpoints(client: Any, sub: str) -> list[Json]:
    path = f"/subscriptions/{sub}/providers/Microsoft.Network/privateEndpoints"
    return list(list_all(client, path, NETWORK_API))


def to_private_endpoint(item: Json) -> PrivateEndpoint:
    props = item.get("properties") or {}
    targets: list[str] = []
    groups: list[str] = []
    for key in ("privateLinkServiceConnections", "manualPrivateLinkServiceConnections"):
        for conn in props.get(key) or ():
            p = (conn.get("properties") or {}) if isinstance(conn, Mapping) else {}
            if p.get("privateLinkServiceId"):
                targets.append(str(p["privateLinkServiceId"]))
            groups.extend(str(g) for g in (p.get("groupIds") or ()))
    if not item.get("id") or not item.get("name"):
        raise ValueError("private endpoint without id or name")
    return PrivateEndpoint(
        id=str(item["id"]),
        name=str(item["name"]),
        subnet_id=ref(props, "subnet"),
        target_ids=tuple(dict.fromkeys(targets)),
        group_ids=tuple(dict.fromkeys(groups)),
    )


def is_site_recovery_zone(name: str) -> bool:
    return name.lower().startswith("privatelink.siterecovery.")


def list_zones(client: Any, sub: str) -> list[Json]:
    """The subscription's private DNS zones that Site Recovery needs (the rest are dropped)."""
    path = f"/subscriptions/{sub}/providers/Microsoft.Network/privateDnsZones"
    return [
        z
        for z in list_all(client, path, PRIVATE_DNS_API)
        if is_site_recovery_zone(str(z.get("name") or ""))
    ]


def zone_with_links(client: Any, zone: Json) -> PrivateDnsZone:
    zone_id = str(zone.get("id") or "")
    if not zone_id:
        raise ValueError("private DNS zone without id")
    linked: list[str] = []
    pending: list[str] = []
    for link in list_all(client, f"{zone_id}/virtualNetworkLinks", PRIVATE_DNS_API):
        props = link.get("properties") or {}
        vnet = ref(props, "virtualNetwork")
        if vnet is None:
            continue
        state = str(props.get("virtualNetworkLinkState") or "")
        (linked if state.lower() == "completed" else pending).append(vnet)
    return PrivateDnsZone(
        id=zone_id,
        name=str(zone.get("name") or zone_id.rsplit("/", 1)[-1]),
        linked_vnet_ids=tuple(linked),
        pending_vnet_ids=tuple(pending),
    )


def wire_json(model: Any) -> Mapping[str, Any]:
    """The wire JSON of an SDK model: newer azure-mgmt models are Mappings of it; older
    (msrest) ones serialize to it (read-only fields kept)."""
    if isinstance(model, Mapping):
        return model
    serialize = getattr(model, "serialize", None)
    if callable(serialize):
        data = serialize(keep_readonly=True)
        if isinstance(data, Mapping):
            return data
    raise ValueError(f"cannot read the fields of {type(model).__name__}")


def vault_access(model: Any) -> dict[str, Any]:
    """The private-link and identity fields of a vault (an SDK model, or its JSON), as keyword
    arguments for :class:`~asr_preflight.snapshot.Vault`."""
    data = wire_json(model)
    props = data.get("properties") or {}
    identity = data.get("identity") or {}
    pecs: tuple[PrivateEndpointConnection, ...] = tuple(
        c
        for c in connections(props.get("privateEndpointConnections"))
        if not c.group_ids or any(g.lower() == SITE_RECOVERY_GROUP.lower() for g in c.group_ids)
    )
    state = props.get("privateEndpointStateForSiteRecovery")
    access = props.get("publicNetworkAccess")
    return {
        "public_network_access": str(access) if access else None,
        "private_endpoint_connections": pecs,
        "private_endpoint_state_for_site_recovery": str(state) if state else None,
        "identity_type": str(identity.get("type")) if identity.get("type") else None,
        "identity_principal_id": str(dig(identity, "principalId") or "") or None,
    }
