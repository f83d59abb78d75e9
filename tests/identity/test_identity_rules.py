"""ASR401, ASR402 and ASR403 through the real engine: pass, fail and unknown for each."""

from __future__ import annotations

from asr_preflight.snapshot import FactError, Permission, ResourceGroup
from asr_preflight.testing import SUBSCRIPTION, evaluate_rule, make_plan, make_snapshot, make_vm
from asr_preflight_rules.identity.asr401_vault_permissions import vault_permissions
from asr_preflight_rules.identity.asr402_target_create_permissions import (
    target_create_permissions,
)
from asr_preflight_rules.identity.asr403_source_vm_permissions import source_vm_permissions

from .rbac_facts import GROUP, PRINCIPAL, assign, deny, facts, role

SUB = f"/subscriptions/{SUBSCRIPTION}"
VAULT = f"{SUB}/resourceGroups/dr-rg/providers/Microsoft.RecoveryServices/vaults/dr-vault"
TARGET_RG = f"{SUB}/resourceGroups/prod-rg-asr"
CACHE = f"{SUB}/resourceGroups/prod-rg/providers/Microsoft.Storage/storageAccounts/cachesa"


OTHER_SUB = "22222222-2222-4222-8222-222222222222"
#: The target resource groups the tests plan, looked up and found (unless a test says otherwise).
EXISTING = (
    ResourceGroup(id=TARGET_RG, name="prod-rg-asr", subscription_id=SUBSCRIPTION),
    ResourceGroup(
        id=f"/subscriptions/{OTHER_SUB}/resourceGroups/dr-target",
        name="dr-target",
        subscription_id=OTHER_SUB,
    ),
)


def run(rule, identity, vms=None, plan=None, **fields):
    vms = vms or [make_vm("vm-web-01")]
    fields.setdefault("resource_groups", EXISTING)
    return evaluate_rule(rule, make_snapshot(vms, plan=plan, identity=identity, **fields))


# -- ASR401 -----------------------------------------------------------------------------------


def test_asr401_passes_with_contributor_inherited_from_the_subscription():
    [result] = run(vault_permissions, facts(assign("Contributor", SUB)))
    assert result.outcome == "pass"
    assert result.target == VAULT
    assert f"Contributor on subscription {SUBSCRIPTION}" in result.message


def test_asr401_passes_with_site_recovery_contributor_on_the_vault():
    [result] = run(vault_permissions, facts(assign("Site Recovery Contributor", VAULT)))
    assert result.outcome == "pass"


def test_asr401_fails_with_only_site_recovery_operator_and_names_it_insufficient():
    [result] = run(vault_permissions, facts(assign("Site Recovery Operator", VAULT)))
    assert result.outcome == "fail"
    assert "replicationFabrics/write" in result.message
    assert "replicationPolicies/write" in result.message
    assert "Microsoft.RecoveryServices/vaults/read," not in result.message  # the operator may read
    assert "holds only Site Recovery Operator there, which cannot do this" in result.message
    assert "Site Recovery Contributor would grant them" in result.message
    assert "Site Recovery Contributor" in result.hint and "dr-vault" in result.hint


def test_asr401_fails_with_reader_only():
    [result] = run(vault_permissions, facts(assign("Reader", SUB)))
    assert result.outcome == "fail"
    assert "holds only Reader there, which cannot do this" in result.message


def test_asr401_unknown_when_assignments_could_not_be_read():
    err = FactError("rbac", SUB, "403 AuthorizationFailed on roleAssignments", "grant Reader")
    [result] = run(vault_permissions, None, errors=(err,))
    assert result.outcome == "unknown"
    assert "403 AuthorizationFailed" in result.message
    assert "Microsoft.Authorization/roleAssignments/read" in result.hint
    assert "grant Reader" in result.hint


def test_asr401_unknown_when_identity_was_not_gathered_at_all():
    [result] = run(vault_permissions, None)
    assert result.outcome == "unknown"
    assert "Microsoft.Authorization/roleDefinitions/read" in result.hint


def test_asr401_unknown_without_a_principal_id():
    [result] = run(vault_permissions, facts(assign("Owner", SUB), principal_id=None))
    assert result.outcome == "unknown"
    assert "--principal-id" in result.hint


def test_asr401_unknown_when_the_only_grant_has_a_condition():
    [result] = run(
        vault_permissions,
        facts(assign("Owner", SUB, condition="@Request[x] ForAnyOfAnyValues:GuidEquals {1}")),
    )
    assert result.outcome == "unknown"
    assert "condition" in result.message


