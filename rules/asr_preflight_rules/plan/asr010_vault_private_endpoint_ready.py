from __future__ import annotations

from dataclasses import replace

from asr_preflight.api import (
    OUTCOME_RANK,
    Finding,
    Outcome,
    RuleContext,
    passed,
    skipped,
    vm_rule,
)
from asr_preflight.rbac import Access, Decision, Evaluator
from asr_preflight.snapshot import Vault, VirtualMachine

from ..network._common import missing, placement

#: What the vault's identity must be allowed on the cache storage account: Contributor's
#: control-plane actions Site Recovery uses there, and Storage Blob Data Contributor's data
#: actions (either role, or a custom role with these actions, satisfies it).
CONTRIBUTOR_ACTIONS = (
    "Microsoft.Storage/storageAccounts/read",
    "Microsoft.Storage/storageAccounts/listKeys/action",
    "Microsoft.Storage/storageAccounts/blobServices/containers/write",
)
BLOB_DATA_ACTIONS = (
    "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
    "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write",
    "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete",
)
IN_USE = ("enabled", "partiallyenabled")


@vm_rule(code="ASR010", name="vault-private-endpoint-ready", severity="fail")
def vault_private_endpoint_ready(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """A vault that uses private endpoints is ready for this VM's replication.

    ## What it checks
    When the vault uses private endpoints for Site Recovery (a private endpoint connection with
    group `AzureSiteRecovery`, `privateEndpointStateForSiteRecovery` Enabled, or public network
    access Disabled):
    - every Site Recovery private endpoint connection is `Approved` (and there is one);
    - a private DNS zone `privatelink.siterecovery.windowsazure.com` is linked (link state
      Completed) to the VM's VNet, and to the target VNet when the vault's network mapping for
      the VM's VNet names one; zones are looked for in the subscriptions the plan lists, the
      vault's, the target's, the cache accounts' and those of
      `[azure] private_dns_subscriptions`. A zone found but not linked fails; no Site Recovery
      zone found in any of them is `unknown`, not a fail: in a hub-and-spoke (Cloud Adoption
      Framework) landing zone the zones live in a central connectivity subscription, which the
      plan must name in `private_dns_subscriptions` for the link to be checked;
    - the vault's system-assigned managed identity holds Contributor and Storage Blob Data
      Contributor (or their actions: `storageAccounts/read`, `listKeys/action`,
      `containers/write`; blob data `read`, `write`, `delete`) on the cache storage account for
      the VM's region, as the RBAC evaluator answers for the identity's role assignments.
    Skipped when the vault uses no private endpoint for Site Recovery.

    ## Why it matters
    With private endpoints, the mobility service resolves the vault's Site Recovery endpoints
    through the private DNS zone, and the vault writes to the cache account with its managed
    identity. A pending connection, a VNet without the zone, or an identity without those roles
    makes enable replication fail.

    ## How to fix
    Approve the private endpoint connection on the vault; link the private DNS zone
    `privatelink.siterecovery.windowsazure.com` to the VM's VNet and the target VNet; enable
    the vault's system-assigned identity and grant it Contributor and Storage Blob Data
    Contributor on the cache storage account. When the zones live in a connectivity
    subscription, add it to the plan: `[azure] private_dns_subscriptions = ["<subscription id>"]`
    (Reader there suffices).

    ## References
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-how-to-enable-replication-private-endpoints
    - https://learn.microsoft.com/azure/private-link/private-endpoint-dns
    """
    vault_id = ctx.plan.target.vault
    if not vault_id:
        return skipped(vm, f"{vm.name}: the plan names no vault")
    vault = ctx.snapshot.vault
    if vault is None:
        raise ctx.missing("vault", vault_id, "the vault")
    if vault.private_endpoint_connections is None or vault.public_network_access is None:
        raise ctx.missing("vault", vault.id, f"vault {vault.name}'s private endpoint settings")
    connections = vault.private_endpoint_connections
    state = (vault.private_endpoint_state_for_site_recovery or "").lower()
    disabled = vault.public_network_access.lower() == "disabled"
    if not connections and state not in IN_USE and not disabled:
        return skipped(
            vm, f"{vm.name}: vault {vault.name} uses no private endpoint for Site Recovery"
        )
    problems: list[tuple[Outcome, str]] = []
    if not connections:
        problems.append(
            (
                Outcome.FAIL,
                "public network access is Disabled and there is no Site Recovery private endpoint",
            )
        )
    for conn in connections:
        if (conn.status or "").lower() != "approved":
            name = (conn.private_endpoint_id or conn.id).rsplit("/", 1)[-1]
            problems.append(
                (
                    Outcome.FAIL,
                    f"private endpoint {name} is {conn.status or 'in an unknown state'},"
                    " not Approved",
                )
            )
    problems.extend(_dns(ctx, vm))
    problems.extend(_target_dns(ctx, vm, vault))
    problems.extend(_identity(ctx, vm, vault))
    if not problems:
        account = ctx.plan.target.cache_account_for(vm.location)
        roles = (
            f"its identity holds the roles on cache storage account {account.rsplit('/', 1)[-1]}"
            if account is not None
            else "the plan names no cache storage account for the VM's region (Site Recovery"
            " creates one and grants the vault's identity)"
        )
        return passed(
            vm,
            f"{vm.name}: vault {vault.name}'s Site Recovery private endpoints are approved, the"
            f" private DNS zone is linked to VNet {placement(ctx, vm).vnet.name}, and {roles}",
        )
    worst = max((o for o, _ in problems), key=OUTCOME_RANK.__getitem__)
    hint = (
        "approve the vault's private endpoint connection, link privatelink.siterecovery."
        "windowsazure.com to the VM's VNet, and grant the vault's identity Contributor and"
        " Storage Blob Data Contributor on the cache storage account"
    )
    if ctx.snapshot.private_dns_zones == ():
        hint += (
            f"; no Site Recovery private DNS zone was found in {searched(ctx)}: if the zones live"
            " in another (hub/connectivity) subscription, name it in [azure]"
            " private_dns_subscriptions"
        )
    text = "; ".join(p for _, p in problems)
    return Finding(vm, worst, f"{vm.name}: vault {vault.name}: {text}", hint=hint)


def searched(ctx: RuleContext) -> str:
    """The subscriptions the collector lists private DNS zones in, as the plan names them."""
    plan = ctx.plan
    subs = [
        *plan.azure.subscriptions,
        plan.target.subscription or "",
        *(_subscription(i) for i in (plan.target.vault or "", *plan.target.cache_account_ids())),
        *plan.azure.private_dns_subscriptions,
    ]
    names = list(dict.fromkeys(s.lower() for s in subs if s))
    text = "subscription" + ("s " if len(names) != 1 else " ") + ", ".join(names)
    if plan.azure.management_groups:
        text += " and those under management groups " + ", ".join(plan.azure.management_groups)
    return text if names or plan.azure.management_groups else "the plan's subscriptions"


def _subscription(resource_id: str) -> str:
    parts = resource_id.split("/")
    return parts[2] if len(parts) > 2 and parts[1].lower() == "subscriptions" else ""


def _dns(ctx: RuleContext, vm: VirtualMachine) -> list[tuple[Outcome, str]]:
    zones = ctx.snapshot.private_dns_zones
    if zones is None:
        raise missing(ctx, "private_link", vm, "the private DNS zones")
    vnet = placement(ctx, vm).vnet
    key = vnet.id.lower()
    if any(key in {v.lower() for v in z.linked_vnet_ids} for z in zones):
        return []
    if any(key in {v.lower() for v in z.pending_vnet_ids} for z in zones):
        return [(Outcome.FAIL, f"the private DNS zone's link to VNet {vnet.name} is not Completed")]
    failed_reads = [e for e in ctx.snapshot.errors if e.kind == "private_link"]
    if failed_reads:  # the zone may sit where the collector could not look
        return [
            (
                Outcome.UNKNOWN,
                f"no linked Site Recovery private DNS zone was found for VNet {vnet.name}, but"
                f" private DNS zones could not all be read ({failed_reads[0].cause})",
            )
        ]
    if not zones:  # it may sit in a subscription the plan does not name (a hub): not a fail
        return [
            (
                Outcome.UNKNOWN,
                "no private DNS zone privatelink.siterecovery.* was found in any subscription"
                f" searched ({searched(ctx)}), so its link to VNet {vnet.name} is unknown",
            )
        ]
    names = ", ".join(sorted({z.name for z in zones}))
    return [
        (
            Outcome.FAIL,
            f"the private DNS zone {names} is not linked to VNet {vnet.name}",
        )
    ]


def _target_dns(ctx: RuleContext, vm: VirtualMachine, vault: Vault) -> list[tuple[Outcome, str]]:
    """The zone linked to the target VNet too, when the vault's network mapping for the VM's
    VNet names one (the failed-over VM resolves the vault there); not judged when unknown."""
    zones = ctx.snapshot.private_dns_zones or ()
    source = placement(ctx, vm).vnet.id.lower()
    targets = [
        m.target_vnet_id
        for m in vault.network_mappings or ()
        if m.source_vnet_id.lower().rstrip("/") == source
    ]
    out: list[tuple[Outcome, str]] = []
    for target in targets:
        key = target.lower().rstrip("/")
        if any(key in {v.lower() for v in z.linked_vnet_ids} for z in zones):
            continue
        name = target.rstrip("/").rsplit("/", 1)[-1]
        if not zones:
            continue  # no zone found at all: _dns says unknown, and where it looked
        if any(e.kind == "private_link" for e in ctx.snapshot.errors):
            out.append(
                (
                    Outcome.UNKNOWN,
                    f"no Site Recovery private DNS zone linked to target VNet {name} was found,"
                    " but private DNS zones could not all be read",
                )
            )
        else:
            out.append(
                (
                    Outcome.FAIL,
                    f"the private DNS zone is not linked (link state Completed) to target VNet"
                    f" {name}, which the vault's network mapping names for the VM's VNet",
                )
            )
    return out


def _identity(ctx: RuleContext, vm: VirtualMachine, vault: Vault) -> list[tuple[Outcome, str]]:
    account = ctx.plan.target.cache_account_for(vm.location)
    if account is None:
        return []  # Site Recovery creates the account and grants its identity itself
    if not vault.identity_principal_id:
        return [
            (
                Outcome.FAIL,
                "no system-assigned managed identity (needed with private endpoints)",
            )
        ]
    facts = ctx.snapshot.vault_identity
    if facts is None:
        raise ctx.missing(
            "vault_rbac", vault.id, f"vault {vault.name}'s identity's role assignments"
        )
    rbac = ctx.cached(  # once per run: the errors list grows with the estate
        "asr010.rbac",
        lambda: Evaluator(
            facts, [replace(e, kind="rbac") for e in ctx.snapshot.errors if e.kind == "vault_rbac"]
        ),
    )
    answers: list[tuple[str, Access]] = [
        *(("Contributor", rbac.check(a, account)) for a in CONTRIBUTOR_ACTIONS),
        *(
            ("Storage Blob Data Contributor", rbac.check(a, account, data=True))
            for a in BLOB_DATA_ACTIONS
        ),
    ]
    name = account.rsplit("/", 1)[-1]
    denied = sorted({role for role, a in answers if a.decision is Decision.DENIED})
    if denied:
        return [
            (
                Outcome.FAIL,
                f"its identity lacks {' and '.join(denied)} on cache storage account {name}",
            )
        ]
    undecided = [a for _, a in answers if a.decision is Decision.UNKNOWN]
    if undecided:
        return [
            (
                Outcome.UNKNOWN,
                f"its identity's access to cache storage account {name} is unknown:"
                f" {undecided[0].reason}",
            )
        ]
    return []
