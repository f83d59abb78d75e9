from asr_preflight.api import Finding, RuleContext, failed, passed, skipped, unknown, vm_rule
from asr_preflight.snapshot import EndpointProbe, VirtualMachine

from ._common import applicable, probe_missing


@vm_rule(code="ASR305", name="proxy-reachable", severity="fail")
def proxy_reachable(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """The proxy the guest uses is reachable and forwards CONNECT to the endpoints.

    ## What it checks
    For the endpoints the probe reached through the guest's configured proxy (the one the ASR
    agent would use: `ProxyInfo.conf`, else the system setting), that the proxy accepted the
    connection and answered the CONNECT request. A 407 counts as reachable here (ASR304 reports
    it); no answer, a refused connection or an error status (403, 502…) fails. Skipped when no
    proxy is configured in the guest; `unknown` when one is but no endpoint was probed through it.

    ## Why it matters
    When the configured proxy cannot be reached or does not forward the traffic, the mobility
    agent cannot talk to Azure and replication fails (error 151072).

    ## How to fix
    Correct the proxy address in the guest (or in `ProxyInfo.conf`), open the path from the
    VM to the proxy, and allow CONNECT to port 443 of the ASR endpoints on the proxy.

    ## References
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-troubleshoot-errors
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-about-networking
    """
    if (skip := applicable(ctx, vm)) is not None:
        return skip
    facts = ctx.guest(vm)
    if facts.endpoints is None:
        if facts.proxies == ():
            return skipped(vm, f"{vm.name}: no proxy is configured in the guest")
        raise probe_missing(facts, vm, "endpoints", "the proxy probes")
    proxied = [e for e in facts.endpoints if e.via_proxy]
    if not proxied:
        if facts.proxies == ():
            return skipped(vm, f"{vm.name}: no proxy is configured in the guest")
        if facts.proxies is None:
            raise probe_missing(facts, vm, "proxy", "the proxy settings")
        urls = ", ".join(sorted({p.url for p in facts.proxies}))
        return unknown(
            vm,
            f"{vm.name}: a proxy is configured in the guest ({urls}) but no endpoint was probed "
            "through it, so whether it is reachable is not known",
            hint="check the proxy's bypass list and the endpoint probes (ASR302)",
        )
    bad = [
        e
        for e in proxied
        if not (
            e.proxy_status is not None and (200 <= e.proxy_status < 300 or e.proxy_status == 407)
        )
    ]
    proxy = proxied[0].via_proxy
    if bad:
        return failed(
            vm,
            f"{vm.name}: proxy {proxy} did not forward CONNECT to "
            + _grouped(bad)
            + "; the proxy must be reachable and forward the ASR endpoints",
            hint="check the proxy address, the path to it, and that it allows CONNECT to port 443",
        )
    note = (
        " (it asks for authentication: see ASR304)"
        if any(e.proxy_status == 407 for e in proxied)
        else ""
    )
    return passed(
        vm, f"{vm.name}: proxy {proxy} answered CONNECT for {len(proxied)} endpoint(s){note}"
    )


def _grouped(bad: list[EndpointProbe]) -> str:
    groups: dict[str, list[str]] = {}
    for e in bad:
        why = f"it answered {e.proxy_status}" if e.proxy_status else e.error or "no answer"
        groups.setdefault(why, []).append(f"{e.host}:{e.port}")
    return "; ".join(f"{', '.join(hosts)} ({why})" for why, hosts in groups.items())