def test_asr401_one_result_per_vm():
    vms = [make_vm("vm-a"), make_vm("vm-b")]
    results = run(vault_permissions, facts(assign("Contributor", SUB)), vms=vms)
    assert [(r.vm, r.outcome) for r in results] == [("vm-a", "pass"), ("vm-b", "pass")]


# -- ASR402 -----------------------------------------------------------------------------------


def test_asr402_passes_with_contributor_on_the_subscription():
    [result] = run(target_create_permissions, facts(assign("Contributor", SUB)))
    assert result.outcome == "pass"
    assert result.target == TARGET_RG


def test_asr402_virtual_machine_contributor_alone_passes():
    # RULES.md: virtualNetworks/read covers reading subnets; ASR names this role as sufficient
    [result] = run(
        target_create_permissions, facts(assign("Virtual Machine Contributor", TARGET_RG))
    )
    assert result.outcome == "pass", result.message
    assert "Virtual Machine Contributor on resource group prod-rg-asr" in result.message


def test_asr402_subnet_read_alone_does_not_replace_virtual_network_read():
    narrow = role(
        "VM operator without VNet read",
        permissions=(
            Permission(actions=("*",), not_actions=("Microsoft.Network/virtualNetworks/read",)),
        ),
    )
    [result] = run(target_create_permissions, facts(assign(narrow, TARGET_RG), roles=(narrow,)))
    assert result.outcome == "fail"
    assert "Microsoft.Network/virtualNetworks/read not granted" in result.message
    assert "subnets/read" not in result.message


def test_asr402_fails_without_subnet_join():
    no_join = role(
        "VM contributor without subnet join",
        permissions=(
            Permission(
                actions=("*",), not_actions=("Microsoft.Network/virtualNetworks/subnets/*",)
            ),
        ),
    )
    [result] = run(target_create_permissions, facts(assign(no_join, TARGET_RG), roles=(no_join,)))
    assert result.outcome == "fail"
    assert (
        "Microsoft.Network/virtualNetworks/subnets/join/action not granted on resource group "
        "prod-rg-asr" in result.message
    )


def test_asr402_passes_with_vm_contributor_through_a_group():
    identity = facts(
        assign("Virtual Machine Contributor", TARGET_RG, principal=GROUP), assign("Reader", SUB)
    )
    [result] = run(target_create_permissions, identity)
    assert result.outcome == "pass"
    assert f"through group {GROUP}" in result.message


def test_asr402_uses_the_planned_target_subscription_and_resource_group():
    other = "22222222-2222-4222-8222-222222222222"
    plan = make_plan(
        target={"region": "westus2", "subscription": other, "resource_group": "dr-target"}
    )
    [ok] = run(
        target_create_permissions,
        facts(assign("Contributor", f"/subscriptions/{other}")),
        plan=plan,
    )
    assert ok.outcome == "pass"
    assert ok.target == f"/subscriptions/{other}/resourceGroups/dr-target"
    [bad] = run(target_create_permissions, facts(assign("Contributor", SUB)), plan=plan)
    assert bad.outcome == "fail"
    assert "resource group dr-target" in bad.message
    assert "Virtual Machine Contributor would grant them" in bad.message


def test_asr402_needs_resource_group_write_when_asr_creates_the_group():
    identity = facts(assign("Virtual Machine Contributor", SUB), assign("Reader", SUB))
    [exists] = run(target_create_permissions, identity)
    assert exists.outcome == "pass"
    missing = ResourceGroup(
        id=TARGET_RG, name="prod-rg-asr", subscription_id=SUBSCRIPTION, exists=False
    )
    [result] = run(target_create_permissions, identity, resource_groups=(missing,))
    assert result.outcome == "fail"
    assert "Microsoft.Resources/subscriptions/resourceGroups/write" in result.message


def test_asr402_needs_resource_group_write_when_the_groups_existence_is_unknown():
    # fail-closed: not knowing whether ASR must create the group counts like "it must"
    identity = facts(assign("Virtual Machine Contributor", SUB), assign("Reader", SUB))
    write = "Microsoft.Resources/subscriptions/resourceGroups/write"
    err = FactError("resource_groups", SUB, "403 on resourceGroups", "grant Reader")
    for fields in ({"resource_groups": ()}, {"resource_groups": (), "errors": (err,)}):
        [result] = run(target_create_permissions, identity, **fields)
        assert result.outcome == "fail", fields
        assert write in result.message
        assert "whether it exists is unknown" in result.message
    [ok] = run(target_create_permissions, facts(assign("Contributor", SUB)), resource_groups=())
    assert ok.outcome == "pass"
    assert "whether it exists is unknown" in ok.message


