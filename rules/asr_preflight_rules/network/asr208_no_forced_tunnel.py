from __future__ import annotations

from asr_preflight.api import Finding, RuleContext, passed, vm_rule, warned
from asr_preflight.netsec import forced_tunnel_routes
from asr_preflight.snapshot import VirtualMachine

from ._common import placement


@vm_rule(code="ASR208", name="no-forced-tunnel", severity="warn")
def no_forced_tunnel(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """No 0.0.0.0/0 route sends the VM's traffic to a virtual appliance or gateway.

    ## What it checks
    The route table on the subnet of the VM's primary NIC has no user-defined `0.0.0.0/0` route
    whose next hop is `VirtualAppliance` or `VirtualNetworkGateway` (forced tunnelling). The
    result names the route table and route. Default routes learned over BGP from a VPN or
    ExpressRoute gateway are not visible in the configuration and are not checked.

    ## Why it matters
    Microsoft does not recommend forced tunnelling for Site Recovery traffic: replication traffic to
    the cache storage account then goes through the appliance or on-premises, which adds latency,
    costs bandwidth, and breaks replication when the appliance filters Azure endpoints.

    ## How to fix
    Add a `Microsoft.Storage` service endpoint to the VM's subnet so that cache storage traffic
    stays on the Azure backbone, and make sure the appliance allows the other Site Recovery
    endpoints (Entra ID, Site Recovery, Event Hubs); or exempt those service tags from the tunnel.

    ## References
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-about-networking
    - https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview
    """
    where = placement(ctx, vm)
    subnet = where.subnet
    if not subnet.route_table_id:
        return passed(
            vm, f"{vm.name}: subnet {subnet.name} has no route table (system routes only)"
        )
    table = ctx.route_table(subnet.route_table_id)
    tunnels = forced_tunnel_routes(table)
    if not tunnels:
        return passed(
            vm, f"{vm.name}: route table {table.name} on subnet {subnet.name} has no forced tunnel"
        )
    routes = {r.name: r for r in table.routes}
    shown = ", ".join(
        f"{name} -> {routes[name].next_hop_type}"
        + (f" {routes[name].next_hop_ip}" if routes[name].next_hop_ip else "")
        for name in tunnels
    )
    has_endpoint = any(e.lower() == "microsoft.storage" for e in subnet.service_endpoints)
    if has_endpoint:
        hint = (
            f"subnet {subnet.name} already has a Microsoft.Storage service endpoint (cache storage"
            " traffic bypasses the tunnel); make sure the appliance allows the other ASR endpoints"
        )
    else:
        hint = (
            f"add a Microsoft.Storage service endpoint to subnet {subnet.name} so that replication"
            " traffic to the cache storage account bypasses the appliance"
        )
    return warned(
        vm,
        f"{vm.name}: route table {table.name} on subnet {subnet.name} forces 0.0.0.0/0 through"
        f" {shown}",
        hint=hint,
    )
