"""The parsers of the outbound and private-link families, on the official examples and on
answers ARM may give (fields absent, odd values, hostile shapes)."""

from __future__ import annotations

import pytest

from asr_preflight.azure.outbound import to_load_balancer
from asr_preflight.azure.private_link import to_private_endpoint, vault_access
from asr_preflight.azure.storage import to_storage_account
from fakes.estate import example

BLOB = {"properties": {"deleteRetentionPolicy": {"enabled": False}}}


def test_storage_account_example() -> None:
    account = to_storage_account(example("StorageAccountGetProperties.json"), BLOB)
    assert account.public_network_access == "Enabled"  # absent in the example: never set
    assert account.network_default_action == "Allow" and account.network_bypass == (
        "AzureServices",
    )
    assert account.resource_access_rules == (
        "/subscriptions/a7e99807-abbf-4642-bdec-2c809a96a8bc/resourceGroups/res9407/providers"
        "/Microsoft.Synapse/workspaces/testworkspace",
    )
    assert account.private_endpoint_connections == ()
    assert account.allow_shared_key_access is True and account.blob_soft_delete_enabled is False


def test_storage_account_rules_and_connections() -> None:
    body = example("StorageAccountGetProperties.json")
    acls = body["properties"]["networkAcls"]
    acls["bypass"] = "None"
    acls["virtualNetworkRules"] = [
        {"id": "/s/subnets/ok", "action": "Allow", "state": "Succeeded"},
        {"id": "/s/subnets/gone", "action": "Allow", "state": "NetworkSourceDeleted"},
        {"id": "/s/subnets/failed", "state": "failed"},
        "garbage",
    ]
    body["properties"]["publicNetworkAccess"] = "SecuredByPerimeter"
    body["properties"]["privateEndpointConnections"] = [
        example("StorageAccountGetPrivateEndpointConnection.json")
    ]
    account = to_storage_account(body, {})
    assert account.network_bypass == ()
    assert account.virtual_network_subnet_ids == ("/s/subnets/ok",)
    assert account.public_network_access == "SecuredByPerimeter"
    [conn] = account.private_endpoint_connections or ()
    assert conn.status == "Approved" and conn.private_endpoint_id.endswith("/petest01")
    assert account.blob_soft_delete_enabled is False  # no retention policy: soft delete off
    body["properties"]["privateEndpointConnections"] = ["not an object"]
    with pytest.raises(ValueError, match="not an object"):
        to_storage_account(body, {})


def test_load_balancer_example_and_outbound_rules() -> None:
    basic = to_load_balancer(example("LoadBalancerListAll.json")["value"][0])
    assert basic.sku == "Basic" and not basic.public  # a private frontend
    assert basic.snat_rule_pool_ids == basic.pool_ids  # rulelb serves belb, SNAT not disabled
    assert basic.outbound_rule_pool_ids == () and basic.pool_members == {basic.pool_ids[0]: ()}
    item = example("LoadBalancerListAll.json")["value"][0]
    props = item["properties"]
    props["frontendIPConfigurations"][0]["properties"]["publicIPAddress"] = {"id": "/pip"}
    props["loadBalancingRules"][0]["properties"]["disableOutboundSnat"] = True
    props["backendAddressPools"][0]["properties"]["backendIPConfigurations"] = [
        {"id": "/nic/ipConfigurations/ipconfig1"}
    ]
    props["outboundRules"] = [{"properties": {"backendAddressPool": {"id": "/pool-x"}}}]
    item["sku"] = {"name": "Standard"}
    lb = to_load_balancer(item)
    assert lb.public and lb.sku == "Standard" and lb.snat_rule_pool_ids == ()
    assert lb.outbound_rule_pool_ids == ("/pool-x",)
    assert lb.pool_members[lb.pool_ids[0]] == ("/nic/ipConfigurations/ipconfig1",)
    with pytest.raises(ValueError):
        to_load_balancer({"properties": {}})


