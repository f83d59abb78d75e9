"""Probe output parsing, proxy choice, redaction and endpoint defaults (no guest needed)."""

from __future__ import annotations

import base64
import subprocess
from typing import Any

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from asr_preflight.guest import parse
from asr_preflight.guest.endpoints import parse_endpoint, required_endpoints
from asr_preflight.guest.redact import Scrubber, redact_url, strip_credentials
from asr_preflight.guest.scripts import Invocation, encoded_powershell, script_text
from asr_preflight.plan import Plan
from asr_preflight.snapshot import ProxySetting, Snapshot, StorageAccount, VirtualMachine
from asr_preflight.testing import make_plan, make_snapshot, make_vm


def test_redact_url() -> None:
    assert redact_url("http://user:s3cret@proxy:3128/") == ("http://***@proxy:3128/", True)
    assert redact_url("user:s3cret@proxy:3128") == ("***@proxy:3128", True)
    assert redact_url("http://proxy:3128") == ("http://proxy:3128", False)
    assert strip_credentials("http://***@proxy:3128/") == "http://proxy:3128"
    assert strip_credentials("proxy:3128") == "http://proxy:3128"


def test_scrubber_removes_secrets() -> None:
    scrub = Scrubber(["Canary-Pa55"])
    assert scrub("auth failed for Canary-Pa55!") == "auth failed for ***!"


def test_trust_from_der_computes_fingerprint_subject_and_expiry() -> None:
    ca = trustme.CA()
    der = x509.load_pem_x509_certificate(ca.cert_pem.bytes()).public_bytes(Encoding.DER)
    store, roots = parse.parse_trust(
        {
            "bundle": "/etc/ssl/certs/ca-certificates.crt",
            "der_base64": [base64.b64encode(der).decode()],
        }
    )
    import hashlib

    assert store == "/etc/ssl/certs/ca-certificates.crt"
    assert roots[0].sha256 == hashlib.sha256(der).hexdigest().upper()
    assert "trustme" in roots[0].subject
    assert roots[0].not_after.endswith("Z")


def test_trust_windows_form_and_missing_store() -> None:
    _, roots = parse.parse_trust(
        {"roots": {"sha256": "aa:bb", "subject": "CN=x", "not_after": "2030-01-01T00:00:00Z"}}
    )
    assert roots[0].sha256 == "AABB"  # a single PowerShell object instead of a list
    with pytest.raises(parse.ProbeOutputError):
        parse.parse_trust({"bundle": None, "der_base64": None, "error": "no CA bundle"})


def test_decode_tolerates_banner_and_rejects_garbage() -> None:
    assert parse.decode('Welcome!\n{"a": 1}\n') == {"a": 1}
    with pytest.raises(parse.ProbeOutputError):
        parse.decode("sh: 1: curl: not found")


def test_agent_proxy_prefers_proxyinfo_then_etc_environment() -> None:
    env = ProxySetting("env:https_proxy", "http://a:1")
    etc = ProxySetting("/etc/environment:https_proxy", "http://b:2")
    asr = ProxySetting("/usr/local/InMage/config/ProxyInfo.conf", "http://c:3")
    apt = ProxySetting("/etc/apt/apt.conf:Acquire::http::Proxy", "http://d:4")
    assert parse.agent_proxy([env, etc, asr, apt], windows=False) == asr
    assert parse.agent_proxy([env, etc, apt], windows=False) == etc
    assert parse.agent_proxy([apt], windows=False) is None


def test_proxy_for_honours_bypass_and_strips_credentials() -> None:
    proxy = ProxySetting(
        "env:https_proxy", "http://***@p:3128", True, (".windows.net", "localhost")
    )
    assert parse.proxy_for(proxy, "x.blob.core.windows.net") is None
    assert parse.proxy_for(proxy, "login.microsoftonline.com") == "http://p:3128"
    wininet = ProxySetting("WinINET:HKLM", "http=p:80;https=q:8443")
    assert parse.proxy_for(wininet, "login.microsoftonline.com") == "http://q:8443"


def test_ports_map_addresses_back_to_peers() -> None:
    data = {"ports": [{"address": "10.0.0.5", "port": 20004, "result": "timeout", "detail": "x"}]}
    [probe] = parse.parse_ports(data, {"10.0.0.5": ["/vm/b"]})
    assert probe.peer_vm_id == "/vm/b" and probe.result == "timeout"


def test_endpoint_defaults_per_cloud_and_overrides() -> None:
    cache = (
        "/subscriptions/00000000-0000-0000-0000-0000000000a1/resourceGroups/r"
        "/providers/Microsoft.Storage/storageAccounts/CacheAcct"
    )
    plan = make_plan(target={"region": "westus2", "cache_storage_account": cache}, guest={})
    hosts = {e.name: e.host for e in required_endpoints(plan, make_snapshot(plan=plan))}
    assert hosts == {
        "login": "login.microsoftonline.com",
        "storage": "cacheacct.blob.core.windows.net",
        "site_recovery": "wus2.hypervrecoverymanager.windowsazure.com",
        "service_bus": "servicebus.windows.net",
    }
    gov = make_plan(azure={"cloud": "AzureUSGovernment"}, target={"region": "usgovvirginia"},
                    guest={"endpoints": {"login": "https://login.example.org:8443/"}})  # fmt: skip
    gov_hosts = {e.name: (e.host, e.port) for e in required_endpoints(gov)}
    assert gov_hosts["login"] == ("login.example.org", 8443)
    assert gov_hosts["site_recovery"][0] == "ugv.hypervrecoverymanager.windowsazure.us"
    assert "storage" not in gov_hosts
    with pytest.raises(ValueError, match="not a host name"):
        parse_endpoint("login", "bad host;rm -rf /")


