"""Routes: the user-defined routes that send traffic to an appliance or a gateway (forced
tunnelling)."""

from __future__ import annotations

from asr_preflight.netsec.addresses import (
    V4_ALL,
    V6_ALL,
    AddressSet,
    parse_range,
)
from asr_preflight.snapshot import (
    RouteTable,
)

FORCED_TUNNEL_HOPS = ("virtualappliance", "virtualnetworkgateway")


def tunnel_hop_routes(table: RouteTable) -> tuple[tuple[str, tuple[int, int]], ...]:
    """(name, range) of the table's address-prefix routes whose next hop is an appliance or a
    gateway (routes to service tags are not ranges and are left out)."""
    out = []
    for route in table.routes:
        if route.next_hop_type.lower() in FORCED_TUNNEL_HOPS:
            found = parse_range(route.address_prefix)
            if found is not None:
                out.append((route.name, found))
    return tuple(out)


def forced_tunnel_routes(table: RouteTable) -> tuple[str, ...]:
    """Names of the appliance/gateway routes that together cover all of IPv4 (0.0.0.0/0) or all
    of IPv6 (::/0): a default route, or a split such as 0.0.0.0/1 + 128.0.0.0/1."""
    hops = tunnel_hop_routes(table)
    out: list[str] = []
    for lo, hi in (V4_ALL, V6_ALL):
        inside = [(name, r) for name, r in hops if lo <= r[0] and r[1] <= hi]
        default = [name for name, r in inside if r == (lo, hi)]
        if default:  # name the default route alone, not every route beside it
            out.extend(default)
        elif inside and AddressSet(r for _, r in inside).covers(lo, hi):
            out.extend(name for name, _ in inside)
    return tuple(out)
