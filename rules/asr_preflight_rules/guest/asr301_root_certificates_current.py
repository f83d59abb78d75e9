from datetime import datetime

from asr_preflight.api import Finding, RuleContext, failed, passed, unknown, vm_rule
from asr_preflight.snapshot import RootCertificate, VirtualMachine

from ._common import (
    BALTIMORE_CYBERTRUST_ROOT,
    DIGICERT_GLOBAL_ROOT_G2,
    MICROSOFT_RSA_ROOT_2017,
    OTHER_AZURE_ROOTS,
    applicable,
    parse_time,
    probe_missing,
    reference_time,
)

REQUIRED = {
    DIGICERT_GLOBAL_ROOT_G2: "DigiCert Global Root G2",
    MICROSOFT_RSA_ROOT_2017: "Microsoft RSA Root Certificate Authority 2017",
}


@vm_rule(code="ASR301", name="root-certificates-current", severity="fail")
def root_certificates_current(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """The guest trusts the current root certificates Azure's endpoints chain to.

    ## What it checks
    The guest's trust store (the distribution's CA bundle on Linux, `LocalMachine\\Root` on
    Windows) holds DigiCert Global Root G2 and Microsoft RSA Root Certificate Authority 2017,
    identified by SHA-256 fingerprint (a certificate that only carries the name does not count),
    and neither has expired at the time of collection (a root whose expiry cannot be read is
    `unknown`, not current). When the only Azure root left in the store is the Baltimore
    CyberTrust Root, which expired on 2025-05-12, the message says so.

    ## Why it matters
    The Site Recovery extension authenticates to Microsoft Entra ID and talks to the Site
    Recovery service over TLS. Without the roots those endpoints chain to, enable replication
    fails with error 151066 ("the trusted root certificates required for authorization and
    authentication aren't present on the virtual machine").

    ## How to fix
    Windows: install the latest Windows updates (or import the two roots from the Azure CA
    details page into `LocalMachine\\Root`). Linux: update the distribution's CA package
    (`apt-get install --only-upgrade ca-certificates`, `dnf update ca-certificates`,
    `zypper update ca-certificates`) and rebuild the bundle (`update-ca-certificates`,
    `update-ca-trust`).

    ## References
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-troubleshoot-errors
    - https://learn.microsoft.com/azure/security/fundamentals/azure-ca-details
    """
    if (skip := applicable(ctx, vm)) is not None:
        return skip
    facts = ctx.guest(vm)
    if facts.root_certificates is None:
        raise probe_missing(facts, vm, "trust", "the root certificate store")
    now = reference_time(ctx, facts)
    by_hash: dict[str, RootCertificate] = {c.sha256.upper(): c for c in facts.root_certificates}
    store = facts.trust_store or "the trust store"
    problems: list[str] = []
    unreadable: list[str] = []
    for sha256, name in REQUIRED.items():
        cert = by_hash.get(sha256)
        if cert is None:
            impostor = [c for c in facts.root_certificates if name in c.subject]
            problems.append(
                f"{name} is missing"
                + (
                    " (a certificate with that name but another fingerprint is there)"
                    if impostor
                    else ""
                )
            )
            continue
        expiry = parse_time(cert.not_after)
        if expiry is None:
            unreadable.append(name)
        elif expiry <= now:
            problems.append(f"{name} expired on {expiry:%Y-%m-%d}")
    if not problems and unreadable:
        return unknown(
            vm,
            f"{vm.name}: in {store}, the expiry of {' and '.join(unreadable)} is not readable, so "
            "whether it is still valid is not known",
            hint="check the certificate in the guest (openssl x509 -enddate, or certlm.msc)",
        )
    if not problems:
        return passed(
            vm,
            f"{vm.name}: {store} holds unexpired DigiCert Global Root G2 and "
            "Microsoft RSA Root Certificate Authority 2017",
        )
    others = [n for h, n in OTHER_AZURE_ROOTS.items() if _valid(by_hash.get(h), now)]
    good = [n for h, n in REQUIRED.items() if _valid(by_hash.get(h), now)]
    message = f"{vm.name}: in {store}, " + "; ".join(problems)
    if not good and not others and BALTIMORE_CYBERTRUST_ROOT in by_hash:
        message += "; the only Azure root left is the Baltimore CyberTrust Root, expired 2025-05-12"
    return failed(
        vm,
        message + "; both roots must be present and unexpired",
        hint="update the guest's CA certificates (Windows Update, or the ca-certificates package)",
    )


def _valid(cert: RootCertificate | None, now: datetime) -> bool:
    """Present and not known to be expired: only decides whether the Baltimore note applies (a
    root whose expiry is unreadable still means Baltimore is not the only Azure root left); the
    pass/unknown decision above never relies on it."""
    if cert is None:
        return False
    expiry = parse_time(cert.not_after)
    return expiry is None or expiry > now