def _account(name: str, location: str, **fields: Any) -> StorageAccount:
    account_id = (
        "/subscriptions/00000000-0000-0000-0000-0000000000a1/resourceGroups/r"
        f"/providers/Microsoft.Storage/storageAccounts/{name}"
    )
    return StorageAccount(account_id, name, location, **fields)


def _storage_hosts(plan: Plan, snapshot: Snapshot | None, *vms: VirtualMachine) -> list[Any]:
    out = []
    for vm in vms:
        hosts = {e.name: e.host for e in required_endpoints(plan, snapshot, vm)}
        out.append(hosts.get("storage"))
    return out


def test_storage_endpoint_is_the_cache_account_of_the_vms_region() -> None:
    # eastus: gathered, with an Azure DNS zone endpoint that differs from <name>.blob.<suffix>
    east = _account(
        "cacheeast", "eastus", blob_endpoint="https://cacheeast.z13.blob.storage.azure.net/"
    )
    west = _account("CacheWest", "westus")  # named in the plan, not gathered
    plan = make_plan(
        target={"region": "westus2", "cache_storage_accounts": {"eastus": east.id, "West US": west.id}},
        guest={},
    )  # fmt: skip
    snapshot = make_snapshot(plan=plan, cache_storage_accounts=(east,))
    vm_east, vm_west = make_vm("a", location="eastus"), make_vm("b", location="westus")
    vm_north = make_vm("c", location="northeurope")
    assert _storage_hosts(plan, snapshot, vm_east, vm_west, vm_north) == [
        "cacheeast.z13.blob.storage.azure.net",  # from the account facts
        "cachewest.blob.core.windows.net",  # from the name in the plan
        None,  # no account for northeurope: nothing to probe (ASR210 fails the VM)
    ]
    # the other endpoints do not depend on the VM
    others = {e for e in required_endpoints(plan, snapshot, vm_north)}
    assert others <= set(required_endpoints(plan, snapshot, vm_east))
    # without a VM, a per-region plan has no storage endpoint
    assert "storage" not in {e.name for e in required_endpoints(plan, snapshot)}


def test_one_cache_account_serves_every_vm_and_guest_endpoints_override() -> None:
    cache = _account("cacheone", "eastus", blob_endpoint="https://cacheone.blob.core.windows.net/")
    plan = make_plan(target={"region": "westus2", "cache_storage_account": cache.id}, guest={})
    snapshot = make_snapshot(plan=plan, cache_storage=cache)
    vms = (make_vm("a", location="eastus"), make_vm("b", location="westus"))
    assert _storage_hosts(plan, snapshot, *vms) == ["cacheone.blob.core.windows.net"] * 2
    pinned = make_plan(
        target={"region": "westus2", "cache_storage_accounts": {"eastus": cache.id}},
        guest={"endpoints": {"storage": "blob.proxy.example.org"}},
    )
    assert _storage_hosts(pinned, snapshot, *vms) == ["blob.proxy.example.org"] * 2


def test_hostile_blob_endpoint_is_an_error_not_a_probe() -> None:
    bad = _account("cacheeast", "eastus", blob_endpoint="https://evil host;rm -rf //x/")
    plan = make_plan(
        target={"region": "westus2", "cache_storage_accounts": {"eastus": bad.id}}, guest={}
    )
    snapshot = make_snapshot(plan=plan, cache_storage_accounts=(bad,))
    with pytest.raises(ValueError, match="blob endpoint"):
        required_endpoints(plan, snapshot, make_vm("a", location="eastus"))


def test_scripts_ship_as_package_data_and_quote_arguments() -> None:
    for probe in ("facts", "trust", "proxy", "endpoints", "ports"):
        assert script_text("linux", probe).lstrip().startswith("#")
        assert f"$probe = '{probe}'" in script_text("windows", probe)
    command = Invocation("ports", "linux", ("2", "20004", "10.0.0.5; reboot")).shell_command()
    assert "'10.0.0.5; reboot'" in command
    ps = Invocation("endpoints", "windows", ("5", "-", "login=it's:443")).powershell()
    assert "$Proxy = ''" in ps and "'login=it''s:443'" in ps
    assert base64.b64decode(encoded_powershell("x")).decode("utf-16-le") == "x"


def test_linux_scripts_are_valid_posix_sh() -> None:
    for probe in ("facts", "trust", "proxy", "endpoints", "ports"):
        subprocess.run(["sh", "-n", "-c", script_text("linux", probe)], check=True)


def test_proxy_script_redacts_inside_the_guest() -> None:
    out = subprocess.run(
        ["sh", "-c", script_text("linux", "proxy")],
        env={"PATH": "/usr/bin:/bin", "https_proxy": "http://bob:Canary-Pa55@10.9.9.9:3128",
             "no_proxy": "a,b"},
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "Canary-Pa55" not in out.stdout and "bob" not in out.stdout
    [env] = [
        p for p in parse.parse_proxies(parse.decode(out.stdout)) if p.source == "env:https_proxy"
    ]
    assert (
        env.url == "http://***@10.9.9.9:3128" and env.has_credentials and env.bypass == ("a", "b")
    )
