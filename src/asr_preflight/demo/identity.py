"""Demo estate: role assignments, role definitions, deny assignments. Owned by the **rbac** area.

The operating principal is Dana (``dana.ops``), the DR operator who will enable replication:

* Shop subscription: Contributor on the subscription, directly (inherited by the vault, the
  cache storage account, the shop VMs and the shop's target group, which ASR will create); and
  Site Recovery Contributor on the vault through the group ``grp-dr-operators``.
* ERP subscription: on the subscription itself only Site Recovery Operator (failover, not
  enable). The ERP team pre-created ``rg-erp-prod-asr`` and gave ``grp-dr-operators`` Virtual
  Machine Contributor and Network Contributor on it, and Virtual Machine Contributor on
  vm-batch-01; ``grp-sap-basis`` (Dana is a member) holds Virtual Machine Contributor on the
  three SAP VMs. Nobody gave Dana anything on vm-win-sql-01 and vm-win-file-01, so ASR403 fails
  for them (Site Recovery Operator cannot install the extension).
* vm-sap-ascs-01 is under a change freeze: a deny assignment blocks VM extension writes for
  everyone except ``grp-sap-change-board`` (Dana is not a member), so ASR403 fails for it.
* vm-win-ad-01 (tier 0): Dana's Virtual Machine Contributor there carries an ABAC condition, so
  ASR403 is unknown; the tier-0 deny assignment blocks Recovery Services reads (the eligibility
  403 of the base estate), not the Compute actions.

* Azure Disk Encryption (ASR404): vm-win-sql-01's disks keep their secrets in ``kv-erp-sql``,
  an access-policy vault whose only policy is for the DBA group (``grp-sql-dba``, Dana is not a
  member; ``grp-dr-operators`` may only read the vault), so ASR404 fails for it.
  vm-sap-db-01's secrets and key encryption key are in ``kv-sap-hana``, an Azure RBAC vault on
  which ``grp-sap-basis`` holds Reader, Key Vault Secrets User and Key Vault Crypto User, and
  ``grp-dr-operators`` may create the target-region key vault (Key Vault Contributor on
  ``rg-erp-prod-asr``), so ASR404 passes. The other VMs do not use ADE: skip.

ASR401 and ASR402 pass for every VM: one vault serves all of them and each source group shares
its target group, so a failure there would touch the VMs that must stay Ready. Their failures
are shown by the other two operators in ``tests/identity/test_demo_operators.py``.
"""

from __future__ import annotations

from dataclasses import replace

from asr_preflight.rbac import builtin_roles
from asr_preflight.snapshot import (
    DenyAssignment,
    Disk,
    IdentityFacts,
    KeyVault,
    KeyVaultAccessPolicy,
    Permission,
    RoleAssignment,
    RoleDefinition,
    Snapshot,
    VirtualMachine,
)

from .estate import ERP_RG, ERP_SUB, SHOP_SUB, VAULT_ID, rg_id

PRINCIPAL = "d7e5a3c1-2b4f-4a6e-8c9d-0e1f2a3b4c5d"  # dana.ops@contoso.example
GROUP_DR = "6b2f9c4e-8a1d-4e7b-9c3f-5d2a8e6b1f40"  # grp-dr-operators
GROUP_SAP = "a4c8e2f6-1b3d-4f5a-8e7c-9d0b2a4c6e81"  # grp-sap-basis
GROUP_CHANGE_BOARD = "f0e1d2c3-b4a5-4968-8776-5a4b3c2d1e0f"  # grp-sap-change-board (not Dana)
GROUP_SQL_DBA = "3c9a7e15-6d2b-4f08-a1e4-b7c5d9f20a36"  # grp-sql-dba (not Dana)
EVERYONE = "00000000-0000-0000-0000-000000000000"
KV_SQL = f"{rg_id(ERP_SUB, ERP_RG)}/providers/Microsoft.KeyVault/vaults/kv-erp-sql"
KV_HANA = f"{rg_id(ERP_SUB, ERP_RG)}/providers/Microsoft.KeyVault/vaults/kv-sap-hana"
#: ADE VMs -> (the vault holding their disk encryption secrets, the vault of their KEK or None)
ADE_VAULTS = {"vm-win-sql-01": (KV_SQL, None), "vm-sap-db-01": (KV_HANA, KV_HANA)}
TIER0_CONDITION = (
    "((!(ActionMatches{'Microsoft.Compute/virtualMachines/extensions/write'})) OR "
    "(@Resource[Microsoft.Compute/virtualMachines:tags:tier0-change] StringEquals 'approved'))"
)


def _vm_id(name: str) -> str:
    return f"{rg_id(ERP_SUB, ERP_RG)}/providers/Microsoft.Compute/virtualMachines/{name}"


def _roles(names: set[str]) -> dict[str, RoleDefinition]:
    return {r.role_name: r for r in builtin_roles() if r.role_name in names}


def _assignment(
    n: int, role: RoleDefinition, scope: str, principal: str, **kw: str
) -> RoleAssignment:
    guid = f"{n:08x}-7a11-4d5e-9b0c-d3e0a5516e70"
    return RoleAssignment(
        id=f"{scope}/providers/Microsoft.Authorization/roleAssignments/{guid}",
        scope=scope,
        role_definition_id=f"/subscriptions/{SHOP_SUB}{role.id}",
        principal_id=principal,
        principal_type="User" if principal == PRINCIPAL else "Group",
        condition=kw.get("condition"),
    )


