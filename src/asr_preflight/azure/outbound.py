"""Load balancers, listed per subscription, read for what gives a VM a way out (ASR211).

Follows ``specification/network/resource-manager/Microsoft.Network/stable/2024-05-01/
loadBalancer.json`` (LoadBalancers_ListAll, ``GET /subscriptions/S/providers/
Microsoft.Network/loadBalancers``):

- ``sku.name``: ``Basic``, ``Standard`` or ``Gateway``;
- ``properties.frontendIPConfigurations[].properties``: ``publicIPAddress.id`` or
  ``publicIPPrefix.id`` make the load balancer public, ``subnet.id`` internal;
- ``properties.backendAddressPools[].properties.backendIPConfigurations[].id``: the NIC IP
  configurations in each pool (read-only; the NIC side lists the same as
  ``ipConfigurations[].properties.loadBalancerBackendAddressPools``);
- ``properties.backendAddressPools[].properties.loadBalancerBackendAddresses[].properties``
  (LoadBalancerBackendAddressPropertiesFormat): an IP-based member is ``ipAddress`` with
  ``virtualNetwork.id`` (or ``subnet.id``); ``networkInterfaceIPConfiguration.id`` (read-only)
  names a NIC member; ``loadBalancerFrontendIPConfiguration.id`` a regional load balancer
  behind a cross-region one (no VM). An IP-based pool lists no ``backendIPConfigurations``, so
  its members are matched to NICs by (VNet, private IP); a member that cannot be read exactly
  makes its pool unresolved (ASR211 then says unknown, never pass);
- ``properties.outboundRules[].properties.backendAddressPool.id``: pools with an outbound rule;
- ``properties.loadBalancingRules[].properties``: ``backendAddressPool.id`` (and
  ``backendAddressPools``) with ``disableOutboundSnat`` (absent = false: the rule's frontend
  also serves outbound SNAT).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from asr_preflight.azure.raw import NETWORK_API, dig, list_all, ref
from asr_preflight.snapshot import LoadBalancer

Json = dict[str, Any]


def list_load_balancers(client: Any, sub: str) -> list[Json]:
    path = f"/subscriptions/{sub}/providers/Microsoft.Network/loadBalancers"
    return list(list_all(client, path, NETWORK_API))


def _items(props: Json, key: str) -> list[Json]:
    return [i for i in (props.get(key) or ()) if isinstance(i, dict)]


def to_load_balancer(item: Json) -> LoadBalancer:
    if not item.get("id") or not item.get("name"):
        raise ValueError("load balancer without id or name")
    props = item.get("properties") or {}
    public = any(
        ref(f.get("properties") or {}, "publicIPAddress")
        or ref(f.get("properties") or {}, "publicIPPrefix")
        for f in _items(props, "frontendIPConfigurations")
    )
    pools: list[str] = []
    members: dict[str, tuple[str, ...]] = {}
    addresses: dict[str, tuple[tuple[str, str], ...]] = {}
    unresolved: dict[str, tuple[str, ...]] = {}
    for pool in _items(props, "backendAddressPools"):
        if not pool.get("id"):
            continue
        pool_id = str(pool["id"])
        pools.append(pool_id)
        pool_props = pool.get("properties") or {}
        nic_members = [
            str(c["id"]) for c in _items(pool_props, "backendIPConfigurations") if c.get("id")
        ]
        by_ip: list[tuple[str, str]] = []
        unread: list[str | None] = []  # the VNet of each member not read exactly (None: unknown)
        raw = pool_props.get("loadBalancerBackendAddresses")
        for address in raw if isinstance(raw, list) else [] if raw is None else [raw]:
            kind, found = _backend_address(address)
            if kind == "nic" and isinstance(found, str):
                nic_members.append(found)
            elif kind == "ip" and isinstance(found, tuple):
                by_ip.append(found)
            elif kind == "unread":
                unread.append(found if isinstance(found, str) else None)
        members[pool_id] = tuple(dict.fromkeys(nic_members))
        if by_ip:
            addresses[pool_id] = tuple(dict.fromkeys(by_ip))
        if unread:
            vnets = [v for v in unread if v is not None]
            # () = some member's VNet is unknown too: any VM may be in the pool
            unresolved[pool_id] = tuple(dict.fromkeys(vnets)) if len(vnets) == len(unread) else ()
    outbound = [
        pool_ref
        for rule in _items(props, "outboundRules")
        if (pool_ref := ref(rule.get("properties") or {}, "backendAddressPool"))
    ]
    snat: list[str] = []
    for rule in _items(props, "loadBalancingRules"):
        p = rule.get("properties") or {}
        if p.get("disableOutboundSnat"):
            continue
        if (single := ref(p, "backendAddressPool")) is not None:
            snat.append(single)
        snat.extend(str(b["id"]) for b in _items(p, "backendAddressPools") if b.get("id"))
    return LoadBalancer(
        id=str(item["id"]),
        name=str(item["name"]),
        sku=str(dig(item, "sku", "name") or "") or None,
        public=bool(public),
        pool_ids=tuple(pools),
        outbound_rule_pool_ids=tuple(dict.fromkeys(outbound)),
        snat_rule_pool_ids=tuple(dict.fromkeys(snat)),
        pool_members=members,
        pool_addresses=addresses,
        unresolved_pools=unresolved,
    )


def _backend_address(address: Any) -> tuple[str, str | tuple[str, str] | None]:
    """One ``loadBalancerBackendAddresses`` entry: ("nic", NIC IP configuration id), ("ip",
    (VNet id, normalized private IP)), ("none", None) for a regional load balancer (no VM), or
    ("unread", its VNet id or None) when it cannot be matched exactly."""
    if not isinstance(address, dict):
        return "unread", None
    props = address.get("properties")
    if not isinstance(props, dict):
        return "unread", None
    nic_ipc = _ref_id(props.get("networkInterfaceIPConfiguration"))
    if nic_ipc:
        return "nic", nic_ipc
    vnet = _ref_id(props.get("virtualNetwork"))
    subnet = _ref_id(props.get("subnet"))
    if not vnet and subnet and "/subnets/" in subnet.lower():
        vnet = subnet[: subnet.lower().rindex("/subnets/")]
    ip = props.get("ipAddress")
    if ip is None and vnet is None and _ref_id(props.get("loadBalancerFrontendIPConfiguration")):
        return "none", None
    if not vnet or not isinstance(ip, str):
        return "unread", vnet
    try:
        return "ip", (vnet, str(ipaddress.ip_address(ip)))
    except ValueError:
        return "unread", vnet


def _ref_id(value: Any) -> str | None:
    if isinstance(value, dict) and isinstance(value.get("id"), str) and value["id"]:
        return str(value["id"])
    return None
