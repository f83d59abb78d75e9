from __future__ import annotations

from asr_preflight.api import Finding, RuleContext, failed, pair_rule, passed
from asr_preflight.netsec import Flow, Interface, Remote, RuleHit
from asr_preflight.plan import Group
from asr_preflight.snapshot import VirtualMachine

from ._common import MVC_PORT, placement, verify


@pair_rule(code="ASR209", name="port-20004-nsg", severity="fail")
def port_20004_nsg(
    ctx: RuleContext, group: Group, vm: VirtualMachine, peer: VirtualMachine
) -> Finding:
    """NSGs allow TCP 20004 between the VMs of a multi-VM consistency group.

    ## What it checks
    For every ordered pair (a, b) of VMs in a replication group: a's NSGs (NIC then subnet) allow
    outbound TCP 20004 from a's private IP to b's, and b's NSGs (subnet then NIC) allow the same
    flow inbound, evaluated with IP flow verify semantics (application security groups included).
    The result names the rule that denies, on which side.

    ## Why it matters
    The VMs of a replication group coordinate multi-VM consistent recovery points with each other
    over port 20004. If the port is blocked in either direction, replication of the group fails
    to create consistent recovery points.

    ## How to fix
    Allow TCP 20004 between the group's members, both outbound on the sender and inbound on the
    receiver, with priority numbers lower than the denying rule (an application security group
    for the group's NICs keeps the rule short). ASR306 checks the guest firewalls.

    ## References
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-tutorial-enable-replication
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-common-questions
    """
    here, there = placement(ctx, vm), placement(ctx, peer)
    a, b = here.interface, there.interface
    out = verify(ctx, a, OUT, _remote(ctx, b))
    into = verify(ctx, b, IN, _remote(ctx, a))
    if out.allowed and into.allowed:
        return passed(
            vm,
            f"{vm.name} -> {peer.name}: TCP {MVC_PORT} {a.ip} -> {b.ip} allowed"
            f" out of {vm.name} ({_by(out.allowing)}) and into {peer.name} ({_by(into.allowing)})",
        )
    problems = []
    if not out.allowed:
        problems.append(out.describe(vm.name))
    if not into.allowed:
        problems.append(into.describe(peer.name))
    return failed(
        vm,
        f"{vm.name} -> {peer.name} (group {group.name}): " + "; ".join(problems),
        hint=f"allow TCP {MVC_PORT} from {a.ip} to {b.ip} outbound on {vm.name}'s NSGs and"
        f" inbound on {peer.name}'s NSGs",
    )


OUT = Flow("Outbound", "Tcp", MVC_PORT)
IN = Flow("Inbound", "Tcp", MVC_PORT)


def _remote(ctx: RuleContext, nic: Interface) -> Remote:
    """A group member as the other end of a flow (its private IP and ASGs), once per run."""
    # keyed on everything a Remote carries: peers in different VNets may share a private IP
    remotes: dict[tuple[str, frozenset[str]], Remote] = ctx.cached("netsec.asr209.remotes", dict)
    key = (nic.ip, nic.asg_ids)
    found = remotes.get(key)
    if found is None:
        found = remotes[key] = Remote.ip(nic.ip, nic.asg_ids)
    return found


def _by(hits: tuple[RuleHit, ...]) -> str:
    return ", ".join(str(h) for h in hits) or "no NSG"
