from asr_preflight.api import Finding, RuleContext, failed, passed, unknown, vm_rule
from asr_preflight.snapshot import EndpointProbe, VirtualMachine

from ._common import applicable, probe_missing, storage_note, unprobed_endpoints


@vm_rule(code="ASR302", name="tls-to-endpoints", severity="fail")
def tls_to_endpoints(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """From inside the guest, a verified TLS handshake succeeds to every endpoint ASR uses.

    ## What it checks
    The probe opens an HTTPS connection from the guest to each required endpoint (Microsoft
    Entra ID login, the blob endpoint of the cache storage account for the VM's region, the Site
    Recovery service, the Service Bus used for monitoring), through the proxy the guest is
    configured with but *without* its credentials, as the Site Recovery agent would, and
    verifies the server's certificate chain and name with the guest's own trust store. One
    result per VM names the endpoints whose handshake failed and why.

    ## Why it matters
    This is the end-to-end proof that replication traffic can leave the VM: it fails when a
    firewall, NSG, route, proxy or missing root certificate gets in the way. Errors 151066,
    151196 and 151197 at enable replication all come down to one of these handshakes failing.

    ## How to fix
    Read the endpoint's error: a certificate error means the guest lacks a root (see ASR301) or
    something intercepts TLS; a connection error means a network path is closed (NSG, Azure
    Firewall, UDR to an appliance, guest firewall); a proxy error is covered by ASR304/ASR305.

    ## References
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-about-networking
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-troubleshoot-network-connectivity
    """
    if (skip := applicable(ctx, vm)) is not None:
        return skip
    facts = ctx.guest(vm)
    if facts.endpoints is None:
        raise probe_missing(facts, vm, "endpoints", "the TLS probes")
    if not facts.endpoints:
        return unknown(vm, f"{vm.name}: no endpoint was probed", hint="check [guest.endpoints]")
    bad = [e for e in facts.endpoints if e.tls_ok is False]
    untested = [e for e in facts.endpoints if e.tls_ok is None]
    if bad:
        return failed(
            vm,
            f"{vm.name}: the TLS handshake from the guest failed to "
            + _grouped(bad)
            + "; every required endpoint must be reachable with a verified certificate",
            hint="see each error: certificate errors -> ASR301, proxy errors -> ASR304/305",
        )
    if (absent := unprobed_endpoints(ctx, vm, facts, "TLS handshake")) is not None:
        return absent
    if untested:
        return unknown(
            vm,
            f"{vm.name}: the TLS handshake could not be tried to "
            + ", ".join(f"{e.host}:{e.port}" for e in untested),
            hint="install curl or openssl in the guest",
        )
    return passed(
        vm,
        f"{vm.name}: verified TLS handshakes from the guest succeeded to "
        + ", ".join(f"{e.host}:{e.port}" for e in facts.endpoints)
        + (f" (through {facts.endpoints[0].via_proxy})" if facts.endpoints[0].via_proxy else "")
        + storage_note(ctx, vm),
    )


def _grouped(bad: list[EndpointProbe]) -> str:
    """``a:443, b:443 through P: why; c:443: other`` (endpoints sharing a cause listed once)."""
    groups: dict[tuple[str, str], list[str]] = {}
    for e in bad:
        via = f" through {e.via_proxy}" if e.via_proxy else ""
        why = e.error or (f"the proxy answered {e.proxy_status}" if e.proxy_status else "no detail")
        groups.setdefault((via, why), []).append(f"{e.host}:{e.port}")
    return "; ".join(f"{', '.join(hosts)}{via}: {why}" for (via, why), hosts in groups.items())
