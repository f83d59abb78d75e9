from __future__ import annotations

from asr_preflight.api import (
    Finding,
    MissingFact,
    RuleContext,
    failed,
    passed,
    vm_rule,
)
from asr_preflight.snapshot import LoadBalancer, VirtualMachine

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
    be learned over BGP) makes that case unknown. Relying on default outbound access passes,
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
    pools = _pools_of(
        ctx, nic.id, [(ipc.name, ipc.load_balancer_pool_ids) for ipc in nic.ip_configurations]
    )
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


def _pools_of(
    ctx: RuleContext, nic_id: str, configs: list[tuple[str, tuple[str, ...]]]
) -> list[str]:
    """Backend pools the NIC is in: as the NIC lists them, and as load balancers list it."""
    pools = [p for _, ids in configs for p in ids]
    members = ctx.cached("network.lb-members", lambda: _members(ctx))
    for name, _ in configs:
        pools.extend(members.get(f"{nic_id}/ipConfigurations/{name}".lower(), ()))
    return list(dict.fromkeys(pools))


def _members(ctx: RuleContext) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for lb in ctx.snapshot.load_balancers or ():
        for pool, ipcs in lb.pool_members.items():
            for ipc in ipcs:
                out.setdefault(ipc.lower(), []).append(pool)
    return out


def _by_pool(balancers: tuple[LoadBalancer, ...]) -> dict[str, LoadBalancer]:
    return {pool.lower(): lb for lb in balancers for pool in lb.pool_ids}


def _leaf(resource_id: str) -> str:
    return resource_id.rstrip("/").rsplit("/", 1)[-1]
