"""ASR010 vault-private-endpoint-ready: skip, pass, fail and unknown."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from asr_preflight.rbac import builtin_role
from asr_preflight.snapshot import (
    IdentityFacts,
    Permission,
    PrivateDnsZone,
    PrivateEndpointConnection,
    RoleAssignment,
    RoleDefinition,
    Vault,
)
from asr_preflight.testing import SUBSCRIPTION, evaluate_rule, make_plan
from asr_preflight_rules.plan.asr010_vault_private_endpoint_ready import (
    vault_private_endpoint_ready,
)
from network.netsec_facts import VNET_ID, estate

VAULT = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/dr-rg/providers/Microsoft.RecoveryServices/vaults/rv"
CACHE = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/prod-rg/providers/Microsoft.Storage/storageAccounts/cache"
VAULT_OID = "3137d6c7-5d6c-411c-b934-7a2a729ee247"
ZONE = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/dns/providers/Microsoft.Network/privateDnsZones/privatelink.siterecovery.windowsazure.com"
BLOB_DATA = RoleDefinition(
    "/providers/Microsoft.Authorization/roleDefinitions/ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    "Storage Blob Data Contributor",
    permissions=(
        Permission(
            actions=("Microsoft.Storage/storageAccounts/blobServices/containers/*",),
            data_actions=("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*",),
        ),
    ),
)
APPROVED = PrivateEndpointConnection(
    "c", "/x/privateEndpoints/pe-asr", "Approved", ("AzureSiteRecovery",)
)


def vault(**fields: Any) -> Vault:
    base = Vault(
        VAULT, "rv", "westus2", "dr-rg", public_network_access="Enabled",
        private_endpoint_connections=(APPROVED,), identity_type="SystemAssigned",
        identity_principal_id=VAULT_OID,
    )  # fmt: skip
    return replace(base, **fields)


def identity(*roles: RoleDefinition) -> IdentityFacts:
    return IdentityFacts(
        principal_id=VAULT_OID,
        role_assignments=tuple(
            RoleAssignment(f"{CACHE}/ra{i}", CACHE, r.id, VAULT_OID) for i, r in enumerate(roles)
        ),
        role_definitions=roles,
    )


GRANTED = identity(builtin_role("Contributor"), BLOB_DATA)
LINKED = (PrivateDnsZone(ZONE, "privatelink.siterecovery.windowsazure.com", (VNET_ID,)),)


def judge(
    target: dict[str, Any] | None = None, azure: dict[str, Any] | None = None, **fields: Any
) -> Any:
    facts: dict[str, Any] = {
        "vault": vault(),
        "private_dns_zones": LINKED,
        "vault_identity": GRANTED,
    }
    facts.update(fields)
    plan = make_plan(
        azure=azure or {"subscriptions": [SUBSCRIPTION]},
        target=target or {"region": "westus2", "vault": VAULT, "cache_storage_account": CACHE},
    )
    [result] = evaluate_rule(vault_private_endpoint_ready, estate(**facts), plan)
    return result


@pytest.mark.parametrize(
    ("fields", "outcome", "words"),
    [
        ({}, "pass", "approved"),
        ({"vault": vault(private_endpoint_connections=())}, "skip", "no private endpoint"),
        (
            {"vault": vault(private_endpoint_connections=(), public_network_access="Disabled")},
            "fail",
            "no Site Recovery private endpoint",
        ),
        (
            {"vault": vault(private_endpoint_connections=(replace(APPROVED, status="Pending"),))},
            "fail",
            "pe-asr is Pending",
        ),
        ({"private_dns_zones": ()}, "unknown", "no private DNS zone"),
        (
            {"private_dns_zones": (replace(LINKED[0], linked_vnet_ids=()),)},
            "fail",
            "privatelink.siterecovery.windowsazure.com is not linked to VNet",
        ),
        (
            {
                "private_dns_zones": (
                    replace(LINKED[0], linked_vnet_ids=(), pending_vnet_ids=(VNET_ID,)),
                )
            },
            "fail",
            "not Completed",
        ),
        ({"vault_identity": identity(builtin_role("Contributor"))}, "fail", "Storage Blob Data"),
        ({"vault_identity": identity(BLOB_DATA)}, "fail", "lacks Contributor"),
        ({"vault": vault(identity_principal_id=None)}, "fail", "no system-assigned"),
        ({"private_dns_zones": None}, "unknown", "private DNS zones"),
        ({"vault_identity": None}, "unknown", "role assignments"),
        ({"vault": vault(private_endpoint_connections=None)}, "unknown", "private endpoint"),
        ({"vault": None}, "unknown", "vault"),
    ],
)
def test_vault_private_endpoint(fields: dict[str, Any], outcome: str, words: str) -> None:
    result = judge(**fields)
    assert result.outcome == outcome, result.message
    assert words in result.message


def test_no_vault_or_no_cache_account() -> None:
    assert judge(target={"region": "westus2"}).outcome == "skip"
    # ASR creates the cache account (and grants its identity) itself: roles are not checked
    result = judge(target={"region": "westus2", "vault": VAULT}, vault_identity=None)
    assert result.outcome == "pass"
    assert "names no cache storage account" in result.message
    assert "holds the roles" not in result.message  # nothing was checked, so nothing claimed


def test_a_pass_names_the_cache_account_whose_roles_were_checked() -> None:
    result = judge()
    assert result.outcome == "pass"
    assert f"holds the roles on cache storage account {CACHE.rsplit('/', 1)[-1]}" in result.message


def test_a_zone_list_that_failed_is_unknown_not_fail() -> None:
    from asr_preflight.snapshot import FactError

    error = FactError("private_link", "/subscriptions/x", "403 on privateDnsZones", "Reader")
    result = judge(private_dns_zones=(), errors=(error,))
    assert result.outcome == "unknown" and "could not all be read" in result.message


def test_the_zone_must_be_linked_to_the_mapped_target_vnet_too() -> None:
    """RULES.md: linked to the VM's VNet "and to the target VNet when known" (the vault's
    network mapping for the VM's VNet names it)."""
    from asr_preflight.snapshot import NetworkMapping

    target_vnet = (
        f"/subscriptions/{SUBSCRIPTION}/resourceGroups/dr-rg/providers/"
        "Microsoft.Network/virtualNetworks/vnet-dr"
    )
    mapped = vault(network_mappings=(NetworkMapping(VNET_ID, target_vnet),))
    result = judge(vault=mapped)
    assert result.outcome == "fail", result.message
    assert "vnet-dr" in result.message
    both = (replace(LINKED[0], linked_vnet_ids=(VNET_ID, target_vnet)),)
    assert judge(vault=mapped, private_dns_zones=both).outcome == "pass"
    # another VNet's mapping does not concern this VM; no mappings read: not known, not judged
    other = vault(network_mappings=(NetworkMapping(target_vnet + "-x", target_vnet),))
    assert judge(vault=other).outcome == "pass"
    assert judge(vault=vault(network_mappings=None)).outcome == "pass"


