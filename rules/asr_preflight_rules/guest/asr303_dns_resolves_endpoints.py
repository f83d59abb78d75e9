from asr_preflight.api import Finding, RuleContext, failed, passed, unknown, vm_rule
from asr_preflight.snapshot import VirtualMachine

from ._common import applicable, probe_missing, storage_note, unprobed_endpoints


@vm_rule(code="ASR303", name="dns-resolves-endpoints", severity="fail")
def dns_resolves_endpoints(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """The guest resolves the name of every endpoint ASR uses.

    ## What it checks
    The probe resolves each required endpoint's name (the blob endpoint is that of the cache
    storage account for the VM's region) inside the guest (`getent ahosts` on
    Linux, `System.Net.Dns` on Windows), with the guest's own resolver configuration. An
    endpoint reached through a proxy that the guest cannot resolve itself still passes when the
    TLS handshake through the proxy worked: the proxy resolves it, as it will for the agent.

    ## Why it matters
    When the guest cannot resolve the Site Recovery, Entra ID, storage or Service Bus names,
    registration fails with error 151195 ("Failed to register Azure virtual machine with Site
    Recovery"). Custom DNS servers on the VNet must answer for these public names (and for the
    privatelink zones when private endpoints are used).

    ## How to fix
    Make the VNet's DNS servers (or the guest's `/etc/resolv.conf`) forward public names, e.g.
    to Azure DNS at 168.63.129.16; with private endpoints, link the privatelink zones to the
    source and target VNets.

    ## References
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-troubleshoot-network-connectivity
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-troubleshoot-errors
    """
    if (skip := applicable(ctx, vm)) is not None:
        return skip
    facts = ctx.guest(vm)
    if facts.endpoints is None:
        raise probe_missing(facts, vm, "endpoints", "the DNS probes")
    if not facts.endpoints:
        return unknown(vm, f"{vm.name}: no endpoint was probed", hint="check [guest.endpoints]")
    unresolved = [
        e for e in facts.endpoints if e.resolved is False and not (e.via_proxy and e.tls_ok)
    ]
    if unresolved:
        return failed(
            vm,
            f"{vm.name}: the guest cannot resolve "
            + ", ".join(e.host for e in unresolved)
            + "; every required endpoint name must resolve",
            hint="make the guest DNS answer for public Azure names (e.g. via 168.63.129.16)",
        )
    if (absent := unprobed_endpoints(ctx, vm, facts, "name resolution")) is not None:
        return absent
    if any(e.resolved is None for e in facts.endpoints):
        missing = [e.host for e in facts.endpoints if e.resolved is None]
        return unknown(vm, f"{vm.name}: name resolution was not reported for {', '.join(missing)}")
    by_proxy = [e.host for e in facts.endpoints if not e.resolved]
    note = f" ({', '.join(by_proxy)} resolved by the proxy)" if by_proxy else ""
    return passed(
        vm, f"{vm.name}: the guest resolves every required endpoint{note}{storage_note(ctx, vm)}"
    )
