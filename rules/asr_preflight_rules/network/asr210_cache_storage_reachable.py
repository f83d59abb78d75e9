from __future__ import annotations

from asr_preflight.api import (
    OUTCOME_RANK,
    Finding,
    Outcome,
    RuleContext,
    failed,
    passed,
    vm_rule,
)
from asr_preflight.snapshot import StorageAccount, VirtualMachine
from asr_preflight_rules._facts import same_region

from ._common import cache_account, placement, private_endpoint_serves

STORAGE_ENDPOINTS = ("microsoft.storage", "microsoft.storage.global")


@vm_rule(code="ASR210", name="cache-storage-reachable", severity="fail")
def cache_storage_reachable(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """The cache storage account for the VM's region is usable by Site Recovery and admits the VM.

    ## What it checks
    The account the plan names for the VM's region (`[target] cache_storage_accounts`, or the one
    `cache_storage_account`):
    - it is in the VM's own region; blob soft delete is off; shared key access is not disabled;
    - it admits the VM itself, whose mobility agent writes to it: public network access is not
      `Disabled` unless an approved blob private endpoint sits in the VM's VNet (or a VNet peered
      with it); with the firewall's `defaultAction: Deny`, `bypass` includes `AzureServices`
      **and** the VM's own subnet is in `virtualNetworkRules` with the `Microsoft.Storage`
      service endpoint (a subnet of the same VNet is not enough), or such a blob private
      endpoint serves it. `SecuredByPerimeter` (a network security perimeter decides) is
      unknown unless a private endpoint serves the VM.

    When the plan names no cache account at all, Site Recovery creates one in the VM's region
    with suitable settings: pass, with a note. When it names accounts for other regions only,
    the VM's region has none: fail.

    ## Why it matters
    The mobility service writes changes to the cache account with a shared-key SAS; soft delete
    is not supported on it; an account in another region, or behind a firewall that admits
    neither Site Recovery nor the VM's subnet, makes enable replication fail or replication stall.

    ## How to fix
    Use a general-purpose v2 account in the VM's region (one per source region:
    `[target] cache_storage_accounts = { eastus = "<id>" }`), turn blob soft delete off, allow
    shared key access, and in its networking settings allow trusted Microsoft services and add
    the VM's subnet (with the `Microsoft.Storage` service endpoint), or add a blob private
    endpoint in the VM's VNet, or allow all networks as Microsoft recommends.

    ## References
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-support-matrix
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-about-networking
    - https://learn.microsoft.com/azure/storage/common/storage-network-security
    """
    target = ctx.plan.target
    named = target.cache_account_for(vm.location)
    if named is None:
        if target.cache_storage_accounts:
            regions = ", ".join(sorted(target.cache_storage_accounts))
            return failed(
                vm,
                f"{vm.name}: the plan names cache storage accounts for {regions} but none for"
                f" {vm.location}, the VM's region",
                hint=f'add {vm.location} = "<storage account id>" to [target]'
                " cache_storage_accounts (an account in that region)",
            )
        return passed(
            vm,
            f"{vm.name}: the plan names no cache storage account; Site Recovery creates one in"
            f" {vm.location} with suitable settings",
        )
    account = cache_account(ctx, named)
    problems = _settings(account, vm) + _admits(ctx, account, vm)
    if not problems:
        return passed(
            vm,
            f"{vm.name}: cache storage account {account.name} is in {vm.location}, blob soft"
            f" delete off, shared key access allowed, and admits the VM ({_how(ctx, account, vm)})",
        )
    worst = max((o for o, _ in problems), key=OUTCOME_RANK.__getitem__)
    text = "; ".join(p for _, p in problems)
    hint = (
        "use an account in the VM's region with blob soft delete off and shared key access"
        " allowed, whose firewall admits trusted Microsoft services and the VM's subnet (or a"
        " blob private endpoint in the VM's VNet)"
    )
    return Finding(vm, worst, f"{vm.name}: cache storage account {account.name} {text}", hint=hint)


def _settings(account: StorageAccount, vm: VirtualMachine) -> list[tuple[Outcome, str]]:
    problems: list[tuple[Outcome, str]] = []
    if not same_region(account.location, vm.location):
        problems.append((Outcome.FAIL, f"is in {account.location}, not in {vm.location}"))
    if account.blob_soft_delete_enabled is None:
        problems.append((Outcome.UNKNOWN, "blob soft delete setting was not gathered"))
    elif account.blob_soft_delete_enabled:
        problems.append((Outcome.FAIL, "has blob soft delete on"))
    if account.allow_shared_key_access is None:
        problems.append((Outcome.UNKNOWN, "shared key access setting was not gathered"))
    elif not account.allow_shared_key_access:
        problems.append((Outcome.FAIL, "disallows shared key access"))
    return problems


def _admits(
    ctx: RuleContext, account: StorageAccount, vm: VirtualMachine
) -> list[tuple[Outcome, str]]:
    """Why the account may not admit the VM (empty: it does)."""
    access = account.public_network_access
    if access is None:
        return [(Outcome.UNKNOWN, "public network access setting was not gathered")]
    if access.lower() == "enabled" and account.network_default_action == "Allow":
        return []  # all networks: no need to know where the VM sits
    served = private_endpoint_serves(ctx, account.private_endpoint_connections, vm, "blob")
    if served:
        return []
    vnet_name = placement(ctx, vm).vnet.name
    pe_unknown = " (its private endpoints were not gathered)" if served is None else ""
    if access.lower() == "disabled":
        outcome = Outcome.UNKNOWN if served is None else Outcome.FAIL
        return [
            (
                outcome,
                "has public network access Disabled and no approved blob private endpoint"
                f" serves VNet {vnet_name}{pe_unknown}",
            )
        ]
    if access.lower() != "enabled":
        return [
            (
                Outcome.UNKNOWN,
                f"has public network access {access} (a network security perimeter decides,"
                " which asr-preflight does not read) and no blob private endpoint serves"
                f" VNet {vnet_name}{pe_unknown}",
            )
        ]
    if account.network_default_action is None:
        return [(Outcome.UNKNOWN, "firewall default action was not gathered")]
    missing: list[str] = []
    if not any(b.lower() == "azureservices" for b in account.network_bypass):
        missing.append("does not admit trusted Azure services (bypass AzureServices)")
    subnet = placement(ctx, vm).subnet
    if subnet.id.lower() not in {s.lower() for s in account.virtual_network_subnet_ids}:
        missing.append(
            f"does not admit subnet {subnet.name} in its virtual network rules (a subnet of"
            " the same VNet is not enough)"
        )
    elif not any(e.lower() in STORAGE_ENDPOINTS for e in subnet.service_endpoints):
        missing.append(
            f"admits subnet {subnet.name}, but the subnet has no Microsoft.Storage service"
            " endpoint, so its traffic does not match the rule"
        )
    if not missing:
        return []
    outcome = Outcome.UNKNOWN if served is None else Outcome.FAIL
    text = "firewall denies by default and " + " and ".join(missing)
    return [
        (
            outcome,
            f"{text}, and no approved blob private endpoint serves VNet {vnet_name}{pe_unknown}",
        )
    ]


def _how(ctx: RuleContext, account: StorageAccount, vm: VirtualMachine) -> str:
    if (account.public_network_access or "").lower() == "enabled" and (
        account.network_default_action == "Allow"
    ):
        return "public network access from all networks"
    if private_endpoint_serves(ctx, account.private_endpoint_connections, vm, "blob"):
        return f"a blob private endpoint serves VNet {placement(ctx, vm).vnet.name}"
    return f"trusted Azure services and subnet {placement(ctx, vm).subnet.name} allowed"
