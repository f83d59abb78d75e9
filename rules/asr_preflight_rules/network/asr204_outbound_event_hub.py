from asr_preflight.api import Rule

from ._common import outbound_tag_rule

DOC = """TCP 443 outbound from the VM is allowed to the target region's EventHub service tag.

## What it checks
The NSGs on the VM's primary NIC and its subnet (IP flow verify semantics) allow outbound TCP 443
to every prefix of `EventHub.<target-region>` (`*.servicebus.windows.net`), naming the deciding
rule. The EventHub tag is always the other region: the target region when protecting.

## Why it matters
Site Recovery's monitoring and diagnostics go through Event Hubs in the target region; Microsoft
lists the endpoint as required for replication.

## How to fix
Allow outbound TCP 443 to the service tag `EventHub.<target-region>` (for example
`EventHub.WestUS2`) with a priority number lower than the denying rule named in the result.

## References
- https://learn.microsoft.com/azure/site-recovery/azure-to-azure-about-networking
- https://learn.microsoft.com/azure/site-recovery/azure-to-azure-troubleshoot-network-connectivity
"""

outbound_event_hub: Rule = outbound_tag_rule(
    code="ASR204",
    name="outbound-event-hub",
    severity="fail",
    tag="EventHub.{target}",
    doc=DOC,
    module=__name__,
)
