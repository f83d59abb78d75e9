"""Clouds, the read-only policy and token parsing, without a server; plus one refused write."""

from __future__ import annotations

import base64
import json

import pytest

from arm.conftest import SUB_A
from asr_preflight.azure.clients import Clients
from asr_preflight.azure.clouds import CloudError, resolve_cloud
from asr_preflight.azure.credential import make_credential, principal_from_token
from asr_preflight.azure.readonly import ReadOnlyViolation, allowed
from fakes.arm import FakeAzure


@pytest.mark.parametrize(
    ("name", "arm", "authority", "scope"),
    [
        (
            None,
            "https://management.azure.com",
            "https://login.microsoftonline.com",
            "https://management.azure.com/.default",
        ),
        (
            # the token audience is not the ARM endpoint here (azure-mgmt-core's value)
            "AzureUSGovernment",
            "https://management.usgovcloudapi.net",
            "https://login.microsoftonline.us",
            "https://management.core.usgovcloudapi.net/.default",
        ),
        (
            "AzureChinaCloud",
            "https://management.chinacloudapi.cn",
            "https://login.chinacloudapi.cn",
            "https://management.chinacloudapi.cn/.default",
        ),
    ],
)
def test_clouds(name: str | None, arm: str, authority: str, scope: str) -> None:
    cloud = resolve_cloud(name)
    assert (cloud.arm_endpoint, cloud.authority_host, cloud.scope) == (arm, authority, scope)
    assert not cloud.custom


def test_clouds_come_from_the_azure_libraries() -> None:
    from azure.core import AzureClouds
    from azure.identity import AzureAuthorityHosts
    from azure.mgmt.core.tools import get_arm_endpoints

    gov = resolve_cloud("AzureUSGovernment")
    lib = get_arm_endpoints(AzureClouds.AZURE_US_GOVERNMENT)
    assert f"{gov.arm_endpoint}/" == lib["resource_manager"]
    assert [gov.scope] == lib["credential_scopes"]
    assert gov.authority_host == f"https://{AzureAuthorityHosts.AZURE_GOVERNMENT}"


def test_custom_cloud_needs_both_https_endpoints() -> None:
    cloud = resolve_cloud(None, "https://arm.local/", "https://login.local")
    assert cloud.custom and cloud.scope == "https://arm.local/.default"
    with pytest.raises(CloudError, match="both"):
        resolve_cloud("custom", "https://arm.local")
    with pytest.raises(CloudError, match="https"):
        resolve_cloud(None, "http://arm.local", "https://login.local")
    with pytest.raises(CloudError, match="unknown cloud"):
        resolve_cloud("AzureGermanCloud")


@pytest.mark.parametrize(
    ("method", "url", "ok"),
    [
        ("GET", "https://m/subscriptions/s/providers/Microsoft.Compute/virtualMachines", True),
        ("HEAD", "https://m/subscriptions/s/resourcegroups/rg", True),
        ("POST", "https://m/subscriptions/s/providers/Microsoft.Compute/register", False),
        ("PUT", "https://m/subscriptions/s/resourcegroups/rg", False),
        ("DELETE", "https://m/subscriptions/s/resourcegroups/rg", False),
        ("PATCH", "https://m/subscriptions/s/resourcegroups/rg", False),
        (
            "POST",
            "https://m/x/networkInterfaces/n/effectiveNetworkSecurityGroups?api-version=1",
            True,
        ),
        ("POST", "https://m/x/networkInterfaces/n/effectiveRouteTable", True),
        ("POST", "https://m/providers/Microsoft.ResourceGraph/resources", True),
        ("POST", "https://m/x/virtualMachines/v/start", False),
    ],
)
def test_read_only_policy(method: str, url: str, ok: bool) -> None:
    assert allowed(method, url) is ok


def test_registration_post_is_recognised() -> None:
    blocked = ReadOnlyViolation("POST", "/subscriptions/s/providers/Microsoft.Compute/register")
    assert blocked.registers_provider == "Microsoft.Compute"
    assert ReadOnlyViolation("PUT", "/subscriptions/s/resourcegroups/rg").registers_provider is None


def _jwt(claims: dict[str, str]) -> str:
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"e30.{body}.sig"


def test_principal_from_token() -> None:
    oid = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    assert principal_from_token(_jwt({"oid": oid})) == oid
    # the oid goes into assignedTo('<oid>'): anything but a GUID is not used
    assert principal_from_token(_jwt({"oid": "abc') or true or ('"})) is None
    assert principal_from_token(_jwt({"sub": "x"})) is None
    assert principal_from_token("opaque-token") is None
    assert principal_from_token("a.%%%.c") is None


def test_a_write_through_the_sdk_never_leaves_the_process(fake: FakeAzure) -> None:
    cloud = resolve_cloud(None, fake.url, fake.url)
    clients = Clients(make_credential(cloud), cloud)
    with pytest.raises(ReadOnlyViolation, match="PUT"):
        clients.resources(SUB_A).resource_groups.create_or_update("rg-new", {"location": "eastus"})
    clients.close()
    assert [r for r in fake.requests() if r.method != "GET" and "/oauth2/" not in r.path] == []


def test_cloud_from_options_and_plan() -> None:
    from asr_preflight.azure.orchestrator import cloud_for
    from asr_preflight.options import AzureOptions
    from asr_preflight.plan import PlanError, parse_plan

    china = parse_plan('[azure]\ncloud = "AzureChinaCloud"\n[target]\nregion = "chinanorth3"\n')
    assert cloud_for(china, AzureOptions()).name == "AzureChinaCloud"
    assert cloud_for(china, AzureOptions(cloud="AzureUSGovernment")).authority_host == (
        "https://login.microsoftonline.us"
    )
    custom = cloud_for(
        china, AzureOptions(arm_endpoint="https://a.test", authority_host="https://l.test")
    )
    assert custom.custom and custom.arm_endpoint == "https://a.test"
    with pytest.raises(PlanError, match="both"):
        cloud_for(china, AzureOptions(arm_endpoint="https://a.test"))


def test_credential_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    import azure.identity

    seen: list[dict[str, object]] = []
    monkeypatch.setattr(azure.identity, "DefaultAzureCredential", lambda **kw: seen.append(kw))
    make_credential(resolve_cloud("AzureUSGovernment"))
    make_credential(
        resolve_cloud(None, "https://a.test", "https://l.test"), connection_verify=False
    )
    assert seen[0] == {"authority": "https://login.microsoftonline.us"}
    assert seen[1] == {
        "authority": "https://l.test",
        "disable_instance_discovery": True,  # a custom authority is not a Microsoft one
        "connection_verify": False,
    }
