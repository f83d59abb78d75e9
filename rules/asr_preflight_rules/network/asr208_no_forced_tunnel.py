from __future__ import annotations

from asr_preflight.api import Finding, RuleContext, passed, vm_rule, warned
from asr_preflight.netsec import forced_tunnel_routes, tunnel_hop_routes
from asr_preflight.snapshot import RouteTable, VirtualMachine

from ._common import asr_tags, placement


@vm_rule(code="ASR208", name="no-forced-tunnel", severity="warn")
def no_forced_tunnel(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """No route sends the VM's Site Recovery traffic to a virtual appliance or gateway.

    ## What it checks
    The route table on the subnet of the VM's primary NIC has no user-defined routes whose next
    hop is `VirtualAppliance` or `VirtualNetworkGateway` (forced tunnelling) and that either
    together cover `0.0.0.0/0` (or `::/0`): a default route, or a split such as `0.0.0.0/1` +
    `128.0.0.0/1`; or overlap an address of the service tags Site Recovery needs (those ASR207
    checks: `Storage.<source-region>`, `AzureActiveDirectory`, `AzureSiteRecovery`,
    `EventHub.<target-region>`, `AzureKeyVault`, `GuestAndHybridManagement`). The result names
    the route table and routes. Routes whose prefix is a service tag are not checked. Default
    routes learned over BGP from a VPN or ExpressRoute gateway are not visible in the
    configuration and are not checked.

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
    covered = ""
    if not tunnels and tunnel_hop_routes(table):
        tunnels, covered = _tag_routes(ctx, vm, table)
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
    what = f"{covered} addresses" if covered else "0.0.0.0/0"
    return warned(
        vm,
        f"{vm.name}: route table {table.name} on subnet {subnet.name} forces {what} through"
        f" {shown}",
        hint=hint,
    )


def _tag_routes(
    ctx: RuleContext, vm: VirtualMachine, table: RouteTable
) -> tuple[tuple[str, ...], str]:
    """The appliance/gateway routes overlapping the ASR service tags, and the tags they cover."""
    tags = asr_tags(ctx, vm)  # MissingFact (unknown) when the service tags were not gathered
    cache: dict[object, tuple[tuple[str, ...], str]] = ctx.cached("netsec.asr208", dict)
    key = (table.id.lower(), tuple(t.name for t in tags))
    found = cache.get(key)
    if found is None:
        names: list[str] = []
        hit: dict[str, None] = {}
        for name, (lo, hi) in tunnel_hop_routes(table):
            overlapping = [t.name for t in tags if t.addresses.overlaps(lo, hi)]
            if overlapping:
                names.append(name)
                hit.update(dict.fromkeys(overlapping))
        found = cache[key] = (tuple(names), ", ".join(hit))
    return found
