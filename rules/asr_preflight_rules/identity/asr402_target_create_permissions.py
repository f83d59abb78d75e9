from asr_preflight.api import Finding, RuleContext, vm_rule
from asr_preflight.snapshot import VirtualMachine

from .._facts import leaf
from ._permissions import (
    CACHE_STORAGE_ACTIONS,
    RESOURCE_GROUP_CREATE_ACTION,
    TARGET_RESOURCE_GROUP_ACTIONS,
    Need,
    judge,
)


@vm_rule(code="ASR402", name="target-create-permissions", severity="fail")
def target_create_permissions(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """The operating principal may create the failover resources in the target.

    ## What it checks
    On the target resource group (`[target] resource_group`, default `<source resource group>-asr`,
    in `[target] subscription` or the VM's subscription) the principal is allowed to read, write
    and delete virtual machines, read availability sets, write managed disks, read, write, delete
    and join network interfaces, read virtual networks and subnets and join subnets, write
    deployments and read the resource group; when the snapshot says that resource group does not
    exist yet, or does not say whether it exists (not gathered, or a `resource_groups` error), also
    `Microsoft.Resources/subscriptions/resourceGroups/write` (fail-closed; the message says so).
    When a cache storage account is named (`[target] cache_storage_account`),
    `Microsoft.Storage/storageAccounts/read` and `…/listkeys/action` on it. The target virtual
    network is evaluated at the target resource group, where ASR creates it (the plan names no
    target network).

    ## Why it matters
    ASR creates the target VM, its disks and NICs and joins them to the target network during
    enable replication and failover. A principal that cannot do so sees enable replication or
    failover fail with an authorization error.

    ## How to fix
    Assign **Virtual Machine Contributor** together with Reader (for subnet reads), or
    Contributor, on the target resource group (or above), and Storage Account Contributor on the
    cache storage account, or a custom role with the listed actions. The message names the
    smallest built-in roles that grant exactly what is missing.

    ## References
    - https://learn.microsoft.com/azure/site-recovery/site-recovery-role-based-linked-access-control
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-tutorial-enable-replication
    - https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/compute
    """
    subscription = ctx.target_subscription(vm)
    name = ctx.plan.target.resource_group or f"{vm.resource_group}-asr"
    rg_id = f"/subscriptions/{subscription}/resourceGroups/{name}"
    actions: tuple[str, ...] = TARGET_RESOURCE_GROUP_ACTIONS
    exists = _exists(ctx, rg_id)
    if exists is not True:  # absent, or not known to exist: ASR may have to create it
        actions = (*actions, RESOURCE_GROUP_CREATE_ACTION)
    what = f"create {vm.name}'s failover resources in {name}"
    if exists is None:
        what += f" (and {name} itself, as whether it exists is unknown)"
    needs = [Need(f"resource group {name}", rg_id, actions)]
    storage = ctx.plan.target.cache_storage_account
    if storage:
        needs.append(Need(f"cache storage account {leaf(storage)}", storage, CACHE_STORAGE_ACTIONS))
    return judge(ctx, vm, needs, what=what, target=rg_id)


def _exists(ctx: RuleContext, rg_id: str) -> bool | None:
    """Whether the target resource group exists; None = not known (not gathered, or an error)."""

    def index() -> dict[str, bool]:
        return {rg.id.lower().rstrip("/"): rg.exists for rg in ctx.snapshot.resource_groups}

    return ctx.cached("rbac.resource-groups", index).get(rg_id.lower())
