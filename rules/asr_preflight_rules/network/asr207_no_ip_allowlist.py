from __future__ import annotations

from asr_preflight.api import Finding, RuleContext, passed, vm_rule, warned
from asr_preflight.netsec import V4_ALL, V6_ALL, ResolvedTag, parse_range
from asr_preflight.snapshot import NetworkSecurityGroup, RouteTable, VirtualMachine

from ._common import asr_tags, placement


@vm_rule(code="ASR207", name="no-ip-allowlist", severity="warn")
def no_ip_allowlist(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """ASR reachability does not rest on hard-coded IP prefixes instead of service tags.

    ## What it checks
    Outbound allow rules in the NSGs on the VM's primary NIC and its subnet, and the routes of the
    subnet's route table, must not list raw IP prefixes that overlap the service tags Site
    Recovery needs (`Storage.<source-region>`, `AzureActiveDirectory`, `AzureSiteRecovery`,
    `EventHub.<target-region>`, plus `AzureKeyVault` for ADE VMs and `GuestAndHybridManagement`
    when the agent auto-updates). When the VM's extensions were not gathered and no disk reports
    ADE, `AzureKeyVault` is checked too (a hit warns) and a pass says ADE use is unknown. `*`,
    `0.0.0.0/0` and private prefixes are not allow-lists and are ignored; the forced-tunnel
    default route is ASR208's business.

    ## Why it matters
    Microsoft no longer supports IP-address-based rules for Site Recovery: the prefixes behind the
    tags change every week, so a copied list silently goes stale and replication breaks later.
    Site Recovery IP addresses should not be added to route tables either.

    ## How to fix
    Replace the rules' address prefixes with the service tags (for example `Storage.EastUS`
    instead of a list of its prefixes) and remove routes for Azure service prefixes.

    ## References
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-about-networking
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-troubleshoot-errors
    """
    tags = asr_tags(ctx, vm)
    where = placement(ctx, vm)
    table = ctx.route_table(where.subnet.route_table_id) if where.subnet.route_table_id else None
    nsgs = tuple(n for n in (where.interface.nic_nsg, where.interface.subnet_nsg) if n is not None)
    names = tuple(t.name for t in tags)
    cache: dict[object, tuple[str, ...]] = ctx.cached("netsec.asr207", dict)
    items: list[str] = []
    for part in (*nsgs, table):  # each NSG and route table is looked at once per tag set
        if part is None:
            continue
        key = (part.id.lower(), names)
        found = cache.get(key)
        if found is None:
            found = cache[key] = _allowlists(part, tags)
        items.extend(found)
    if items:
        return warned(
            vm,
            f"{vm.name}: Site Recovery traffic rests on hard-coded IP prefixes: {'; '.join(items)}",
            hint="use the service tags in NSG rules instead of IP prefixes, and remove routes"
            " for Azure service prefixes",
        )
    scope = ", ".join(n.name for n in nsgs) or "no NSG"
    if vm.ade_use is None:
        scope += f"; AzureKeyVault checked too, as whether {vm.name} uses ADE is unknown"
    return passed(
        vm, f"{vm.name}: no allow rule or route uses IP prefixes of the ASR service tags ({scope})"
    )


def _overlapping(prefix: str, tags: tuple[ResolvedTag, ...]) -> list[str]:
    found = parse_range(prefix)
    if found is None or found in (V4_ALL, V6_ALL):
        return []
    return [t.name for t in tags if t.addresses.overlaps(*found)]


def _allowlists(
    part: NetworkSecurityGroup | RouteTable, tags: tuple[ResolvedTag, ...]
) -> tuple[str, ...]:
    items: list[str] = []
    if isinstance(part, RouteTable):
        for route in part.routes:
            names = _overlapping(route.address_prefix, tags)
            if names:
                items.append(
                    f"route {part.name}/{route.name} ({route.address_prefix}) covers"
                    f" {', '.join(names)} addresses"
                )
        return tuple(items)
    for rule in sorted(part.rules, key=lambda r: r.priority):
        if rule.direction != "Outbound" or rule.access != "Allow":
            continue
        hits: dict[str, None] = {}
        count = 0
        for prefix in rule.destination_address_prefixes:
            overlapping = _overlapping(prefix, tags)
            count += bool(overlapping)
            hits.update(dict.fromkeys(overlapping))
        if hits:
            items.append(
                f"{part.name}/{rule.name} (priority {rule.priority}) allows {count} IP"
                f" prefix{'es' if count != 1 else ''} of {', '.join(hits)}"
            )
    return tuple(items)
