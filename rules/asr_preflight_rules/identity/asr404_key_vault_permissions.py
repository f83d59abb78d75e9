from __future__ import annotations

from collections.abc import Iterable, Sequence

from asr_preflight.api import (
    Finding,
    MissingFact,
    Outcome,
    RuleContext,
    failed,
    passed,
    skipped,
    unknown,
    vm_rule,
)
from asr_preflight.rbac import UNLISTED_HINT, Evaluator
from asr_preflight.snapshot import KeyVault, VirtualMachine

from .._facts import leaf
from ._permissions import Need, NeedsVerdict, decide, evaluator

#: Management-plane read of the source key vault (ASR lists and reads it).
VAULT_READ = "Microsoft.KeyVault/vaults/read"
#: Creating the target-region key vault (ASR creates `<source vault>-asr` in the target group).
TARGET_VAULT_ACTIONS = ("Microsoft.KeyVault/vaults/read", "Microsoft.KeyVault/vaults/write")
#: RBAC permission model: reading the disk encryption secret (Get, List).
SECRET_DATA_ACTIONS = (
    "Microsoft.KeyVault/vaults/secrets/getSecret/action",
    "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
)
#: RBAC permission model, with a key encryption key: Get, List, Decrypt, Encrypt on keys.
KEY_DATA_ACTIONS = (
    "Microsoft.KeyVault/vaults/keys/read",
    "Microsoft.KeyVault/vaults/keys/decrypt/action",
    "Microsoft.KeyVault/vaults/keys/encrypt/action",
)
#: Access-policy permission model: the same, as access-policy permissions.
SECRET_POLICY = ("get", "list")
KEY_POLICY = ("get", "list", "decrypt", "encrypt")