def test_load_balancer_ip_based_backend_addresses() -> None:
    """LoadBalancerBackendAddressPropertiesFormat (loadBalancer.json): IP-based members are
    (VNet, IP); a member that cannot be matched exactly makes its pool unresolved."""
    item = example("LoadBalancerListAll.json")["value"][0]
    item["sku"] = {"name": "Standard"}
    pool = item["properties"]["backendAddressPools"][0]
    vnet = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v"
    pool["properties"]["loadBalancerBackendAddresses"] = [
        {"name": "a1", "properties": {"ipAddress": "10.0.0.4", "virtualNetwork": {"id": vnet}}},
        {
            "name": "a2",
            "properties": {"ipAddress": "10.0.0.5", "subnet": {"id": f"{vnet}/subnets/s"}},
        },
        {"name": "n", "properties": {"networkInterfaceIPConfiguration": {"id": "/nic/ipc/x"}}},
        {"name": "r", "properties": {"loadBalancerFrontendIPConfiguration": {"id": "/lb2/fe"}}},
    ]
    lb = to_load_balancer(item)
    pool_id = lb.pool_ids[0]
    assert lb.pool_addresses[pool_id] == ((vnet, "10.0.0.4"), (vnet, "10.0.0.5"))
    assert "/nic/ipc/x" in lb.pool_members[pool_id]
    assert lb.unresolved_pools == {}
    for broken, scope in [
        ({"ipAddress": "10.0.0.x", "virtualNetwork": {"id": vnet}}, (vnet,)),
        ({"ipAddress": 167772164, "virtualNetwork": {"id": vnet}}, (vnet,)),
        ({"ipAddress": "10.0.0.6"}, ()),  # no VNet: any VM may be the member
        ({"virtualNetwork": {"id": vnet}}, (vnet,)),
        ("not an object", ()),
    ]:
        addresses = pool["properties"]["loadBalancerBackendAddresses"]
        pool["properties"]["loadBalancerBackendAddresses"] = [
            addresses[0],
            broken if isinstance(broken, str) else {"name": "b", "properties": broken},
        ]
        lb = to_load_balancer(item)
        assert lb.unresolved_pools == {pool_id: scope}, broken
        assert lb.pool_addresses[pool_id] == ((vnet, "10.0.0.4"),)


def test_private_endpoint_example() -> None:
    auto, manual = (to_private_endpoint(i) for i in example("PrivateEndpointList.json")["value"])
    assert auto.subnet_id and auto.subnet_id.endswith("/subnets/mySubnet")
    assert auto.group_ids == ("groupIdFromResource",) and auto.target_ids[0].endswith("testPls1")
    assert manual.target_ids[0].endswith("testPls2")  # manual connections count too
    odd = to_private_endpoint(
        {"id": "/pe", "name": "pe", "properties": {"privateLinkServiceConnections": ["x", {}]}}
    )
    assert odd.target_ids == () and odd.subnet_id is None


def test_vault_access_keeps_site_recovery_connections() -> None:
    vault = example("GETVault.json")  # one AzureBackup connection
    access = vault_access(vault)
    assert access["private_endpoint_connections"] == ()
    assert access["identity_principal_id"] == "3137d6c7-5d6c-411c-b934-7a2a729ee247"
    assert access["public_network_access"] == "Enabled"
    assert access["private_endpoint_state_for_site_recovery"] == "None"
    vault["properties"]["privateEndpointConnections"][0]["properties"]["groupIds"] = [
        "AzureSiteRecovery"
    ]
    [conn] = vault_access(vault)["private_endpoint_connections"]
    assert conn.status == "Approved"
    del vault["identity"]
    assert vault_access(vault)["identity_principal_id"] is None


def test_vault_access_reads_older_sdk_models_too() -> None:
    """Older azure-mgmt-recoveryservices (msrest) models are no Mapping: they serialize."""

    class MsrestVault:
        def serialize(self, keep_readonly: bool = False) -> dict:  # type: ignore[type-arg]
            body = example("GETVault.json")
            if not keep_readonly:
                body.pop("identity")
            return body

    assert vault_access(MsrestVault())["identity_principal_id"] == (
        "3137d6c7-5d6c-411c-b934-7a2a729ee247"
    )
    with pytest.raises(ValueError, match="cannot read"):
        vault_access(object())


@pytest.mark.parametrize(
    ("shared", "soft_delete", "expected"),
    [
        ("false", False, (None, False)),  # a string is no boolean: not gathered, not "allowed"
        (0, False, (None, False)),
        (False, "true", (False, None)),  # a string is no boolean: not "off" either
        (None, None, (True, False)),  # absent: allowed (the spec's null), no policy: off
    ],
)
def test_storage_booleans_that_are_not_booleans_are_not_gathered(
    shared: object, soft_delete: object, expected: tuple[object, object]
) -> None:
    body = example("StorageAccountGetProperties.json")
    body["properties"]["allowSharedKeyAccess"] = shared
    blob = {"properties": {"deleteRetentionPolicy": {"enabled": soft_delete}}}
    account = to_storage_account(body, blob)
    assert (account.allow_shared_key_access, account.blob_soft_delete_enabled) == expected
