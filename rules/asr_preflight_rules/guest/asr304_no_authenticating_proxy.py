from asr_preflight.api import Finding, RuleContext, failed, passed, unknown, vm_rule
from asr_preflight.snapshot import VirtualMachine

from ._common import applicable, probe_missing


@vm_rule(code="ASR304", name="no-authenticating-proxy", severity="fail")
def no_authenticating_proxy(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """No proxy the guest is configured with requires authentication.

    ## What it checks
    Every proxy setting found in the guest: on Linux the login environment, `/etc/environment`,
    `/etc/profile.d`, apt and yum/dnf configuration, SUSE's `/etc/sysconfig/proxy` and ASR's
    `ProxyInfo.conf`; on Windows WinHTTP, WinINET, the machine environment and `ProxyInfo.conf`.
    It fails when a setting carries credentials (shown as `http://***@proxy:3128`; the
    credentials never leave the guest), or when the proxy answered the probe's credential-less
    CONNECT with 407 (Proxy Authentication Required). It passes when no proxy is configured, or
    when the proxy answered the probe's CONNECT with anything but 407; a proxy the probe never
    got an answer from (no endpoint went through it, or it was unreachable) is `unknown`.

    ## Why it matters
    "Using an authenticated proxy to control network connectivity isn't supported by Site
    Recovery, and replication can't be enabled": the mobility agent cannot authenticate.

    ## How to fix
    Let the VMs' traffic to the Site Recovery endpoints through without authentication (an
    allow rule on the proxy for the VMs' addresses or for the endpoint names), or bypass the
    proxy for them (NSG service tags, Azure Firewall); remove the credentials from the files.

    ## References
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-about-networking
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-support-matrix
    """
    if (skip := applicable(ctx, vm)) is not None:
        return skip
    facts = ctx.guest(vm)
    if facts.proxies is None:
        raise probe_missing(facts, vm, "proxy", "the proxy settings")
    with_credentials = [p for p in facts.proxies if p.has_credentials]
    asked = sorted({e.via_proxy or "?" for e in facts.endpoints or () if e.proxy_status == 407})
    problems = [f"{p.url} in {p.source} carries credentials (redacted)" for p in with_credentials]
    problems += [f"{proxy} answered 407 Proxy Authentication Required" for proxy in asked]
    if problems:
        return failed(
            vm,
            f"{vm.name}: " + "; ".join(problems) + "; ASR needs a proxy that does not authenticate",
            hint="let the VMs through the proxy without authentication, or bypass it for ASR",
        )
    if not facts.proxies:
        return passed(vm, f"{vm.name}: no proxy is configured in the guest")
    if facts.endpoints is None:
        raise probe_missing(facts, vm, "endpoints", "the proxy's answer to the endpoint probes")
    urls = ", ".join(sorted({p.url for p in facts.proxies}))
    answered = [e for e in facts.endpoints if e.via_proxy and e.proxy_status is not None]
    if not answered:
        return unknown(
            vm,
            f"{vm.name}: the configured proxy ({urls}) carries no credentials, but no endpoint "
            "probe got an answer through it, so whether it asks for authentication is not known",
            hint="see ASR302/ASR305 for the endpoint probes and whether the proxy is reachable",
        )
    return passed(
        vm,
        f"{vm.name}: the configured proxy ({urls}) carries no credentials and did not ask for "
        "authentication",
    )
