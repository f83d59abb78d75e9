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
                load_balancer_pool_ids=_ids(p.get("loadBalancerBackendAddressPools")),
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


def _prefixes(single: Any, plural: Any, what: str) -> tuple[str, ...]:
    """Address prefixes (or service tags) exactly as ARM gave them: each a non-empty string
    without control characters (a NUL or newline cannot be an address), else ValueError."""
    values = ([single] if single else []) + list(_list(plural, what))
    for value in values:
        if not isinstance(value, str) or not value.strip() or not value.isprintable():
            raise ValueError(f"{what}: {value!r} is not an address prefix or service tag")
    return tuple(dict.fromkeys(values))


def _list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"{what} is not a list ({type(value).__name__})")
    return value


def _ids(items: Any) -> tuple[str, ...]:
    """The ``id`` of each sub-resource reference in a list."""
    return tuple(str(a["id"]) for a in (items or ()) if isinstance(a, dict) and a.get("id"))


def _asgs(items: Any) -> tuple[str, ...]:
    return tuple(str(a["id"]) for a in (items or ()) if isinstance(a, dict) and a.get("id"))


#: SecurityRuleProtocol in Microsoft.Network stable/2024-05-01/networkSecurityGroup.json.
PROTOCOLS = {p.lower(): p for p in ("Tcp", "Udp", "Icmp", "Esp", "Ah", "*")}


def to_rule(item: Json) -> SecurityRule:
    """One security rule (SecurityRulePropertiesFormat, Microsoft.Network
    stable/2024-05-01/networkSecurityGroup.json). Every field the evaluator reads must be there
    and exactly readable: a missing, null or unknown protocol, access, direction or priority, or a
    side with neither prefixes nor application security groups, is a ValueError (the NSG becomes
    a FactError and the rules that need it ``unknown``), never a guess."""
    name = item.get("name")
    p = item.get("properties")
    if not isinstance(p, dict):
        raise ValueError(f"security rule {name!r} has no properties")
    where = f"security rule {name!r}"
    direction, access = p.get("direction"), p.get("access")
    if direction not in ("Inbound", "Outbound") or access not in ("Allow", "Deny"):
        raise ValueError(f"{where}: direction {direction!r}, access {access!r}")
    protocol = p.get("protocol")
    if not isinstance(protocol, str) or protocol.strip().lower() not in PROTOCOLS:
        raise ValueError(f"{where}: protocol {protocol!r} is not one of Tcp, Udp, Icmp, Esp, Ah, *")
    priority = p.get("priority")
    if isinstance(priority, bool) or not isinstance(priority, int | str):
        raise ValueError(f"{where}: priority {priority!r}")
    sides = {}
    for side in ("source", "destination"):
        prefixes = _prefixes(
            p.get(f"{side}AddressPrefix"), p.get(f"{side}AddressPrefixes"), f"{where} {side}"
        )
        asgs = _asgs(_list(p.get(f"{side}ApplicationSecurityGroups"), f"{where} {side} ASGs"))
        if not prefixes and not asgs:
            raise ValueError(f"{where} has no {side} (address prefix or application group)")
        ports = _prefixes(
            p.get(f"{side}PortRange"), p.get(f"{side}PortRanges"), f"{where} {side} ports"
        )
        if not ports:
            raise ValueError(f"{where} has no {side} port range")
        sides[side] = (prefixes, asgs, ports)
    return SecurityRule(
        name=_required(item, "name"),
        priority=int(priority),
        direction=direction,
        access=access,
        protocol=PROTOCOLS[protocol.strip().lower()],
        source_address_prefixes=sides["source"][0],
        source_port_ranges=sides["source"][2],
        destination_address_prefixes=sides["destination"][0],
        destination_port_ranges=sides["destination"][2],
        source_asg_ids=sides["source"][1],
        destination_asg_ids=sides["destination"][1],
    )