def identity_facts() -> IdentityFacts:
    """Dana's access to the demo estate, as `collect` would gather it."""
    roles = _roles(
        {
            "Contributor",
            "Site Recovery Contributor",
            "Site Recovery Operator",
            "Virtual Machine Contributor",
            "Network Contributor",
            "Reader",
            "Key Vault Secrets User",
            "Key Vault Crypto User",
            "Key Vault Contributor",
        }
    )
    shop, erp = f"/subscriptions/{SHOP_SUB}", f"/subscriptions/{ERP_SUB}"
    erp_target = rg_id(ERP_SUB, f"{ERP_RG}-asr")
    grants = [
        (roles["Contributor"], shop, PRINCIPAL, None),
        (roles["Site Recovery Contributor"], VAULT_ID, GROUP_DR, None),
        (roles["Site Recovery Operator"], erp, PRINCIPAL, None),
        (roles["Virtual Machine Contributor"], erp_target, GROUP_DR, None),
        (roles["Network Contributor"], erp_target, GROUP_DR, None),
        (roles["Virtual Machine Contributor"], _vm_id("vm-batch-01"), GROUP_DR, None),
        (roles["Virtual Machine Contributor"], _vm_id("vm-sap-app-01"), GROUP_SAP, None),
        (roles["Virtual Machine Contributor"], _vm_id("vm-sap-db-01"), GROUP_SAP, None),
        (roles["Virtual Machine Contributor"], _vm_id("vm-sap-ascs-01"), GROUP_SAP, None),
        (roles["Virtual Machine Contributor"], _vm_id("vm-win-ad-01"), PRINCIPAL, TIER0_CONDITION),
        (roles["Reader"], KV_SQL, GROUP_DR, None),
        (roles["Reader"], KV_HANA, GROUP_SAP, None),
        (roles["Key Vault Secrets User"], KV_HANA, GROUP_SAP, None),
        (roles["Key Vault Crypto User"], KV_HANA, GROUP_SAP, None),
        (roles["Key Vault Contributor"], erp_target, GROUP_DR, None),
    ]
    assignments = tuple(
        _assignment(n, role, scope, who, **({"condition": cond} if cond else {}))
        for n, (role, scope, who, cond) in enumerate(grants, start=1)
    )
    freeze = _vm_id("vm-sap-ascs-01")
    tier0 = _vm_id("vm-win-ad-01")
    denies = (
        DenyAssignment(
            id=f"{freeze}/providers/Microsoft.Authorization/denyAssignments/sap-ascs-change-freeze",
            name="sap-ascs-change-freeze",
            scope=freeze,
            permissions=(Permission(("Microsoft.Compute/virtualMachines/extensions/*",)),),
            principal_ids=(EVERYONE,),
            exclude_principal_ids=(GROUP_CHANGE_BOARD,),
            principal_types={EVERYONE: "SystemDefined", GROUP_CHANGE_BOARD: "Group"},
        ),
        DenyAssignment(
            id=f"{tier0}/providers/Microsoft.Authorization/denyAssignments/tier0-protection",
            name="tier0-protection",
            scope=tier0,
            permissions=(Permission(("Microsoft.RecoveryServices/*",)),),
            principal_ids=(EVERYONE,),
            principal_types={EVERYONE: "SystemDefined"},
        ),
    )
    return IdentityFacts(
        principal_id=PRINCIPAL,
        role_assignments=assignments,
        role_definitions=tuple(
            replace(r, id=f"/subscriptions/{SHOP_SUB}{r.id}") for r in roles.values()
        ),
        deny_assignments=denies,
        scopes=(shop, erp),
        group_ids=(GROUP_DR, GROUP_SAP),
        management_groups={
            SHOP_SUB: ("mg-contoso-prod", "tenant-root"),
            ERP_SUB: ("mg-contoso-prod", "tenant-root"),
        },
    )


def key_vaults() -> tuple[KeyVault, ...]:
    """The two source key vaults of the ADE VMs, as the subscription's vault list returns them."""
    dba = KeyVaultAccessPolicy(
        object_id=GROUP_SQL_DBA,
        tenant_id="72f988bf-0000-4000-8000-00000000c0de",
        keys=("get", "list", "create", "decrypt", "encrypt"),
        secrets=("get", "list", "set"),
    )
    return (
        KeyVault(KV_HANA, "kv-sap-hana", "eastus", rbac_authorization=True),
        KeyVault(KV_SQL, "kv-erp-sql", "eastus", rbac_authorization=False, access_policies=(dba,)),
    )


def _with_ade(vm: VirtualMachine) -> VirtualMachine:
    vaults = ADE_VAULTS.get(vm.name)
    if vaults is None:
        return vm

    def encrypted(disk: Disk | None) -> Disk | None:
        if disk is None or not disk.managed:
            return disk
        return replace(
            disk, ade_encrypted=True, ade_key_vault_id=vaults[0], ade_kek_vault_id=vaults[1]
        )

    data = tuple(d for d in (encrypted(d) for d in vm.data_disks) if d is not None)
    return replace(vm, os_disk=encrypted(vm.os_disk), data_disks=data)


def apply(snapshot: Snapshot) -> Snapshot:
    return replace(
        snapshot,
        identity=identity_facts(),
        vms=tuple(_with_ade(vm) for vm in snapshot.vms),
        key_vaults=key_vaults(),
    )
