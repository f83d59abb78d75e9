from asr_preflight.api import Finding, RuleContext, failed, passed, skipped, unknown, vm_rule
from asr_preflight.snapshot import VirtualMachine

from .._facts import leaf, planned_vault, same_region, zone_to_zone


@vm_rule(code="ASR001", name="vault-not-in-source-region", severity="fail")
def vault_not_in_source_region(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """The Recovery Services vault and its resource group are not in the VM's region.

    ## What it checks
    The location of the vault named in `[target] vault`, and the location of the vault's resource
    group, both differ from the source VM's region. For zone-to-zone disaster recovery (target
    region = source region with a `[target] zone`) the rule says skip: there the vault may be in
    the source region. When the plan names no vault, the rule says skip.

    ## Why it matters
    For cross-region disaster recovery, Site Recovery requires the vault to live outside the
    region it protects: "the source location should be different from the Recovery Services Vault
    and its Resource Group's location". A vault in the source region also fails together with
    the region it should recover.

    ## How to fix
    Create (or pick) a vault in another region, ideally the target region, in a resource group
    that is not in the source region either, and name it in `[target] vault`.

    ## References
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-how-to-enable-replication
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-tutorial-enable-replication
    """
    vault = planned_vault(ctx)
    if vault is None:
        return skipped(vm, "the plan names no Recovery Services vault ([target] vault)")
    if zone_to_zone(ctx, vm):
        return skipped(
            vm,
            f"zone-to-zone DR within {vm.location}: the vault may be in the source region",
            target=vault.id,
        )
    if same_region(vault.location, vm.location):
        return failed(
            vm,
            f"vault {vault.name} is in {vault.location}, the region of {vm.name}; "
            "it must be in another region",
            target=vault.id,
        )
    rg_location = vault.resource_group_location
    if rg_location is None:
        gap = ctx.missing(
            "vault",
            vault.id,
            f"location of resource group {vault.resource_group} of vault {leaf(vault.id)}",
        )
        return unknown(vm, gap.message, target=vault.id, hint=gap.hint)
    if same_region(rg_location, vm.location):
        return failed(
            vm,
            f"vault {vault.name}'s resource group {vault.resource_group} is in {rg_location}, "
            f"the region of {vm.name}; it must be in another region",
            target=vault.id,
        )
    return passed(
        vm,
        f"vault {vault.name} ({vault.location}, resource group in {rg_location}) is outside "
        f"{vm.name}'s region {vm.location}",
        target=vault.id,
    )
