from asr_preflight.api import Finding, MissingFact, RuleContext, vm_rule
from asr_preflight.snapshot import VirtualMachine

from .._facts import leaf
from ._permissions import VAULT_ACTIONS, Need, judge

INSUFFICIENT = ("Site Recovery Operator", "Site Recovery Reader", "Reader")


@vm_rule(code="ASR401", name="vault-permissions", severity="fail")
def vault_permissions(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """The operating principal may manage replication in the Recovery Services vault.

    ## What it checks
    The identity that will enable replication (the token's `oid`, or `--principal-id`) is allowed,
    on the vault named in `[target] vault`, the actions `Microsoft.RecoveryServices/vaults/read`,
    `…/vaults/replicationFabrics/write`, `…/vaults/replicationPolicies/write` and
    `…/replicationFabrics/replicationProtectionContainers/replicationProtectedItems/write`. Role
    assignments count at the vault and every scope above it, directly or through a group; a deny
    assignment blocks them; an assignment with an ABAC condition gives `unknown`.
    Site Recovery Contributor, Contributor and Owner grant them; Site Recovery Operator (failover
    only) and Site Recovery Reader or Reader do not, and the message says so.

    ## Why it matters
    Enabling replication creates the replication fabric, policy, container mapping and protected
    item in the vault. Without these write permissions the enable-replication job fails with an
    authorization error after the portal or pipeline has started it.

    ## How to fix
    Assign **Site Recovery Contributor** (or Contributor) to the principal on the vault, its
    resource group or the subscription, or run the operation as an identity that has it. If a
    deny assignment blocks the action, its owner must exclude the principal.

    ## References
    - https://learn.microsoft.com/azure/site-recovery/site-recovery-role-based-linked-access-control
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-tutorial-enable-replication
    - https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/management-and-governance
    """
    vault_id = ctx.plan.target.vault or (ctx.snapshot.vault.id if ctx.snapshot.vault else None)
    if vault_id is None:
        raise MissingFact(
            f"{vm.name}: no Recovery Services vault is named, so its permissions cannot be checked",
            "name the vault in the plan's [target] vault",
        )
    need = Need(f"vault {leaf(vault_id)}", vault_id, VAULT_ACTIONS)
    return judge(
        ctx,
        vm,
        [need],
        what=f"enable replication in vault {leaf(vault_id)}",
        target=vault_id,
        insufficient=INSUFFICIENT,
    )