def to_nsg(item: Json) -> NetworkSecurityGroup:
    """An NSG. ``securityRules`` must be a list (ARM always sends one, ``[]`` when there are no
    custom rules): null or absent would read as "no rules" and could turn a deny into a pass."""
    props = item.get("properties")
    nsg_id = _required(item, "id")
    if not isinstance(props, dict) or not isinstance(props.get("securityRules"), list):
        raise ValueError(f"network security group {nsg_id} has no securityRules list")
    return NetworkSecurityGroup(
        id=nsg_id,
        name=_required(item, "name"),
        location=normalize(item.get("location")) or None,
        rules=tuple(to_rule(r) for r in props["securityRules"]),
        default_rules=tuple(
            to_rule(r) for r in _list(props.get("defaultSecurityRules"), "defaultSecurityRules")
        ),
    )


def to_vnet(item: Json) -> tuple[VirtualNetwork, list[Subnet], dict[str, ValueError]]:
    """The VNet, its readable subnets, and the error of each subnet that is not readable (by
    subnet id: that subnet's FactError, the VNet and its other subnets stay)."""
    vnet_id = _required(item, "id")
    props = item.get("properties") or {}
    peered: list[str] = []
    peered_ids: list[str] = []
    remote_gateways = False
    for peering in props.get("virtualNetworkPeerings") or ():
        p = peering.get("properties") or {}
        if str(p.get("peeringState") or "").lower() != "connected":
            continue
        remote = p.get("remoteAddressSpace") or p.get("remoteVirtualNetworkAddressSpace") or {}
        peered.extend(_prefixes(None, remote.get("addressPrefixes"), "peering remoteAddressSpace"))
        if (remote_id := ref(p, "remoteVirtualNetwork")) is not None:
            peered_ids.append(remote_id)
        remote_gateways = remote_gateways or bool(p.get("useRemoteGateways"))
    vnet = VirtualNetwork(
        id=vnet_id,
        name=_required(item, "name"),
        location=normalize(item.get("location")) or None,
        address_prefixes=_prefixes(
            None, dig(props, "addressSpace", "addressPrefixes"), "addressSpace"
        ),
        peered_address_prefixes=tuple(dict.fromkeys(peered)),
        peered_vnet_ids=tuple(dict.fromkeys(peered_ids)),
        uses_remote_gateways=remote_gateways,
    )
    subnets = []
    unreadable: dict[str, ValueError] = {}
    for s in props.get("subnets") or ():
        p = s.get("properties") or {}
        try:
            default_outbound = _optional_bool(p, "defaultOutboundAccess")
        except ValueError as exc:
            unreadable[_required(s, "id")] = ValueError(f"subnet {s.get('name')!r}: {exc}")
            continue
        subnets.append(
            Subnet(
                id=_required(s, "id"),
                name=_required(s, "name"),
                vnet_id=vnet_id,
                address_prefixes=_prefixes(
                    p.get("addressPrefix"), p.get("addressPrefixes"), f"subnet {s.get('id')}"
                ),
                nsg_id=ref(p, "networkSecurityGroup"),
                route_table_id=ref(p, "routeTable"),
                service_endpoints=tuple(
                    str(e["service"]) for e in (p.get("serviceEndpoints") or ()) if e.get("service")
                ),
                nat_gateway_id=ref(p, "natGateway"),
                default_outbound_access=default_outbound,
            )
        )
    return vnet, subnets, unreadable


def _optional_bool(props: Json, name: str) -> bool | None:
    """A JSON boolean, or None when absent; anything else (the string "false", a number,
    null) is a ValueError: read as absent it would mean "on", a guess that can pass."""
    if name not in props:
        return None
    value = props[name]
    if isinstance(value, bool):
        return value
    raise ValueError(f"{name} is {value!r}, not a boolean")


def to_route_table(item: Json) -> RouteTable:
    props = item.get("properties") or {}
    routes = []
    for r in props.get("routes") or ():
        p = r.get("properties") or {}
        routes.append(
            Route(
                name=_required(r, "name"),
                address_prefix=_prefixes(p["addressPrefix"], None, f"route {r.get('name')!r}")[0],
                next_hop_type=str(p.get("nextHopType") or "None"),
                next_hop_ip=p.get("nextHopIpAddress"),
            )
        )
    return RouteTable(id=_required(item, "id"), name=_required(item, "name"), routes=tuple(routes))
