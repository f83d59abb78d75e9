from asr_preflight.api import Finding, MissingFact, Outcome, RuleContext, unknown, vm_rule
from asr_preflight.snapshot import VirtualMachine

from .._facts import leaf
from ._permissions import (
    CACHE_STORAGE_ACTIONS,
    RESOURCE_GROUP_CREATE_ACTION,
    SUBNET_JOIN,
    TARGET_RESOURCE_GROUP_ACTIONS,
    VNET_READ,
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
    and join network interfaces, read virtual networks (`Microsoft.Network/virtualNetworks/read`,
    which also reads their subnets: `…/subnets/read` is not asked for separately, as RULES.md
    accepts either) and join subnets, write deployments and read the resource group; when the
    snapshot says that resource group does not exist yet, or does not say whether it exists (not
    gathered, or a `resource_groups` error), also
    `Microsoft.Resources/subscriptions/resourceGroups/write` (fail-closed; the message says so).
    When a cache storage account is named for the VM's region (`[target] cache_storage_account`,
    or its region's entry in `cache_storage_accounts`), `Microsoft.Storage/storageAccounts/read`
    and `…/listkeys/action` on it. The subnet join is
    evaluated on the target virtual network when it is known: the vault's network mapping for
    the VM's source virtual network names it (then `…/virtualNetworks/read` and
    `…/subnets/join/action` are asked there); without a mapping ASR creates
    `<source network>-asr` in the target resource group, so it is evaluated there. When the
    vault's network mappings could not be read, a verdict that would pass is `unknown`.

    ## Why it matters
    ASR creates the target VM, its disks and NICs and joins them to the target network during
    enable replication and failover. A principal that cannot do so sees enable replication or
    failover fail with an authorization error.

    ## How to fix
    Assign **Virtual Machine Contributor** (which ASR names as sufficient), or Contributor, on
    the target resource group (or above), and Storage Account Contributor on the cache storage
    account, or a custom role with the listed actions. A role that is PIM-eligible must be
    activated first: ARM does not list eligible roles, nor Azure Lighthouse delegations. The
    message names the smallest built-in roles that grant exactly what is missing.

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
    try:
        target_vnet = _target_network(ctx, vm)
        blind: MissingFact | None = None
    except MissingFact as exc:
        target_vnet, blind = None, exc
    if target_vnet is not None:  # ASR joins the mapped network, not one it creates in the group
        actions = tuple(a for a in actions if a != SUBNET_JOIN)
    needs = [Need(f"resource group {name}", rg_id, actions)]
    if target_vnet is not None:
        label = f"target virtual network {leaf(target_vnet)}"
        needs.append(Need(label, target_vnet, (VNET_READ, SUBNET_JOIN)))
    storage = ctx.plan.target.cache_account_for(vm.location)
    if storage:
        needs.append(Need(f"cache storage account {leaf(storage)}", storage, CACHE_STORAGE_ACTIONS))
    finding = judge(ctx, vm, needs, what=what, target=rg_id)
    if blind is not None and finding.outcome is Outcome.PASS:
        return unknown(
            vm,
            f"{vm.name}: where ASR joins the failover NIC is unknown ({blind.message}); "
            f"on resource group {name} the rest is granted",
            target=rg_id,
            hint=blind.hint,
        )
    return finding


def _target_network(ctx: RuleContext, vm: VirtualMachine) -> str | None:
    """The target virtual network the vault maps the VM's source network to; None when ASR will
    create one in the target group (no mapping, or none gathered because no vault is named).
    Raises MissingFact when the mappings or the VM's source network could not be read."""
    vault_id = ctx.plan.target.vault
    vault = ctx.snapshot.vault
    mappings = vault.network_mappings if vault is not None else None
    if mappings is None:
        scope = f"{vault_id}/replicationNetworkMappings" if vault_id else None
        err = ctx.error_for("vault", scope) if scope else None
        if err is not None:
            raise MissingFact(
                f"the vault's network mappings could not be read: {err.cause}", err.hint
            )
        return None
    if not mappings:
        return None
    nic = ctx.primary_nic(vm)
    ipc = nic.primary_ip_configuration
    subnet = ipc.subnet_id if ipc is not None else None
    if not subnet or "/subnets/" not in subnet.lower():
        raise MissingFact(
            f"the virtual network of {vm.name}'s primary NIC is unknown, so which of the "
            "vault's network mappings applies is unknown",
            "re-run `asr-preflight collect` with Reader on the VM's network",
        )
    source = subnet[: subnet.lower().index("/subnets/")].lower()
    for mapping in mappings:
        if mapping.source_vnet_id.lower().rstrip("/") == source:
            return mapping.target_vnet_id
    return None


def _exists(ctx: RuleContext, rg_id: str) -> bool | None:
    """Whether the target resource group exists; None = not known (not gathered, or an error)."""

    def index() -> dict[str, bool]:
        return {rg.id.lower().rstrip("/"): rg.exists for rg in ctx.snapshot.resource_groups}

    return ctx.cached("rbac.resource-groups", index).get(rg_id.lower())
