"""ASR404 key-vault-permissions through the real engine: skip, pass, fail and unknown, for both
key vault permission models (access policies and Azure RBAC data actions)."""

from __future__ import annotations

from dataclasses import replace

from asr_preflight.snapshot import (
    Disk,
    FactError,
    KeyVault,
    KeyVaultAccessPolicy,
    ResourceGroup,
)
from asr_preflight.testing import SUBSCRIPTION, evaluate_rule, make_snapshot, make_vm
from asr_preflight_rules.identity.asr404_key_vault_permissions import key_vault_permissions

from .rbac_facts import GROUP, PRINCIPAL, assign, facts

SUB = f"/subscriptions/{SUBSCRIPTION}"
TARGET_RG = f"{SUB}/resourceGroups/prod-rg-asr"
KV = f"{SUB}/resourceGroups/prod-rg/providers/Microsoft.KeyVault/vaults/kv-prod"
KEK_KV = f"{SUB}/resourceGroups/prod-rg/providers/Microsoft.KeyVault/vaults/kv-kek"
EXISTING = (ResourceGroup(id=TARGET_RG, name="prod-rg-asr", subscription_id=SUBSCRIPTION),)


def ade_vm(name="vm-ade-01", kek=None):
    disk = Disk(
        name=f"{name}-osdisk",
        id=f"{SUB}/resourceGroups/prod-rg/providers/Microsoft.Compute/disks/{name}-osdisk",
        size_gb=64,
        ade_encrypted=True,
        ade_key_vault_id=KV,
        ade_kek_vault_id=kek,
    )
    return make_vm(name, os_disk=disk)


def policy(object_id=PRINCIPAL, secrets=("get", "list"), keys=(), app=None):
    return KeyVaultAccessPolicy(
        object_id=object_id, secrets=tuple(secrets), keys=tuple(keys), application_id=app
    )


def vault(vault_id=KV, rbac=False, policies=()):
    return KeyVault(vault_id, vault_id.rsplit("/", 1)[1], "eastus", rbac, tuple(policies))


def run(identity, vms, key_vaults=(), **fields):
    fields.setdefault("resource_groups", EXISTING)
    snap = make_snapshot(vms, identity=identity, key_vaults=tuple(key_vaults), **fields)
    return evaluate_rule(key_vault_permissions, snap)


CONTRIBUTOR = facts(assign("Contributor", SUB))


def test_skips_a_vm_without_ade():
    [result] = run(CONTRIBUTOR, [make_vm("vm-plain")])
    assert result.outcome == "skip"
    assert "does not use Azure Disk Encryption" in result.message


def test_unknown_when_ade_use_was_not_gathered():
    [result] = run(CONTRIBUTOR, [make_vm("vm-x", extensions=None)])
    assert result.outcome == "unknown"


def test_access_policy_vault_passes_with_a_policy_for_the_principal():
    [result] = run(CONTRIBUTOR, [ade_vm()], [vault(policies=[policy()])])
    assert result.outcome == "pass", result.message
    assert "kv-prod (access policies) grant it" in result.message


def test_access_policy_vault_passes_through_a_group_policy():
    identity = facts(assign("Contributor", SUB), group_ids=(GROUP,))
    [result] = run(identity, [ade_vm()], [vault(policies=[policy(GROUP)])])
    assert result.outcome == "pass", result.message


def test_access_policy_vault_fails_without_a_policy_even_for_an_owner():
    identity = facts(assign("Owner", SUB), group_ids=())
    other = "1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9"
    [result] = run(identity, [ade_vm()], [vault(policies=[policy(other)])])
    assert result.outcome == "fail"
    assert "secret get, secret list not granted on key vault kv-prod (access policies)" in (
        result.message
    )
    assert "add an access policy" in result.hint and "PIM" in result.hint


def test_access_policy_with_an_application_id_does_not_count():
    identity = facts(assign("Contributor", SUB), group_ids=())
    app = "0a1b2c3d-0000-4000-8000-000000000001"
    [result] = run(identity, [ade_vm()], [vault(policies=[policy(app=app)])])
    assert result.outcome == "fail"


def test_access_policy_of_a_possible_group_is_unknown_when_membership_was_not_gathered():
    maybe_group = "1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9"
    identity = facts(assign("Contributor", SUB), group_ids=None)
    [result] = run(identity, [ade_vm()], [vault(policies=[policy(maybe_group)])])
    assert result.outcome == "unknown"
    assert maybe_group in result.message


def test_access_policies_that_together_may_grant_it_are_unknown_not_fail():
    """The principal's own policy grants Get, another object's (maybe a group of the principal)
    grants List: with membership not gathered that is unknown, not a failure."""
    maybe_group = "1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9"
    identity = facts(assign("Contributor", SUB), group_ids=None)
    policies = [policy(secrets=("get",)), policy(maybe_group, secrets=("list",))]
    [result] = run(identity, [ade_vm()], [vault(policies=policies)])
    assert result.outcome == "unknown", result.message
    assert maybe_group in result.message
    known = facts(assign("Contributor", SUB), group_ids=())
    [fail] = run(known, [ade_vm()], [vault(policies=policies)])
    assert fail.outcome == "fail"


def test_kek_needs_key_permissions_in_the_access_policy():
    vm = ade_vm(kek=KV)
    [partial] = run(CONTRIBUTOR, [vm], [vault(policies=[policy(keys=("get", "list"))])])
    assert partial.outcome == "fail"
    assert "key decrypt, key encrypt not granted" in partial.message
    full = policy(keys=("get", "list", "decrypt", "encrypt"))
    [ok] = run(CONTRIBUTOR, [vm], [vault(policies=[full])])
    assert ok.outcome == "pass", ok.message
    [everything] = run(
        CONTRIBUTOR, [vm], [vault(policies=[policy(secrets=("all",), keys=("all",))])]
    )
    assert everything.outcome == "pass"


