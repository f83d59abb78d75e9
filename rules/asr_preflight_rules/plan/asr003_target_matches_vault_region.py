from asr_preflight.api import Finding, RuleContext, passed, skipped, vm_rule, warned
from asr_preflight.snapshot import VirtualMachine

from .._facts import planned_vault, same_region


@vm_rule(code="ASR003", name="target-matches-vault-region", severity="warn")
def target_matches_vault_region(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """The target region is the vault's region (recommended).

    ## What it checks
    The location of the vault named in `[target] vault` equals `[target] region`. When the plan
    names no vault, the rule says skip.

    ## Why it matters
    Microsoft recommends keeping "the target location the same as the Recovery Services vault
    location": the vault then survives an outage of the source region together with the replicas
    it manages, and failover does not depend on a third region.

    ## How to fix
    Use a vault in the target region (create one if needed), or accept the warning if the vault's
    region is a deliberate choice.

    ## References
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-how-to-enable-replication
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-tutorial-enable-replication
    """
    vault = planned_vault(ctx)
    if vault is None:
        return skipped(vm, "the plan names no Recovery Services vault ([target] vault)")
    target = ctx.plan.target.region
    if same_region(vault.location, target):
        return passed(vm, f"vault {vault.name} is in the target region {target}", target=vault.id)
    return warned(
        vm,
        f"vault {vault.name} is in {vault.location}, not in the target region {target}; "
        "Microsoft recommends a vault in the target region",
        target=vault.id,
        hint="use a Recovery Services vault located in the target region",
    )
