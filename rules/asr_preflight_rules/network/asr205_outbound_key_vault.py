from asr_preflight.api import Rule, RuleContext
from asr_preflight.snapshot import VirtualMachine

from ._common import outbound_tag_rule

DOC = """TCP 443 outbound is allowed to AzureKeyVault for VMs that use Azure Disk Encryption.

## What it checks
For a VM whose disks use Azure Disk Encryption (ADE), the NSGs on its primary NIC and subnet (IP
flow verify semantics) allow outbound TCP 443 to every prefix of the `AzureKeyVault` service tag
(`*.vault.azure.net`). Other VMs are skipped; when no disk reports ADE and the VM's
extensions were not gathered, whether ADE is used is not known and the result is unknown.

## Why it matters
Replicating an ADE VM copies its keys and secrets to a key vault in the target region; when
replication is enabled from the portal the VM must reach Key Vault.

## How to fix
Allow outbound TCP 443 to the `AzureKeyVault` service tag with a priority number lower than the
denying rule named in the result.

## References
- https://learn.microsoft.com/azure/site-recovery/azure-to-azure-about-networking
- https://learn.microsoft.com/azure/site-recovery/azure-to-azure-how-to-enable-replication-ade-vms
"""


def _uses_ade(ctx: RuleContext, vm: VirtualMachine) -> str | None:
    ade = vm.ade_use
    if ade is None:  # no disk reports ADE and the extensions were not gathered
        raise ctx.missing("vms", vm.id, f"the extensions of {vm.name} (whether it uses ADE)")
    return None if ade else "does not use Azure Disk Encryption"


outbound_key_vault: Rule = outbound_tag_rule(
    code="ASR205",
    name="outbound-key-vault",
    severity="fail",
    tag="AzureKeyVault",
    doc=DOC,
    module=__name__,
    applies=_uses_ade,
)
