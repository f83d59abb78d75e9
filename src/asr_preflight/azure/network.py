"""NICs, NSGs, VNets with their subnets and peerings, route tables, public IPs: listed per
subscription, then trimmed to what the selected VMs reference."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from asr_preflight.azure.ids import norm_location, ref_id, text
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


def list_nics(client: Any) -> list[Any]:
    return list(client.network_interfaces.list_all())


def list_nsgs(client: Any) -> list[Any]:
    return list(client.network_security_groups.list_all())


def list_vnets(client: Any) -> list[Any]:
    return list(client.virtual_networks.list_all())


def list_route_tables(client: Any) -> list[Any]:
    return list(client.route_tables.list_all())


def list_public_ips(client: Any) -> dict[str, str]:
    return {
        p.id.lower(): p.ip_address
        for p in client.public_ip_addresses.list_all()
        if getattr(p, "id", None) and getattr(p, "ip_address", None)
    }


def to_nic(model: Any, public_ips: dict[str, str]) -> NetworkInterface:
    configs = []
    for ipc in model.ip_configurations or ():
        public_id = ref_id(getattr(ipc, "public_ip_address", None))
        configs.append(
            IpConfiguration(
                name=str(ipc.name),
                primary=bool(getattr(ipc, "primary", False)),
                private_ip=text(getattr(ipc, "private_ip_address", None)),
                public_ip_id=public_id,
                public_ip=public_ips.get(public_id.lower()) if public_id else None,
                subnet_id=ref_id(getattr(ipc, "subnet", None)),
                asg_ids=tuple(
                    a.id for a in (getattr(ipc, "application_security_groups", None) or ()) if a.id
                ),
            )
        )
    return NetworkInterface(
        id=_required(model, "id"),
        name=_required(model, "name"),
        location=norm_location(model.location) or None,
        vm_id=ref_id(getattr(model, "virtual_machine", None)),
        nsg_id=ref_id(getattr(model, "network_security_group", None)),
        accelerated_networking=bool(getattr(model, "enable_accelerated_networking", False)),
        ip_configurations=tuple(configs),
    )


def _required(model: Any, name: str) -> str:
    value = getattr(model, name, None)
    if not value:
        raise ValueError(f"{type(model).__name__} without {name}")
    return str(value)


def _merged(single: Any, plural: Any) -> tuple[str, ...]:
    out = [str(v) for v in (plural or ())]
    if single:
        out.insert(0, str(single))
    return tuple(dict.fromkeys(out))


def to_rule(model: Any) -> SecurityRule:
    direction = text(model.direction)
    access = text(model.access)
    if direction not in ("Inbound", "Outbound") or access not in ("Allow", "Deny"):
        raise ValueError(
            f"security rule {model.name!r} has direction {direction!r}, access {access!r}"
        )
    return SecurityRule(
        name=str(model.name),
        priority=int(model.priority),
        direction=direction,  # type: ignore[arg-type]
        access=access,  # type: ignore[arg-type]
        protocol=text(model.protocol) or "*",
        source_address_prefixes=_merged(model.source_address_prefix, model.source_address_prefixes),
        source_port_ranges=_merged(model.source_port_range, model.source_port_ranges) or ("*",),
        destination_address_prefixes=_merged(
            model.destination_address_prefix, model.destination_address_prefixes
        ),
        destination_port_ranges=_merged(model.destination_port_range, model.destination_port_ranges)
        or ("*",),
        source_asg_ids=tuple(
            a.id for a in (getattr(model, "source_application_security_groups", None) or ()) if a.id
        ),
        destination_asg_ids=tuple(
            a.id
            for a in (getattr(model, "destination_application_security_groups", None) or ())
            if a.id
        ),
    )


def to_nsg(model: Any) -> NetworkSecurityGroup:
    return NetworkSecurityGroup(
        id=_required(model, "id"),
        name=_required(model, "name"),
        location=norm_location(model.location) or None,
        rules=tuple(to_rule(r) for r in (model.security_rules or ())),
        default_rules=tuple(to_rule(r) for r in (model.default_security_rules or ())),
    )


def to_vnet(model: Any) -> tuple[VirtualNetwork, list[Subnet]]:
    vnet_id = _required(model, "id")
    space = getattr(model, "address_space", None)
    peered: list[str] = []
    for peering in getattr(model, "virtual_network_peerings", None) or ():
        if (text(getattr(peering, "peering_state", None)) or "").lower() != "connected":
            continue
        remote = getattr(peering, "remote_address_space", None) or getattr(
            peering, "remote_virtual_network_address_space", None
        )
        peered.extend(getattr(remote, "address_prefixes", None) or ())
    vnet = VirtualNetwork(
        id=vnet_id,
        name=_required(model, "name"),
        location=norm_location(model.location) or None,
        address_prefixes=tuple(getattr(space, "address_prefixes", None) or ()),
        peered_address_prefixes=tuple(dict.fromkeys(peered)),
    )
    subnets = [
        Subnet(
            id=_required(s, "id"),
            name=_required(s, "name"),
            vnet_id=vnet_id,
            address_prefixes=_merged(s.address_prefix, getattr(s, "address_prefixes", None)),
            nsg_id=ref_id(getattr(s, "network_security_group", None)),
            route_table_id=ref_id(getattr(s, "route_table", None)),
            service_endpoints=tuple(
                str(e.service) for e in (getattr(s, "service_endpoints", None) or ()) if e.service
            ),
        )
        for s in (model.subnets or ())
    ]
    return vnet, subnets


def to_route_table(model: Any) -> RouteTable:
    return RouteTable(
        id=_required(model, "id"),
        name=_required(model, "name"),
        routes=tuple(
            Route(
                name=str(r.name),
                address_prefix=str(r.address_prefix),
                next_hop_type=text(r.next_hop_type) or "None",
                next_hop_ip=text(getattr(r, "next_hop_ip_address", None)),
            )
            for r in (model.routes or ())
        ),
    )


def ids(items: Iterable[Any]) -> set[str]:
    return {i.lower() for i in items if i}
