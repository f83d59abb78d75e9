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
- ``properties.outboundRules[].properties.backendAddressPool.id``: pools with an outbound rule;
- ``properties.loadBalancingRules[].properties``: ``backendAddressPool.id`` (and
  ``backendAddressPools``) with ``disableOutboundSnat`` (absent = false: the rule's frontend
  also serves outbound SNAT).
"""

from __future__ import annotations

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
    for pool in _items(props, "backendAddressPools"):
        if not pool.get("id"):
            continue
        pool_id = str(pool["id"])
        pools.append(pool_id)
        members[pool_id] = tuple(
            str(c["id"])
            for c in _items(pool.get("properties") or {}, "backendIPConfigurations")
            if c.get("id")
        )
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
    )