HUB = "7e4b2a10-0c5d-4f6e-9a8b-1c2d3e4f5a6b"


def test_no_zone_anywhere_is_unknown_and_names_where_it_looked_and_the_plan_key() -> None:
    """A hub-and-spoke landing zone keeps the zones in a connectivity subscription the plan may
    not name: finding none is not proof that none is linked."""
    result = judge(private_dns_zones=())
    assert result.outcome == "unknown", result.message
    assert SUBSCRIPTION in result.message and SUBSCRIPTION in result.hint
    assert "private_dns_subscriptions" in result.hint
    named = judge(
        azure={"subscriptions": [SUBSCRIPTION], "private_dns_subscriptions": [HUB]},
        private_dns_zones=(),
    )
    assert named.outcome == "unknown"
    assert HUB in named.message and SUBSCRIPTION in named.message


def test_no_zone_anywhere_with_a_mapped_target_vnet_is_still_unknown_not_fail() -> None:
    from asr_preflight.snapshot import NetworkMapping

    target_vnet = (
        f"/subscriptions/{HUB}/resourceGroups/dr/providers/Microsoft.Network/virtualNetworks/v"
    )
    mapped = vault(network_mappings=(NetworkMapping(VNET_ID, target_vnet),))
    assert judge(vault=mapped, private_dns_zones=()).outcome == "unknown"


def test_a_zone_found_in_the_hub_but_not_linked_is_a_fail_and_no_hub_hint() -> None:
    hub_zone = PrivateDnsZone(ZONE.replace(SUBSCRIPTION, HUB), LINKED[0].name, ())
    result = judge(
        azure={"subscriptions": [SUBSCRIPTION], "private_dns_subscriptions": [HUB]},
        private_dns_zones=(hub_zone,),
    )
    assert result.outcome == "fail" and "not linked to VNet" in result.message
    assert "private_dns_subscriptions" not in (result.hint or "")
    linked = replace(hub_zone, linked_vnet_ids=(VNET_ID,))
    assert judge(private_dns_zones=(linked,)).outcome == "pass"