def test_asr402_checks_the_cache_storage_account_when_named():
    plan = make_plan(target={"region": "westus2", "vault": VAULT, "cache_storage_account": CACHE})
    identity = facts(assign("Virtual Machine Contributor", TARGET_RG), assign("Reader", SUB))
    [result] = run(target_create_permissions, identity, plan=plan)
    assert result.outcome == "fail"
    listkeys = "Microsoft.Storage/storageAccounts/listkeys/action"
    assert f"{listkeys} not granted on cache storage account cachesa" in result.message
    assert "Storage Account Contributor would grant them" in result.message
    granted = facts(
        assign("Virtual Machine Contributor", TARGET_RG),
        assign("Reader", SUB),
        assign("Storage Account Contributor", CACHE),
    )
    [ok] = run(target_create_permissions, granted, plan=plan)
    assert ok.outcome == "pass"


def test_asr402_checks_the_cache_storage_account_of_the_vms_region():
    """``cache_storage_accounts = { region = id }``: the account for the VM's own region."""
    west = f"{SUB}/resourceGroups/prod-rg/providers/Microsoft.Storage/storageAccounts/cachewest"
    plan = make_plan(
        target={
            "region": "westus2",
            "vault": VAULT,
            "cache_storage_accounts": {"eastus": CACHE, "westus": west},
        }
    )
    identity = facts(assign("Virtual Machine Contributor", TARGET_RG), assign("Reader", SUB))
    [result] = run(target_create_permissions, identity, plan=plan)  # make_vm: eastus
    assert result.outcome == "fail", result.message
    assert "cache storage account cachesa" in result.message and "cachewest" not in result.message
    granted = facts(
        assign("Virtual Machine Contributor", TARGET_RG),
        assign("Reader", SUB),
        assign("Storage Account Contributor", CACHE),
    )
    [ok] = run(target_create_permissions, granted, plan=plan)
    assert ok.outcome == "pass", ok.message


def test_asr402_unknown_when_the_role_definition_was_not_read():
    [result] = run(target_create_permissions, facts(assign("Contributor", SUB), roles=()))
    assert result.outcome == "unknown"
    assert "was not read" in result.message


# -- ASR403 -----------------------------------------------------------------------------------


def test_asr403_pass_and_deny_assignment_fail_per_vm():
    locked = make_vm("vm-locked")
    blocker = deny(
        locked.id, ("Microsoft.Compute/virtualMachines/extensions/*",), name="managed-app-lock"
    )
    results = run(
        source_vm_permissions,
        facts(assign("Owner", SUB), denies=(blocker,)),
        vms=[make_vm("vm-free"), locked],
    )
    by_vm = {r.vm: r for r in results}
    assert by_vm["vm-free"].outcome == "pass"
    assert by_vm["vm-locked"].outcome == "fail"
    assert "managed-app-lock" in by_vm["vm-locked"].message
    assert "extensions/write" in by_vm["vm-locked"].message
    assert "would grant" not in by_vm["vm-locked"].message  # no role helps against a deny
    assert "exclude" in by_vm["vm-locked"].hint
    assert by_vm["vm-locked"].target == locked.id


def test_asr403_excluded_principal_passes():
    vm = make_vm("vm-locked")
    blocker = deny(vm.id, ("*",), excluded=(PRINCIPAL,))
    [result] = run(source_vm_permissions, facts(assign("Owner", SUB), denies=(blocker,)), vms=[vm])
    assert result.outcome == "pass"


def test_asr403_reader_cannot_install_the_extension():
    [result] = run(source_vm_permissions, facts(assign("Reader", SUB)))
    assert result.outcome == "fail"
    assert (
        "Microsoft.Compute/virtualMachines/extensions/write not granted on VM vm-web-01"
        in result.message
    )
    assert "Virtual Machine Contributor would grant them" in result.message


def test_asr403_unknown_without_identity_facts():
    err = FactError("rbac", "", "the credential may not read role assignments", "")
    [result] = run(source_vm_permissions, None, errors=(err,))
    assert result.outcome == "unknown"
    assert "may not read role assignments" in result.message


def test_missing_actions_are_written_compactly_per_resource_type():
    from asr_preflight_rules.identity._permissions import TARGET_RESOURCE_GROUP_ACTIONS, compact

    text = compact(TARGET_RESOURCE_GROUP_ACTIONS)
    assert "Microsoft.Compute/virtualMachines/read|write|delete" in text
    assert "Microsoft.Network/networkInterfaces/read|write|delete|join/action" in text
    assert (
        "Microsoft.Network/virtualNetworks/read, Microsoft.Network/virtualNetworks/subnets/join/action"
        in text
    )
    assert compact(["Microsoft.Storage/storageAccounts/listkeys/action"]) == (
        "Microsoft.Storage/storageAccounts/listkeys/action"
    )


