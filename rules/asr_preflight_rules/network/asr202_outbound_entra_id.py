from asr_preflight.api import Rule

from ._common import outbound_tag_rule

DOC = """TCP 443 outbound from the VM is allowed to the AzureActiveDirectory service tag.

## What it checks
The NSGs on the VM's primary NIC and its subnet (IP flow verify semantics) allow outbound TCP 443
to every prefix of the `AzureActiveDirectory` service tag (login.microsoftonline.com). The result
names the deciding rule and, when only part of the tag is blocked, how many prefixes and by which
rules.

## Why it matters
The mobility service authenticates to Microsoft Entra ID before it can talk to Site Recovery.
Without it enable replication fails with error 151196 ("Site Recovery configuration failed").

## How to fix
Allow outbound TCP 443 to the `AzureActiveDirectory` service tag with a priority number lower than
the denying rule named in the result. VMs behind a Standard internal load balancer have no default
outbound access: add a NAT gateway or outbound rules.

## References
- https://learn.microsoft.com/azure/site-recovery/azure-to-azure-about-networking
- https://learn.microsoft.com/azure/site-recovery/azure-to-azure-troubleshoot-network-connectivity
"""

outbound_entra_id: Rule = outbound_tag_rule(
    code="ASR202",
    name="outbound-entra-id",
    severity="fail",
    tag="AzureActiveDirectory",
    doc=DOC,
    module=__name__,
)
