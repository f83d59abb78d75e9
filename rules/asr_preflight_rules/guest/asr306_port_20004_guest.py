from asr_preflight.api import Finding, RuleContext, failed, pair_rule, passed, unknown
from asr_preflight.plan import Group
from asr_preflight.snapshot import VirtualMachine

from ._common import applicable, probe_missing

_BLOCKED_WORDS = ("unreachable", "prohibited", "no route")


@pair_rule(code="ASR306", name="port-20004-guest", severity="fail")
def port_20004_guest(
    ctx: RuleContext, group: Group, vm: VirtualMachine, peer: VirtualMachine
) -> Finding:
    """No guest firewall drops TCP 20004 between the VMs of a multi-VM consistency group.

    ## What it checks
    For every ordered pair of VMs in a replication group, a live TCP connect from inside the
    source guest to the peer's private IP address (from its primary NIC) on port 20004:
    *connected* passes; *refused* passes with a note (the path is open and nothing listens yet,
    which is normal before the mobility agent is installed; a REJECT firewall rule also answers
    with a refusal, so it cannot be told apart here); *timed out* fails (a DROP rule in a guest
    firewall, iptables/nftables/firewalld or Windows Firewall, or an NSG, is silently discarding
    the packets); "host unreachable / administratively prohibited" fails.

    ## Why it matters
    The VMs of a multi-VM consistency group talk to each other on port 20004 to agree on
    crash- and app-consistent recovery points. With that port blocked, multi-VM consistency
    cannot work.

    ## How to fix
    Allow inbound TCP 20004 from the other group members in each guest firewall
    (`firewall-cmd --add-port=20004/tcp --permanent`, an nftables/iptables accept rule, or a
    Windows Firewall inbound rule) and outbound where egress is filtered; check ASR209 for the
    NSG side.

    ## References
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-tutorial-enable-replication
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-common-questions
    """
    target = f"{vm.name} -> {peer.name}"
    if (skip := applicable(ctx, vm)) is not None:
        return skip
    facts = ctx.guest(vm)
    if facts.port_probes is None:
        raise probe_missing(facts, vm, "ports", f"the port 20004 probe from {vm.name}")
    probe = next((p for p in facts.port_probes if p.peer_vm_id.lower() == peer.id.lower()), None)
    if probe is None:
        return unknown(
            vm,
            f"{target}: {peer.name} was not probed (its private IP address was not known)",
            target=target,
            hint="check that the peer's network interface was collected",
        )
    where = f"{peer.name} ({probe.address}:{probe.port})"
    if probe.result == "connected":
        return passed(
            vm, f"{target}: TCP connect from {vm.name} to {where} succeeded", target=target
        )
    if probe.result == "refused":
        return passed(
            vm,
            f"{target}: {where} refused the connection: the path is open and nothing listens yet "
            "(a REJECT rule would look the same)",
            target=target,
        )
    if probe.result == "timeout":
        return failed(
            vm,
            f"{target}: TCP connect from {vm.name} to {where} timed out, so a firewall drops port "
            "20004; it must be allowed between group members",
            target=target,
            hint=f"allow TCP 20004 from {vm.name} in {peer.name}'s guest firewall; see ASR209",
        )
    detail = probe.detail or "no detail"
    if any(word in detail.lower() for word in _BLOCKED_WORDS):
        return failed(
            vm,
            f"{target}: TCP connect from {vm.name} to {where} was rejected ({detail}); port "
            "20004 must be allowed between group members",
            target=target,
            hint=f"allow TCP 20004 from {vm.name} in {peer.name}'s guest firewall",
        )
    return unknown(vm, f"{target}: the probe to {where} failed ({detail})", target=target)