@vm_rule(code="ASR404", name="key-vault-permissions", severity="fail")
def key_vault_permissions(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """For a VM with Azure Disk Encryption, the operating principal may copy its keys.

    ## What it checks
    A VM whose disks are encrypted with Azure Disk Encryption (ADE) names, in each disk's
    encryption settings, the source key vault that holds the disk encryption secret (and the one
    holding the key encryption key, KEK, when one wraps it). For each such vault the principal
    (the token's `oid`, or `--principal-id`) must be able to:

    - read the vault (`Microsoft.KeyVault/vaults/read`, Azure RBAC);
    - read the secrets: with the **access-policy** permission model, an access policy for the
      principal or one of its groups grants secret Get and List; with the **Azure RBAC**
      permission model (`enableRbacAuthorization`), the data actions
      `Microsoft.KeyVault/vaults/secrets/getSecret/action` and `…/secrets/readMetadata/action`;
    - when a KEK is used: key Get, List, Decrypt and Encrypt (access policy), or
      `…/keys/read`, `…/keys/decrypt/action`, `…/keys/encrypt/action` (RBAC data actions).

    On the target resource group it must be able to create the target-region key vault
    (`Microsoft.KeyVault/vaults/read` and `…/vaults/write`). Data actions are granted only by a
    role's `dataActions`: Owner or Contributor alone do not read secrets of an RBAC-model vault.
    A vault whose answer lacks `enableRbacAuthorization` uses access policies (ARM's default is
    false; older vaults omit the property). VMs without ADE are skipped; `unknown` when the
    vault could not be read (the `key_vaults` listing failed, or it lacks the vault), when the
    VM's ADE use is unknown, or when only a group of unknown membership could hold the access
    policy.

    ## Why it matters
    Enabling replication of an ADE VM copies its disk encryption keys and secrets from the source
    key vault to a key vault in the target region, in the user's context. Without these
    permissions enable replication fails with a key vault permission error (error 151066 family),
    or the target VM cannot decrypt its disks after failover.

    ## How to fix
    Access-policy vaults: add an access policy for the principal with secret Get and List (and
    key Get, List, Decrypt, Encrypt when a KEK is used). RBAC vaults: assign **Key Vault Secrets
    User** (and **Key Vault Crypto User** with a KEK) on the vault. On the target resource group,
    Key Vault Contributor or Contributor. Alternatively a security administrator copies the keys
    with ASR's Copy-keys script and the replication uses the pre-created target vault. A
    PIM-eligible role must be activated first: ARM lists neither eligible roles nor Azure
    Lighthouse delegations.

    ## References
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-how-to-enable-replication-ade-vms
    - https://learn.microsoft.com/azure/key-vault/general/rbac-guide
    - https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/security
    - https://github.com/MicrosoftDocs/azure-docs/issues/90807
    - https://github.com/MicrosoftDocs/azure-docs/issues/78351
    """
    uses = vm.ade_use
    if uses is False:
        return skipped(vm, f"{vm.name} does not use Azure Disk Encryption")
    if uses is None:
        raise ctx.missing(
            "vms", vm.id, f"whether {vm.name} uses Azure Disk Encryption (its extensions)"
        )
    disks = [d for d in (vm.os_disk, *vm.data_disks) if d is not None]
    secret_vaults = _unique(d.ade_key_vault_id for d in disks)
    kek_vaults = _unique(d.ade_kek_vault_id for d in disks)
    if not secret_vaults:
        raise MissingFact(
            f"{vm.name} uses Azure Disk Encryption, but no disk's encryption settings name its "
            "key vault",
            "check the VM's disks (encryptionSettingsCollection) and the ADE extension settings "
            "by hand; re-run `asr-preflight collect` with Reader on the disks",
        )
    ev = evaluator(ctx, secret_vaults[0])
    target_rg = (
        f"/subscriptions/{ctx.target_subscription(vm)}/resourceGroups/"
        f"{ctx.plan.target.resource_group or f'{vm.resource_group}-asr'}"
    )
    verdicts: list[NeedsVerdict] = []
    for vault_id in secret_vaults:
        verdicts.append(_vault(ctx, ev, vault_id, key=vault_id in kek_vaults))
    for vault_id in kek_vaults:
        if vault_id not in secret_vaults:
            verdicts.append(_vault(ctx, ev, vault_id, secret=False, key=True))
    unnamed = [d.name for d in disks if d.ade_encrypted and not d.ade_key_vault_id]
    if unnamed:  # its vault may be another one: not a pass
        verdicts.append(
            NeedsVerdict(
                Outcome.UNKNOWN,
                f"the encryption settings of {', '.join(unnamed)} name no key vault",
                "check those disks' encryptionSettingsCollection by hand",
            )
        )
    target = Need(f"resource group {leaf(target_rg)}", target_rg, TARGET_VAULT_ACTIONS)
    verdicts.append(decide(ev, [target], ()))
    what = f"copy {vm.name}'s disk encryption keys to the target region"
    who = f"principal {ev.principal}"
    failing = [v for v in verdicts if v.outcome is Outcome.FAIL]
    if failing:
        detail = "; ".join(v.detail for v in failing)
        return failed(
            vm,
            f"{vm.name}: {who} may not {what}: {detail}",
            target=secret_vaults[0],
            hint=_hints(failing),
        )
    undecided = [v for v in verdicts if v.outcome is Outcome.UNKNOWN]
    if undecided:
        detail = "; ".join(v.detail for v in undecided)
        return unknown(
            vm,
            f"{vm.name}: whether {who} may {what} is unknown: {detail}",
            target=secret_vaults[0],
            hint=_hints(undecided),
        )
    detail = "; ".join(v.detail for v in verdicts)
    return passed(vm, f"{vm.name}: {who} may {what} ({detail})", target=secret_vaults[0])


def _unique(ids: Iterable[str | None]) -> list[str]:
    seen: dict[str, str] = {}
    for item in ids:
        if item:
            seen.setdefault(item.lower(), item)
    return list(seen.values())


def _hints(verdicts: Sequence[NeedsVerdict]) -> str:
    parts: list[str] = []
    for verdict in verdicts:
        for part in verdict.hint.split("; "):
            if part and part not in parts:
                parts.append(part)
    return "; ".join(parts)


def _find(ctx: RuleContext, vault_id: str) -> KeyVault:
    index = ctx.cached(
        "asr404.key-vaults", lambda: {kv.id.lower(): kv for kv in ctx.snapshot.key_vaults}
    )
    found: KeyVault | None = index.get(vault_id.lower())
    if found is None:
        err = ctx.error_for("key_vaults", vault_id)
        if err is not None:
            raise MissingFact(
                f"key vault {leaf(vault_id)} could not be read: {err.cause}",
                err.hint or "grant Reader on the key vault's subscription and re-run collect",
            )
        raise MissingFact(
            f"key vault {leaf(vault_id)} (named by the VM's disk encryption settings) was not "
            "found in its subscription's key vault list",
            "check that the vault exists and that the collecting identity may read it "
            "(Reader on its subscription); re-run `asr-preflight collect`",
        )
    return found


def _vault(
    ctx: RuleContext, ev: Evaluator, vault_id: str, *, secret: bool = True, key: bool = False
) -> NeedsVerdict:
    """The verdict for one source key vault: management read, then the data access by the
    vault's permission model (access policies when ARM's answer omits enableRbacAuthorization:
    "If null or not specified, the vault is created with the default value of false",
    keyvault.json 2023-02-01)."""
    try:
        vault = _find(ctx, vault_id)
    except MissingFact as exc:
        return NeedsVerdict(Outcome.UNKNOWN, exc.message, exc.hint)
    label = f"key vault {vault.name}"
    data_actions = (*(SECRET_DATA_ACTIONS if secret else ()), *(KEY_DATA_ACTIONS if key else ()))
    needs = [Need(label, vault.id, (VAULT_READ,))]
    if vault.rbac_authorization is True:
        needs.append(Need(f"{label} (Azure RBAC permission model)", vault.id, data_actions, True))
    verdicts = [decide(ev, needs, ())]
    if vault.rbac_authorization is not True:
        verdicts.append(_policies(ev, vault, secret=secret, key=key))
    for outcome in (Outcome.FAIL, Outcome.UNKNOWN):
        worst = [v for v in verdicts if v.outcome is outcome]
        if worst:
            return NeedsVerdict(outcome, "; ".join(v.detail for v in worst), _hints(worst))
    return NeedsVerdict(Outcome.PASS, f"{label}: " + "; ".join(v.detail for v in verdicts))


def _policies(ev: Evaluator, vault: KeyVault, *, secret: bool, key: bool) -> NeedsVerdict:
    """The access-policy model: an entry for the principal or one of its groups grants every
    needed permission (entries with an applicationId apply only to that app: not counted)."""
    wanted = [("secret", p) for p in (SECRET_POLICY if secret else ())]
    wanted += [("key", p) for p in (KEY_POLICY if key else ())]
    mine: list[str] = []
    maybe: list[str] = []  # entries naming an object that may be a group of unknown membership
    granted: set[tuple[str, str]] = set()
    maybe_granted: set[tuple[str, str]] = set()  # what those entries grant, together
    for policy in vault.access_policies:
        if policy.application_id:
            continue
        oid = policy.object_id.lower()
        perms = {("secret", p) for p in policy.secrets} | {("key", p) for p in policy.keys}
        if ("secret", "all") in perms:
            perms |= {("secret", p) for p in SECRET_POLICY}
        if ("key", "all") in perms:
            perms |= {("key", p) for p in KEY_POLICY}
        if oid == ev.principal or oid in ev.groups:
            mine.append(policy.object_id)
            granted |= perms
        elif not ev.groups_known and any(w in perms for w in wanted):
            maybe.append(policy.object_id)
            maybe_granted |= perms
    missing = [f"{kind} {perm}" for kind, perm in wanted if (kind, perm) not in granted]
    label = f"key vault {vault.name} (access policies)"
    if not missing:
        return NeedsVerdict(Outcome.PASS, f"{label} grant it to {', '.join(mine)}")
    if all(w in granted | maybe_granted for w in wanted):
        return NeedsVerdict(
            Outcome.UNKNOWN,
            f"{label}: no access policy for the principal grants {', '.join(missing)}; the "
            f"policies of {', '.join(maybe)} would, if they name groups the principal belongs "
            "to (group membership was not gathered)",
            "check the principal's group memberships, or add an access policy for it",
        )
    held = "its access policy grants only part of it" if mine else "no access policy names it"
    return NeedsVerdict(
        Outcome.FAIL,
        f"{', '.join(missing)} not granted on {label} ({held})",
        f"add an access policy on key vault {vault.name} for {ev.principal} with "
        f"{', '.join(missing)} (or switch the vault to Azure RBAC and assign Key Vault Secrets "
        f"User{' and Key Vault Crypto User' if key else ''}); {UNLISTED_HINT}",
    )
