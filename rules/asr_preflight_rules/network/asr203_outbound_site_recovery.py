from asr_preflight.api import Rule

from ._common import outbound_tag_rule

DOC = """TCP 443 outbound from the VM is allowed to the AzureSiteRecovery service tag.

## What it checks
The NSGs on the VM's primary NIC and its subnet (IP flow verify semantics) allow outbound TCP 443
to every prefix of the `AzureSiteRecovery` service tag
(`*.hypervrecoverymanager.windowsazure.com`), naming the deciding rule.

## Why it matters
The mobility service registers with and reports to the Site Recovery service over this endpoint.
Without it enable replication fails with error 151197.

## How to fix
Allow outbound TCP 443 to the `AzureSiteRecovery` service tag with a priority number lower than the
denying rule named in the result.

## References
- https://learn.microsoft.com/azure/site-recovery/azure-to-azure-about-networking
- https://learn.microsoft.com/azure/site-recovery/azure-to-azure-troubleshoot-network-connectivity
"""

outbound_site_recovery: Rule = outbound_tag_rule(
    code="ASR203",
    name="outbound-site-recovery",
    severity="fail",
    tag="AzureSiteRecovery",
    doc=DOC,
    module=__name__,
)