def test_asr402_with_only_site_recovery_operator_lists_every_missing_action():
    [result] = run(target_create_permissions, facts(assign("Site Recovery Operator", SUB)))
    assert result.outcome == "fail"
    assert "Microsoft.Compute/virtualMachines/read|write|delete" in result.message
    assert "Microsoft.Compute/disks/write" in result.message
    assert "Microsoft.Network/virtualNetworks/read" not in result.message.replace(
        "Microsoft.Network/virtualNetworks/subnets", ""
    )  # Site Recovery Operator grants virtualNetworks/read
    assert "it holds Site Recovery Operator there" in result.message


# -- ASR402: the target virtual network from the vault's network mappings -----------------------

SOURCE_VNET = f"{SUB}/resourceGroups/prod-rg/providers/Microsoft.Network/virtualNetworks/vnet-prod"
HUB_VNET = (
    "/subscriptions/33333333-3333-4333-8333-333333333333/resourceGroups/net-dr"
    "/providers/Microsoft.Network/virtualNetworks/vnet-dr"
)


def _mapped(mappings, vm=None):
    from asr_preflight.snapshot import (
        IpConfiguration,
        NetworkInterface,
        NetworkMapping,
        Vault,
    )

    vm = vm or make_vm("vm-web-01")
    nic = NetworkInterface(
        id=vm.nic_ids[0],
        name="nic",
        ip_configurations=(
            IpConfiguration("ipconfig1", True, "10.0.0.4", subnet_id=f"{SOURCE_VNET}/subnets/web"),
        ),
    )
    vault = Vault(
        VAULT,
        "dr-vault",
        "westus2",
        "dr-rg",
        network_mappings=tuple(NetworkMapping(s, t) for s, t in mappings),
    )
    plan = make_plan(target={"region": "westus2", "vault": VAULT})
    return vm, {"vault": vault, "network_interfaces": (nic,)}, plan


def test_asr402_joins_the_mapped_target_network_not_the_group():
    vm, fields, plan = _mapped([(SOURCE_VNET.upper(), HUB_VNET)])
    only_group = facts(assign("Virtual Machine Contributor", TARGET_RG))
    [result] = run(target_create_permissions, only_group, vms=[vm], plan=plan, **fields)
    assert result.outcome == "fail"
    assert (
        "Microsoft.Network/virtualNetworks/read, Microsoft.Network/virtualNetworks/subnets/"
        "join/action not granted on target virtual network vnet-dr" in result.message
    )
    with_hub = facts(
        assign("Virtual Machine Contributor", TARGET_RG), assign("Network Contributor", HUB_VNET)
    )
    [ok] = run(target_create_permissions, with_hub, vms=[vm], plan=plan, **fields)
    assert ok.outcome == "pass", ok.message
    assert "Network Contributor on vnet-dr" in ok.message


def test_asr402_without_a_mapping_for_the_vms_network_evaluates_the_group():
    other = SOURCE_VNET.replace("vnet-prod", "vnet-other")
    vm, fields, plan = _mapped([(other, HUB_VNET)])
    identity = facts(assign("Virtual Machine Contributor", TARGET_RG))
    [result] = run(target_create_permissions, identity, vms=[vm], plan=plan, **fields)
    assert result.outcome == "pass", result.message


def test_asr402_unknown_when_the_mappings_could_not_be_read_and_the_rest_passes():
    err = FactError("vault", f"{VAULT}/replicationNetworkMappings", "403 on mappings", "Reader")
    plan = make_plan(target={"region": "westus2", "vault": VAULT})
    identity = facts(assign("Contributor", SUB))
    [result] = run(target_create_permissions, identity, plan=plan, errors=(err,))
    assert result.outcome == "unknown"
    assert "network mappings could not be read: 403 on mappings" in result.message
    # a failure elsewhere is still a failure
    weak = facts(assign("Reader", SUB))
    [failed] = run(target_create_permissions, weak, plan=plan, errors=(err,))
    assert failed.outcome == "fail"


def test_asr402_unknown_when_the_vms_network_is_unknown_but_mappings_exist():
    vm, fields, plan = _mapped([(SOURCE_VNET, HUB_VNET)])
    fields["network_interfaces"] = ()
    [result] = run(
        target_create_permissions, facts(assign("Contributor", SUB)), vms=[vm], plan=plan, **fields
    )
    assert result.outcome == "unknown"
