from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from asr_preflight.api import (
    Finding,
    MissingFact,
    RuleContext,
    failed,
    passed,
    vm_rule,
)
from asr_preflight.snapshot import LoadBalancer, NetworkInterface, VirtualMachine

from ._common import missing, placement

EGRESS_HOPS = ("virtualappliance", "virtualnetworkgateway")


@vm_rule(code="ASR211", name="outbound-path-exists", severity="fail")
def outbound_path_exists(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """The VM has a way out to the Site Recovery endpoints.

    ## What it checks
    An outbound path from the VM's primary NIC: a NAT gateway on its subnet, a public IP on the
    NIC, a Standard load balancer outbound rule (or a public load balancer's load-balancing rule
    with outbound SNAT) for a backend pool the NIC is in, or a default route (`0.0.0.0/0`) on
    the subnet's route table to a virtual appliance or a virtual network gateway. Without one,
    the VM relies on Azure's default outbound access. It fails when there is none and default
    outbound access is off: the subnet has `defaultOutboundAccess: false` (a private subnet), or
    the NIC sits in a Standard load balancer's backend pool (which switches default outbound
    access off) without an outbound rule. A VNet that uses a peer's gateway (a default route may
    be learned over BGP) makes that case unknown. A NIC is in a pool when either side lists it,
    or when the pool's IP-based backend addresses name the NIC's VNet and private IP; a pool
    whose members cannot all be read that way (no VNet, no valid IP) makes the VM unknown when
    no other path is found. Relying on default outbound access passes,
    with a note (Azure retires it for new virtual networks).

    ## Why it matters
    The mobility service must reach Site Recovery, Storage and Entra ID. With no outbound path,
    enable replication fails with error 151196 (the Site Recovery service cannot be reached).

    ## How to fix
    Give the subnet a NAT gateway (recommended), or add an outbound rule to the Standard load
    balancer for the VM's backend pool, or a public IP to the NIC, or route `0.0.0.0/0` to a
    firewall that allows the Site Recovery URLs.

    ## References
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-troubleshoot-network-connectivity
    - https://learn.microsoft.com/azure/virtual-network/ip-services/default-outbound-access
    - https://learn.microsoft.com/azure/load-balancer/outbound-rules
    """
    balancers = ctx.snapshot.load_balancers
    if balancers is None:
        raise missing(ctx, "outbound", vm, "the load balancers")
    where = placement(ctx, vm)
    nic, subnet = where.nic, where.subnet
    paths: list[str] = []
    if subnet.nat_gateway_id:
        paths.append(f"NAT gateway {_leaf(subnet.nat_gateway_id)} on subnet {subnet.name}")
    public = [ipc.name for ipc in nic.ip_configurations if ipc.public_ip_id]
    if public:
        paths.append(f"a public IP on NIC {nic.name}")
    pools, maybe = _pools_of(ctx, nic)
    by_pool = ctx.cached("network.lb-by-pool", lambda: _by_pool(balancers))
    unread: list[str] = []
    members: list[LoadBalancer] = []
    for pool in pools:
        lb = by_pool.get(pool.lower())
        if lb is None:
            unread.append(_leaf(pool.split("/backendAddressPools/")[0]))
            continue
        members.append(lb)
        if pool.lower() in {p.lower() for p in lb.outbound_rule_pool_ids}:
            paths.append(f"outbound rule of load balancer {lb.name}")
        elif lb.public and pool.lower() in {p.lower() for p in lb.snat_rule_pool_ids}:
            paths.append(f"outbound SNAT of public load balancer {lb.name}'s rule")
    if subnet.route_table_id:
        table = ctx.route_table(subnet.route_table_id)
        for route in table.routes:
            if route.address_prefix == "0.0.0.0/0" and route.next_hop_type.lower() in EGRESS_HOPS:
                hop = route.next_hop_ip or route.next_hop_type
                paths.append(f"route {route.name} (0.0.0.0/0 via {hop}) in {table.name}")
    if paths:
        return passed(vm, f"{vm.name}: outbound path via {'; '.join(dict.fromkeys(paths))}")
    for scope in (f"/subscriptions/{vm.subscription_id}", nic.id):
        if ctx.error_for("outbound", scope) is not None:
            raise ctx.missing("outbound", scope, f"the load balancers {vm.name}'s NIC may be in")
    if unread:
        raise MissingFact(
            f"{vm.name}'s NIC is in a backend pool of load balancer(s) {', '.join(unread)},"
            " which were not read (another subscription?)",
            "add the load balancer's subscription to [azure] subscriptions, with Reader",
        )
    if maybe:
        names = ", ".join(
            f"{_leaf(p)} of load balancer {_leaf(p.split('/backendAddressPools/')[0])}"
            for p in maybe
        )
        raise MissingFact(
            f"{vm.name}: no outbound path found, but backend pool(s) {names} list members"
            " (IP-based backend addresses) that could not be matched to NICs exactly;"
            f" NIC {nic.name} may be in them",
            "check the pool's backend addresses (az network lb address-pool show): each needs"
            " a virtual network and a private IP address",
        )
    standard = [lb.name for lb in members if (lb.sku or "").lower() == "standard"]
    hint = (
        f"give subnet {subnet.name} a NAT gateway, or add an outbound rule for the VM's backend"
        " pool, a public IP on the NIC, or a 0.0.0.0/0 route to a firewall"
    )
    off_reason = None
    if subnet.default_outbound_access is False:
        off_reason = f"subnet {subnet.name} has default outbound access off (a private subnet)"
    elif standard:
        off_reason = (
            f"NIC {nic.name} is in a backend pool of Standard load balancer"
            f" {', '.join(standard)} without an outbound rule, which turns default outbound"
            " access off"
        )
    if off_reason is None:
        return passed(
            vm,
            f"{vm.name}: no explicit outbound path; relies on Azure's default outbound access"
            " (retired for new virtual networks: prefer a NAT gateway)",
        )
    if where.vnet.uses_remote_gateways:
        raise MissingFact(
            f"{vm.name}: {off_reason}, and no outbound path was found; VNet {where.vnet.name}"
            " uses a peer's gateway, whose BGP routes (a default route?) are not read",
            "check the NIC's effective routes for 0.0.0.0/0"
            " (az network nic show-effective-route-table)",
        )
    return failed(vm, f"{vm.name}: no outbound path: {off_reason} (error 151196)", hint=hint)


def _pools_of(ctx: RuleContext, nic: NetworkInterface) -> tuple[list[str], list[str]]:
    """Backend pools the NIC is in: as the NIC lists them, as load balancers list its IP
    configurations, and IP-based members matched by (VNet, private IP). Second: the pools it
    may be in, whose members could not all be matched exactly (never taken as "not in")."""
    pools = [p for ipc in nic.ip_configurations for p in ipc.load_balancer_pool_ids]
    index = ctx.cached("network.lb-members", lambda: _members(ctx))
    maybe: list[str] = []
    for ipc in nic.ip_configurations:
        pools.extend(index.by_ipc.get(f"{nic.id}/ipConfigurations/{ipc.name}".lower(), ()))
        vnet = _vnet_of(ipc.subnet_id)
        if vnet is None:
            continue
        maybe.extend(index.unresolved_any)
        maybe.extend(index.unresolved_by_vnet.get(vnet, ()))
        ip = _normalized_ip(ipc.private_ip)
        if ip is None:  # an unreadable private IP may be any IP-based member of its VNet
            maybe.extend(index.ip_pools_by_vnet.get(vnet, ()))
        else:
            pools.extend(index.by_address.get((vnet, ip), ()))
    found = list(dict.fromkeys(pools))
    known = {p.lower() for p in found}
    return found, [p for p in dict.fromkeys(maybe) if p.lower() not in known]


@dataclass
class _Members:
    by_ipc: dict[str, list[str]] = field(default_factory=dict)  # NIC IP configuration id
    by_address: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (VNet, IP)
    ip_pools_by_vnet: dict[str, list[str]] = field(default_factory=dict)
    unresolved_by_vnet: dict[str, list[str]] = field(default_factory=dict)
    unresolved_any: list[str] = field(default_factory=list)  # a member's VNet unknown


def _members(ctx: RuleContext) -> _Members:
    out = _Members()
    for lb in ctx.snapshot.load_balancers or ():
        for pool, ipcs in lb.pool_members.items():
            for ipc in ipcs:
                out.by_ipc.setdefault(ipc.lower(), []).append(pool)
        for pool, addresses in lb.pool_addresses.items():
            for vnet, ip in addresses:
                address = _normalized_ip(ip)
                if address is None:
                    out.unresolved_by_vnet.setdefault(vnet.lower(), []).append(pool)
                    continue
                out.by_address.setdefault((vnet.lower(), address), []).append(pool)
                out.ip_pools_by_vnet.setdefault(vnet.lower(), []).append(pool)
        for pool, vnets in lb.unresolved_pools.items():
            if not vnets:
                out.unresolved_any.append(pool)
            for vnet in vnets:
                out.unresolved_by_vnet.setdefault(vnet.lower(), []).append(pool)
    return out


def _vnet_of(subnet_id: str | None) -> str | None:
    if not subnet_id or "/subnets/" not in subnet_id.lower():
        return None
    return subnet_id[: subnet_id.lower().rindex("/subnets/")].lower()


def _normalized_ip(text: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address(text or ""))
    except ValueError:
        return None


def _by_pool(balancers: tuple[LoadBalancer, ...]) -> dict[str, LoadBalancer]:
    return {pool.lower(): lb for lb in balancers for pool in lb.pool_ids}


def _leaf(resource_id: str) -> str:
    return resource_id.rstrip("/").rsplit("/", 1)[-1]