def test_rbac_vault_needs_data_actions_which_contributor_lacks():
    [result] = run(CONTRIBUTOR, [ade_vm()], [vault(rbac=True, policies=[policy()])])
    assert result.outcome == "fail"  # the access policy is ignored in the RBAC model
    assert "secrets/getSecret/action" in result.message
    assert "Key Vault Secrets User would grant them" in result.message


def test_rbac_vault_passes_with_key_vault_secrets_user():
    identity = facts(assign("Contributor", SUB), assign("Key Vault Secrets User", KV))
    [result] = run(identity, [ade_vm()], [vault(rbac=True)])
    assert result.outcome == "pass", result.message


def test_rbac_vault_with_a_separate_kek_vault_needs_crypto_rights_there():
    vm = ade_vm(kek=KEK_KV)
    identity = facts(assign("Contributor", SUB), assign("Key Vault Secrets User", KV))
    vaults = [vault(rbac=True), vault(KEK_KV, rbac=True)]
    [result] = run(identity, [vm], vaults)
    assert result.outcome == "fail"
    assert "keys/read" in result.message and "kv-kek" in result.message
    identity = facts(
        assign("Contributor", SUB),
        assign("Key Vault Secrets User", KV),
        assign("Key Vault Crypto User", KEK_KV),
    )
    [ok] = run(identity, [vm], vaults)
    assert ok.outcome == "pass", ok.message


def test_unstated_permission_model_is_access_policies():
    """``enableRbacAuthorization`` absent (older vaults; the official Vaults_ListBySubscription
    example, 2023-02-01) means false: "If null or not specified, the vault is created with the
    default value of false" (keyvault.json). An access policy alone is enough there."""
    only_policy = facts(assign("Contributor", SUB))
    [result] = run(only_policy, [ade_vm()], [vault(rbac=None, policies=[policy()])])
    assert result.outcome == "pass", result.message
    rbac_only = facts(assign("Contributor", SUB), assign("Key Vault Secrets User", KV))
    [fail] = run(rbac_only, [ade_vm()], [vault(rbac=None, policies=[])])
    assert fail.outcome == "fail"
    assert "access policies" in fail.message


def test_target_key_vault_creation_is_checked_on_the_target_group():
    identity = facts(
        assign("Virtual Machine Contributor", TARGET_RG),
        assign("Reader", SUB),
    )
    [result] = run(identity, [ade_vm()], [vault(policies=[policy()])])
    assert result.outcome == "fail"
    assert "Microsoft.KeyVault/vaults/write not granted on resource group prod-rg-asr" in (
        result.message
    )


def test_unknown_when_the_vault_could_not_be_read():
    err = FactError("key_vaults", SUB, "403 AuthorizationFailed", "grant Reader")
    [result] = run(CONTRIBUTOR, [ade_vm()], [], errors=(err,))
    assert result.outcome == "unknown"
    assert "key vault kv-prod could not be read: 403 AuthorizationFailed" in result.message
    [absent] = run(CONTRIBUTOR, [ade_vm()], [])
    assert absent.outcome == "unknown"
    assert "was not found" in absent.message


def test_unknown_when_ade_is_known_only_from_the_extension():
    from asr_preflight.snapshot import Extension

    ext = Extension("AzureDiskEncryption", "Microsoft.Azure.Security", "AzureDiskEncryption")
    vm = make_vm("vm-ext", extensions=(ext,))
    [result] = run(CONTRIBUTOR, [vm], [])
    assert result.outcome == "unknown"
    assert "no disk's encryption settings name its key vault" in result.message


def test_one_result_per_vm_with_mixed_estates():
    plain, ade = make_vm("vm-plain"), ade_vm()
    results = run(CONTRIBUTOR, [plain, ade], [vault(policies=[policy()])])
    assert [(r.vm, r.outcome) for r in results] == [("vm-plain", "skip"), ("vm-ade-01", "pass")]
    assert replace(ade, name="x").name == "x"


def test_demo_shows_asr404_failing_and_passing_while_ready_vms_stay_ready():
    from asr_preflight.demo import load_demo
    from asr_preflight.engine import evaluate, load_rules

    plan, snapshot = load_demo()
    evaluation = evaluate(snapshot, plan, load_rules())
    got = {r.vm: r.outcome for r in evaluation.results if r.rule == "ASR404"}
    assert got["vm-win-sql-01"] == "fail"
    assert got["vm-sap-db-01"] == "pass"
    assert {got[n] for n in ("vm-web-02", "vm-app-02", "vm-win-iis-01")} == {"skip"}
    verdicts = {v.name: v.verdict for v in evaluation.vms}
    assert {verdicts[n] for n in ("vm-web-02", "vm-app-02", "vm-win-iis-01")} == {"ready"}


def test_an_ade_disk_naming_no_key_vault_is_unknown_even_when_another_disk_passes():
    """The OS disk's vault is granted, but an encrypted data disk's settings name no vault (it
    may be another one): that is not a pass."""
    vm = ade_vm()
    blind = Disk(name="data-0", lun=0, size_gb=128, ade_encrypted=True)
    vm = replace(vm, data_disks=(blind,))
    [result] = run(CONTRIBUTOR, [vm], [vault(policies=[policy()])])
    assert result.outcome == "unknown", result.message
    assert "data-0" in result.message
