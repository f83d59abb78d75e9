from asr_preflight.api import Rule

from ._common import outbound_tag_rule

DOC = """TCP 443 outbound from the VM is allowed to the Storage service tag of the VM's own region.

## What it checks
The NSGs on the VM's primary NIC and on its subnet, evaluated as Network Watcher's IP flow verify
does (NIC NSG then subnet NSG, lowest priority number first, default rules last), allow outbound
TCP 443 to every prefix of `Storage.<region>`, where the region is the VM's own: its cache
storage account must be in that region (ASR210 fails otherwise). A superset such as `Storage` or
`Internet` counts when no deny comes first. The message names the deciding rule, and for a
partial block how many of the tag's prefixes are denied and by which rules.

## Why it matters
The Site Recovery mobility service writes every change on the VM's disks to the cache storage
account in the VM's own region. If the VM cannot reach `*.blob.core.windows.net`, enable
replication fails or replication stalls.

## How to fix
Add an outbound NSG rule allowing TCP 443 to the service tag `Storage.<source-region>` (for
example `Storage.EastUS`) with a priority number lower than the deny rule named in the result,
on the NSG that denies (NIC or subnet). Prefer the service tag to a list of IP prefixes.

## References
- https://learn.microsoft.com/azure/site-recovery/azure-to-azure-about-networking
- https://learn.microsoft.com/azure/site-recovery/azure-to-azure-troubleshoot-network-connectivity
- https://learn.microsoft.com/azure/virtual-network/service-tags-overview
"""

outbound_storage: Rule = outbound_tag_rule(
    code="ASR201",
    name="outbound-storage",
    severity="fail",
    tag="Storage.{source}",
    doc=DOC,
    module=__name__,
)
