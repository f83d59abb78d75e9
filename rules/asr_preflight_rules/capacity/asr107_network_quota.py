from collections.abc import Iterator

from asr_preflight.api import Finding, Outcome, RuleContext, estate_rule
from asr_preflight.sizing import PUBLIC_IP_ADDRESSES, VIRTUAL_NETWORKS, ScopeCapacity
from asr_preflight.snapshot import VirtualMachine
from asr_preflight_rules.capacity._common import capacity_plan, each_vm, usage_missing


@estate_rule(code="ASR107", name="network-quota", severity="warn")
def network_quota(ctx: RuleContext) -> Iterator[Finding]:
    """The target region's network quotas have room for the failover's NICs, public IPs and VNets.

    ## What it checks
    For each (target subscription, target region), from the network usages
    (`Microsoft.Network/locations/{region}/usages`), against `limit - currentValue`:

    - `NetworkInterfaces`: one per NIC of every selected VM;
    - `PublicIPAddresses`: one per public IP on the selected VMs' NICs (assuming the failover
      recreates them; Site Recovery does so only when configured);
    - `VirtualNetworks`: one per distinct source virtual network (Site Recovery creates a target
      network per source network when none is mapped; an existing mapped network needs none).

    Each VM gets one result listing the usages it charges; it **warns** when one of them
    overflows. The demand is an upper estimate, hence a warning. **Unknown** when the network
    usages could not be read, or a VM's NICs are not in the snapshot.

    ## Why it matters
    A failover creates these resources in the target region; when a limit is reached the
    failover VM cannot get its NIC (or public IP, or network) and the failover fails.

    ## How to fix
    Request higher network limits for the target region (portal: Quotas > Networking, or a
    support request), delete unused NICs/public IPs there, or map the source networks to
    existing target networks so no new VNets are created.

    ## References
    - https://learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-network-mapping
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-customize-networking
    - https://learn.microsoft.com/rest/api/virtualnetwork/usages/list
    """
    plan = capacity_plan(ctx)

    def judge(vm: VirtualMachine) -> Finding:
        scope = plan.scope_of(vm)
        demand = plan.network[vm.id]
        if scope.capacity is None or scope.capacity.network_usages is None:
            raise usage_missing(ctx, scope, "network_usages", scope.network[PUBLIC_IP_ADDRESSES])
        if demand.nics is None:
            raise ctx.missing("vms", vm.id, f"{vm.name}'s network interfaces")
        if demand.vnets is None:  # one of its NICs is not in the snapshot: say which, and why
            for nic_id in vm.nic_ids:
                ctx.nic(nic_id)
        key = (scope.scope, demand.public_ips == 0, demand.vnets == frozenset())
        if key not in verdicts:  # VMs charging the same usages of one scope share the verdict
            verdicts[key] = _verdict(scope, skip_pips=key[1], skip_vnets=key[2])
        outcome, text, hint = verdicts[key]
        return Finding(vm, outcome, f"{vm.name}: {text}", None, hint)

    verdicts: dict[tuple[str, bool, bool], tuple[Outcome, str, str]] = {}
    return each_vm(ctx, judge)


def _verdict(
    scope: ScopeCapacity, *, skip_pips: bool, skip_vnets: bool
) -> tuple[Outcome, str, str]:
    """Outcome, message (after the VM name) and hint for the usages a VM charges."""
    items = [
        need
        for name, need in scope.network.items()
        if not (name == PUBLIC_IP_ADDRESSES and skip_pips)
        and not (name == VIRTUAL_NETWORKS and skip_vnets)
    ]
    states = [need.state for need in items]
    text = f"the failover{scope.where} " + "; ".join(need.brief for need in items)
    if "unknown" in states:
        absent = [n.name for n in items if n.usage is None]
        why = (
            f"no usage {', '.join(absent)} was reported"
            if absent
            else "the network interfaces of "
            + ", ".join(sorted({m for n in items for m in n.missing}))
            + " are not in the snapshot"
        )
        return Outcome.UNKNOWN, f"{text}; {why}", "re-run collect"
    if "fail" in states:
        short = [n for n in items if n.state == "fail"]
        hint = "request more " + ", ".join(f"{n.label} (+{n.short})" for n in short)
        return Outcome.WARN, text, f"{hint} in {scope.region}"
    return Outcome.PASS, text, ""
