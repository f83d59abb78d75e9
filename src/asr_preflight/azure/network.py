"""NICs, NSGs, VNets with their subnets and peerings, route tables, public IPs: listed per
subscription (as JSON, see :mod:`raw`), then trimmed to what the selected VMs reference."""

from __future__ import annotations

from typing import Any

from asr_preflight.azure.raw import NETWORK_API, dig, get_json, list_all, ref
from asr_preflight.regions import normalize
from asr_preflight.snapshot import (
    IpConfiguration,
    NetworkInterface,
    NetworkSecurityGroup,
    Route,
    RouteTable,
    SecurityRule,
    Subnet,
    VirtualNetwork,
)

Json = dict[str, Any]
KINDS = {
    "nics": "networkInterfaces",
    "nsgs": "networkSecurityGroups",
    "vnets": "virtualNetworks",
    "route_tables": "routeTables",
    "public_ips": "publicIPAddresses",
}


def list_kind(client: Any, sub: str, kind: str) -> list[Json]:
    path = f"/subscriptions/{sub}/providers/Microsoft.Network/{KINDS[kind]}"
    return list(list_all(client, path, NETWORK_API))


def get_item(client: Any, resource_id: str) -> Json:
    """One network resource by id (only for those outside the listed subscriptions)."""
    body = get_json(client, f"{resource_id}?api-version={NETWORK_API}")
    if not isinstance(body, dict):
        raise ValueError(f"{resource_id}: answer is not an object")
    return body


def public_ips(items: list[Json]) -> dict[str, str]:
    return {
        str(p["id"]).lower(): str(address)
        for p in items
        if p.get("id") and (address := dig(p, "properties", "ipAddress"))
    }


def _required(item: Json, name: str) -> str:
    value = item.get(name)
    if not value:
        raise ValueError(f"{item.get('type') or 'network resource'} without {name}")
    return str(value)


def to_nic(item: Json, pips: dict[str, str]) -> NetworkInterface:
    props = item.get("properties") or {}
    configs = []
    for ipc in props.get("ipConfigurations") or ():
        p = ipc.get("properties") or {}
        public_id = ref(p, "publicIPAddress")
        configs.append(
            IpConfiguration(
                name=_required(ipc, "name"),
                primary=bool(p.get("primary")),
                private_ip=p.get("privateIPAddress"),
                public_ip_id=public_id,
                public_ip=pips.get(public_id.lower()) if public_id else None,
                subnet_id=ref(p, "subnet"),
                asg_ids=tuple(
                    str(a["id"]) for a in (p.get("applicationSecurityGroups") or ()) if a.get("id")
                ),
            )
        )
    return NetworkInterface(
        id=_required(item, "id"),
        name=_required(item, "name"),
        location=normalize(item.get("location")) or None,
        vm_id=ref(props, "virtualMachine"),
        nsg_id=ref(props, "networkSecurityGroup"),
        accelerated_networking=bool(props.get("enableAcceleratedNetworking")),
        ip_configurations=tuple(configs),
    )


def _merged(single: Any, plural: Any) -> tuple[str, ...]:
    out = [str(v) for v in (plural or ())]
    if single:
        out.insert(0, str(single))
    return tuple(dict.fromkeys(out))


def _asgs(items: Any) -> tuple[str, ...]:
    return tuple(str(a["id"]) for a in (items or ()) if isinstance(a, dict) and a.get("id"))


def to_rule(item: Json) -> SecurityRule:
    p = item.get("properties") or {}
    direction, access = p.get("direction"), p.get("access")
    if direction not in ("Inbound", "Outbound") or access not in ("Allow", "Deny"):
        raise ValueError(
            f"security rule {item.get('name')!r}: direction {direction!r}, access {access!r}"
        )
    return SecurityRule(
        name=_required(item, "name"),
        priority=int(p["priority"]),
        direction=direction,
        access=access,
        protocol=str(p.get("protocol") or "*"),
        source_address_prefixes=_merged(
            p.get("sourceAddressPrefix"), p.get("sourceAddressPrefixes")
        ),
        source_port_ranges=_merged(p.get("sourcePortRange"), p.get("sourcePortRanges")) or ("*",),
        destination_address_prefixes=_merged(
            p.get("destinationAddressPrefix"), p.get("destinationAddressPrefixes")
        ),
        destination_port_ranges=_merged(
            p.get("destinationPortRange"), p.get("destinationPortRanges")
        )
        or ("*",),
        source_asg_ids=_asgs(p.get("sourceApplicationSecurityGroups")),
        destination_asg_ids=_asgs(p.get("destinationApplicationSecurityGroups")),
    )


def to_nsg(item: Json) -> NetworkSecurityGroup:
    props = item.get("properties") or {}
    return NetworkSecurityGroup(
        id=_required(item, "id"),
        name=_required(item, "name"),
        location=normalize(item.get("location")) or None,
        rules=tuple(to_rule(r) for r in (props.get("securityRules") or ())),
        default_rules=tuple(to_rule(r) for r in (props.get("defaultSecurityRules") or ())),
    )


def to_vnet(item: Json) -> tuple[VirtualNetwork, list[Subnet]]:
    vnet_id = _required(item, "id")
    props = item.get("properties") or {}
    peered: list[str] = []
    for peering in props.get("virtualNetworkPeerings") or ():
        p = peering.get("properties") or {}
        if str(p.get("peeringState") or "").lower() != "connected":
            continue
        remote = p.get("remoteAddressSpace") or p.get("remoteVirtualNetworkAddressSpace") or {}
        peered.extend(str(x) for x in (remote.get("addressPrefixes") or ()))
    vnet = VirtualNetwork(
        id=vnet_id,
        name=_required(item, "name"),
        location=normalize(item.get("location")) or None,
        address_prefixes=tuple(
            str(x) for x in (dig(props, "addressSpace", "addressPrefixes") or ())
        ),
        peered_address_prefixes=tuple(dict.fromkeys(peered)),
    )
    subnets = []
    for s in props.get("subnets") or ():
        p = s.get("properties") or {}
        subnets.append(
            Subnet(
                id=_required(s, "id"),
                name=_required(s, "name"),
                vnet_id=vnet_id,
                address_prefixes=_merged(p.get("addressPrefix"), p.get("addressPrefixes")),
                nsg_id=ref(p, "networkSecurityGroup"),
                route_table_id=ref(p, "routeTable"),
                service_endpoints=tuple(
                    str(e["service"]) for e in (p.get("serviceEndpoints") or ()) if e.get("service")
                ),
            )
        )
    return vnet, subnets


def to_route_table(item: Json) -> RouteTable:
    props = item.get("properties") or {}
    routes = []
    for r in props.get("routes") or ():
        p = r.get("properties") or {}
        routes.append(
            Route(
                name=_required(r, "name"),
                address_prefix=str(p["addressPrefix"]),
                next_hop_type=str(p.get("nextHopType") or "None"),
                next_hop_ip=p.get("nextHopIpAddress"),
            )
        )
    return RouteTable(id=_required(item, "id"), name=_required(item, "name"), routes=tuple(routes))
