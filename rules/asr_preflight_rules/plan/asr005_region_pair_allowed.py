from asr_preflight.api import Finding, Outcome, RuleContext, vm_rule
from asr_preflight.regions import check_regions
from asr_preflight.snapshot import VirtualMachine

from .._facts import Tally, planned_vault

_LEVELS = {"fail": Outcome.FAIL, "warn": Outcome.WARN, "unknown": Outcome.UNKNOWN}
_HINTS = {
    "fail": "choose a supported target region (and vault region) for this source region",
    "warn": "request access to the restricted region for the source and target subscriptions",
    "unknown": "check the region name; if it is a new Azure region, verify it against the "
    "Site Recovery support matrix by hand",
}


@vm_rule(code="ASR005", name="region-pair-allowed", severity="fail")
def region_pair_allowed(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """The source, target and vault regions form a combination Site Recovery accepts.

    ## What it checks
    With the VM's region as source, `[target] region` as target and the vault's region:
    - all regions are in the same cloud (and in the plan's `[azure] cloud`): no replication
      between Azure public, Azure Government and Azure China;
    - Brazil South is never a target, Brazil Southeast never a source, and Brazil South
      replicates only to Brazil Southeast, South Central US, West Central US, East US, East US 2,
      West US, West US 2 or North Central US;
    - no vault in New Zealand;
    - no replication between JIO and non-JIO regions;
    - access-restricted regions reserved for in-country DR (Switzerland West, France South,
      Norway West, JIO India Central, Brazil Southeast, South Africa West, Germany North,
      UAE Central; Australia Central 2, Korea South, Sweden South) are flagged with a warning,
      because both subscriptions must be allowlisted, which this tool cannot see.
    A region missing from asr-preflight's table gives unknown.

    ## Why it matters
    Site Recovery refuses these combinations when replication is enabled or when the vault is
    created; restricted regions fail until the subscriptions are allowlisted.

    ## How to fix
    Pick a target region (and vault region) that the support matrix allows for the source region;
    for a restricted region, raise a region access request for both the source and target
    subscriptions before enabling replication.

    ## References
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-support-matrix (Region support)
    - https://learn.microsoft.com/azure/reliability/regions-list
    - https://learn.microsoft.com/troubleshoot/azure/general/region-access-request-process
    """
    vault = planned_vault(ctx)
    target = ctx.plan.target.region
    cloud = ctx.plan.azure.cloud
    issues = check_regions(vm.location, target, vault.location if vault else None, cloud=cloud)
    tally = Tally(vm)
    for issue in issues:
        tally.add(_LEVELS[issue.level], issue.message, _HINTS[issue.level])
    vault_text = f" with the vault in {vault.location}" if vault else ""
    return tally.finding(
        f"{vm.name} ({vm.location} -> {target}{vault_text})",
        f"{vm.name} may replicate from {vm.location} to {target}{vault_text}",
    )
