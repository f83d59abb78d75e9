"""ASR301-ASR309 (ASR301 ASR302 ASR303 ASR304 ASR305 ASR306 ASR307 ASR308 ASR309) with crafted
GuestFacts: pass, fail, unknown and skip for each rule."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from asr_preflight.api import Outcome
from asr_preflight.snapshot import (
    CollectionInfo,
    EndpointProbe,
    FactError,
    GuestFacts,
    IpConfiguration,
    NetworkInterface,
    PortProbe,
    ProxySetting,
    RootCertificate,
    ServiceState,
)
from asr_preflight.testing import evaluate_rule, make_plan, make_snapshot, make_vm
from asr_preflight_rules.guest._common import (
    BALTIMORE_CYBERTRUST_ROOT,
    DIGICERT_GLOBAL_ROOT_G2,
    MICROSOFT_RSA_ROOT_2017,
)
from asr_preflight_rules.guest.asr301_root_certificates_current import root_certificates_current
from asr_preflight_rules.guest.asr302_tls_to_endpoints import tls_to_endpoints
from asr_preflight_rules.guest.asr303_dns_resolves_endpoints import dns_resolves_endpoints
from asr_preflight_rules.guest.asr304_no_authenticating_proxy import no_authenticating_proxy
from asr_preflight_rules.guest.asr305_proxy_reachable import proxy_reachable
from asr_preflight_rules.guest.asr306_port_20004_guest import port_20004_guest
from asr_preflight_rules.guest.asr307_linux_root_free_space import linux_root_free_space
from asr_preflight_rules.guest.asr308_linux_grub_persistent_names import (
    linux_grub_persistent_names,
)
from asr_preflight_rules.guest.asr309_windows_vss_complus import windows_vss_complus

LINUX = make_vm("vm-lin-01")
WINDOWS = make_vm("vm-win-01", os_type="Windows")
GUEST_PLAN = make_plan(guest={"linux": {"user": "azureuser"}})
G2 = RootCertificate(DIGICERT_GLOBAL_ROOT_G2, "CN=DigiCert Global Root G2", "2038-01-15T12:00:00Z")
MS = RootCertificate(
    MICROSOFT_RSA_ROOT_2017,
    "CN=Microsoft RSA Root Certificate Authority 2017",
    "2042-07-18T23:00:23Z",
)
BALTIMORE = RootCertificate(
    BALTIMORE_CYBERTRUST_ROOT, "CN=Baltimore CyberTrust Root", "2025-05-12T23:59:00Z"
)


#: the hosts required_endpoints gives a guest in westus2 (storage: the CACHE account below)
HOSTS = {
    "login": "login.microsoftonline.com",
    "site_recovery": "wus2.hypervrecoverymanager.windowsazure.com",
    "service_bus": "servicebus.windows.net",
    "storage": "cacheacct.blob.core.windows.net",
}


def ep(name: str, **fields: Any) -> EndpointProbe:
    base = EndpointProbe(
        name, HOSTS[name], 443, resolved=True, addresses=("10.9.9.9",), tls_ok=True
    )
    return replace(base, **fields)


ENDPOINTS = (ep("login"), ep("site_recovery"), ep("service_bus"), ep("storage"))


def healthy(vm: Any = LINUX, **fields: Any) -> GuestFacts:
    base = GuestFacts(
        vm_id=vm.id,
        transport="winrm" if vm.os_type == "Windows" else "ssh",
        os_release={"ID": "ubuntu", "VERSION_ID": "22.04"},
        kernel="5.15.0-1060-azure",
        root_certificates=(G2, MS),
        trust_store="/etc/ssl/certs/ca-certificates.crt",
        proxies=(),
        endpoints=ENDPOINTS,
        port_probes=(),
        root_free_bytes=20 * 1024**3,
        grub_device_names=("root=UUID=0a1b2c3d", "resume=/dev/mapper/vg-swap"),
        grub_files=("/boot/grub/grub.cfg",),
        services=(
            ServiceState("COMSysApp", "Manual", "Stopped"),
            ServiceState("VSS", "Manual", "Stopped"),
        )
        if vm.os_type == "Windows"
        else None,
        collected_at="2026-11-25T00:00:00Z",
    )
    return replace(base, **fields)


def run(
    rule: Any, facts: GuestFacts | None = None, vm: Any = LINUX, plan: Any = GUEST_PLAN, **snap: Any
):
    guests = [facts] if facts is not None else []
    [result] = evaluate_rule(rule, make_snapshot(vms=[vm], plan=plan, guests=guests, **snap))
    return result


ALL_VM_RULES = [
    root_certificates_current,
    tls_to_endpoints,
    dns_resolves_endpoints,
    no_authenticating_proxy,
    proxy_reachable,
    linux_root_free_space,
    linux_grub_persistent_names,
]


# -- common behaviour ------------------------------------------------------------------------


@pytest.mark.parametrize("rule", [*ALL_VM_RULES, windows_vss_complus], ids=lambda r: r.code)
def test_skip_without_guest_section(rule: Any) -> None:
    vm = WINDOWS if rule is windows_vss_complus else LINUX
    result = run(rule, healthy(vm), vm=vm, plan=make_plan())
    assert result.outcome == Outcome.SKIP
    assert "[guest]" in result.message


@pytest.mark.parametrize("rule", [*ALL_VM_RULES, windows_vss_complus], ids=lambda r: r.code)
def test_skip_with_no_guest(rule: Any) -> None:
    vm = WINDOWS if rule is windows_vss_complus else LINUX
    result = run(rule, vm=vm, collection=CollectionInfo(source="test", guest_skipped=True))
    assert result.outcome == Outcome.SKIP
    assert "--no-guest" in result.message


@pytest.mark.parametrize("rule", [*ALL_VM_RULES, windows_vss_complus], ids=lambda r: r.code)
def test_unknown_when_guest_unreachable(rule: Any) -> None:
    vm = WINDOWS if rule is windows_vss_complus else LINUX
    error = FactError(
        "guest", vm.id, f"{vm.name}: refused: host key mismatch for 10.0.0.4:22", "verify"
    )
    result = run(rule, vm=vm, errors=(error,))
    assert result.outcome == Outcome.UNKNOWN
    assert "host key mismatch" in result.message
    assert result.hint == "verify"


@pytest.mark.parametrize("rule", [*ALL_VM_RULES, windows_vss_complus], ids=lambda r: r.code)
def test_healthy_guest_passes_or_skips(rule: Any) -> None:
    vm = WINDOWS if rule is windows_vss_complus else LINUX
    result = run(rule, healthy(vm), vm=vm)
    expected = Outcome.SKIP if rule is proxy_reachable else Outcome.PASS  # no proxy configured
    assert result.outcome == expected, result.message


# -- ASR301 ------------------------------------------------------------------------------------


def test_asr301_missing_microsoft_root_fails() -> None:
    result = run(root_certificates_current, healthy(root_certificates=(G2,)))
    assert result.outcome == Outcome.FAIL
    assert "Microsoft RSA Root Certificate Authority 2017 is missing" in result.message


def test_asr301_only_expired_baltimore_left() -> None:
    result = run(root_certificates_current, healthy(root_certificates=(BALTIMORE,)))
    assert result.outcome == Outcome.FAIL
    assert "only Azure root left is the Baltimore CyberTrust Root" in result.message


def test_asr301_baltimore_next_to_current_roots_passes() -> None:
    result = run(root_certificates_current, healthy(root_certificates=(G2, MS, BALTIMORE)))
    assert result.outcome == Outcome.PASS


def test_asr301_expired_root_fails_against_snapshot_time() -> None:
    old_g2 = replace(G2, not_after="2026-01-01T00:00:00Z")
    result = run(root_certificates_current, healthy(root_certificates=(old_g2, MS)))
    assert result.outcome == Outcome.FAIL
    assert "DigiCert Global Root G2 expired on 2026-01-01" in result.message


def test_asr301_name_alone_is_not_enough() -> None:
    impostor = RootCertificate("AB" * 32, "CN=DigiCert Global Root G2", "2040-01-01T00:00:00Z")
    result = run(root_certificates_current, healthy(root_certificates=(impostor, MS)))
    assert result.outcome == Outcome.FAIL
    assert "another fingerprint" in result.message


def test_asr301_unknown_when_trust_probe_failed() -> None:
    facts = healthy(
        root_certificates=None, probe_errors={"trust": "exit status 1: permission denied"}
    )
    result = run(root_certificates_current, facts)
    assert result.outcome == Outcome.UNKNOWN
    assert "permission denied" in result.message


# -- ASR302 / ASR303 -----------------------------------------------------------------------------


def test_asr302_failed_handshake_names_the_endpoint() -> None:
    bad = ep(
        "login",
        tls_ok=False,
        error="curl: (60) SSL certificate problem: unable to get local issuer",
    )
    result = run(tls_to_endpoints, healthy(endpoints=(bad, *ENDPOINTS[1:])))
    assert result.outcome == Outcome.FAIL
    assert (
        "login.microsoftonline.com:443" in result.message
        and "certificate problem" in result.message
    )
    assert "wus2.hypervrecoverymanager" not in result.message


def test_asr302_untested_endpoint_is_unknown() -> None:
    result = run(tls_to_endpoints, healthy(endpoints=(ep("login", tls_ok=None),)))
    assert result.outcome == Outcome.UNKNOWN


def test_asr302_unknown_without_probe() -> None:
    result = run(tls_to_endpoints, healthy(endpoints=None, probe_errors={"endpoints": "timed out"}))
    assert result.outcome == Outcome.UNKNOWN
    assert "timed out" in result.message


def test_asr303_unresolved_fails() -> None:
    result = run(
        dns_resolves_endpoints, healthy(endpoints=(ep("login", resolved=False, tls_ok=False),))
    )
    assert result.outcome == Outcome.FAIL
    assert "login.microsoftonline.com" in result.message


def test_asr303_resolved_by_proxy_passes() -> None:
    via = ep(
        "login", resolved=False, tls_ok=True, via_proxy="http://10.0.0.9:3128", proxy_status=200
    )
    result = run(dns_resolves_endpoints, healthy(endpoints=(via, *ENDPOINTS[1:])))
    assert result.outcome == Outcome.PASS
    assert "login.microsoftonline.com resolved by the proxy" in result.message


def test_asr303_unknown_without_probe() -> None:
    assert run(dns_resolves_endpoints, healthy(endpoints=None)).outcome == Outcome.UNKNOWN


# -- ASR304 / ASR305 -----------------------------------------------------------------------------

PROXY = ProxySetting("/etc/environment:https_proxy", "http://10.0.0.9:3128")


def test_asr304_credentials_in_config_fail_without_showing_them() -> None:
    yum = ProxySetting("/etc/yum.conf:proxy", "http://10.0.0.9:3128", has_credentials=True)
    env = ProxySetting(
        "/etc/environment:https_proxy", "http://***@10.0.0.9:3128", has_credentials=True
    )
    result = run(no_authenticating_proxy, healthy(proxies=(yum, env)))
    assert result.outcome == Outcome.FAIL
    assert "/etc/yum.conf" in result.message and "http://***@10.0.0.9:3128" in result.message


def test_asr304_407_fails() -> None:
    asked = ep("login", tls_ok=False, via_proxy="http://10.0.0.9:3128", proxy_status=407)
    result = run(no_authenticating_proxy, healthy(proxies=(PROXY,), endpoints=(asked,)))
    assert result.outcome == Outcome.FAIL
    assert "407" in result.message


def test_asr304_open_proxy_passes() -> None:
    through = ep("login", via_proxy="http://10.0.0.9:3128", proxy_status=200)
    result = run(no_authenticating_proxy, healthy(proxies=(PROXY,), endpoints=(through,)))
    assert result.outcome == Outcome.PASS


def test_asr304_unknown_without_proxy_probe() -> None:
    assert run(no_authenticating_proxy, healthy(proxies=None)).outcome == Outcome.UNKNOWN


def test_asr305_unreachable_proxy_fails() -> None:
    dead = ep(
        "login", tls_ok=False, via_proxy="http://10.0.0.9:3128", error="curl: (7) Failed to connect"
    )
    result = run(proxy_reachable, healthy(proxies=(PROXY,), endpoints=(dead,)))
    assert result.outcome == Outcome.FAIL
    assert "Failed to connect" in result.message


def test_asr305_forbidden_connect_fails_and_407_counts_as_reachable() -> None:
    forbidden = ep("login", tls_ok=False, via_proxy="http://10.0.0.9:3128", proxy_status=403)
    assert (
        run(proxy_reachable, healthy(proxies=(PROXY,), endpoints=(forbidden,))).outcome
        == Outcome.FAIL
    )
    asked = replace(forbidden, proxy_status=407)
    result = run(proxy_reachable, healthy(proxies=(PROXY,), endpoints=(asked,)))
    assert result.outcome == Outcome.PASS and "ASR304" in result.message


def test_asr305_unknown_when_endpoints_not_probed() -> None:
    result = run(proxy_reachable, healthy(proxies=(PROXY,), endpoints=None))
    assert result.outcome == Outcome.UNKNOWN


# -- ASR306 --------------------------------------------------------------------------------------

A = make_vm("vm-sap-a", nic_ids=("/n/a",))
B = make_vm("vm-sap-b", nic_ids=("/n/b",))
GROUP_PLAN = make_plan(guest={}, groups=[{"name": "sap", "vms": ["vm-sap-a", "vm-sap-b"]}])


def pair_results(a_ports: Any, b_ports: Any = (), **snap: Any) -> dict[str, Any]:
    guests = []
    if a_ports is not None:
        guests.append(healthy(A, port_probes=a_ports))
    if b_ports is not None:
        guests.append(healthy(B, port_probes=b_ports))
    nics = (
        NetworkInterface("/n/a", "a", ip_configurations=(IpConfiguration("p", True, "10.1.0.4"),)),
        NetworkInterface("/n/b", "b", ip_configurations=(IpConfiguration("p", True, "10.1.0.5"),)),
    )
    snapshot = make_snapshot(
        vms=[A, B], plan=GROUP_PLAN, guests=guests, network_interfaces=nics, **snap
    )
    return {r.target: r for r in evaluate_rule(port_20004_guest, snapshot)}


def probe(peer: Any, result: str, detail: str | None = None) -> PortProbe:
    return PortProbe(peer.id, "10.1.0.5" if peer is B else "10.1.0.4", 20004, result, detail)  # type: ignore[arg-type]


def test_asr306_timeout_fails_refused_passes_with_note() -> None:
    results = pair_results((probe(B, "timeout"),), (probe(A, "refused"),))
    ab, ba = results["vm-sap-a -> vm-sap-b"], results["vm-sap-b -> vm-sap-a"]
    assert ab.outcome == Outcome.FAIL and ab.vm == "vm-sap-a" and "timed out" in ab.message
    assert ba.outcome == Outcome.PASS and "REJECT" in ba.message


def test_asr306_connected_passes_and_prohibited_fails() -> None:
    results = pair_results((probe(B, "connected"),), (probe(A, "error", "No route to host"),))
    assert results["vm-sap-a -> vm-sap-b"].outcome == Outcome.PASS
    assert results["vm-sap-b -> vm-sap-a"].outcome == Outcome.FAIL


def test_asr306_unreachable_source_is_unknown() -> None:
    error = FactError("guest", A.id, "vm-sap-a: no SSH answer from 10.1.0.4:22 within 10 s")
    results = pair_results(None, (probe(A, "connected"),), errors=(error,))
    assert results["vm-sap-a -> vm-sap-b"].outcome == Outcome.UNKNOWN
    assert "no SSH answer" in results["vm-sap-a -> vm-sap-b"].message
    assert results["vm-sap-b -> vm-sap-a"].outcome == Outcome.PASS


def test_asr306_missing_peer_probe_is_unknown() -> None:
    results = pair_results((), (probe(A, "connected"),))
    assert results["vm-sap-a -> vm-sap-b"].outcome == Outcome.UNKNOWN


def test_asr306_skips_without_guest_section_and_outside_groups() -> None:
    plan = make_plan(groups=[{"name": "sap", "vms": ["vm-sap-a", "vm-sap-b"]}])
    snapshot = make_snapshot(vms=[A, B, LINUX], plan=plan)
    outcomes = {r.target: r.outcome for r in evaluate_rule(port_20004_guest, snapshot)}
    assert outcomes["vm-sap-a -> vm-sap-b"] == Outcome.SKIP
    assert outcomes[LINUX.id] == Outcome.SKIP


# -- ASR307 / ASR308 / ASR309 --------------------------------------------------------------------


def test_asr307_low_space_fails_and_windows_skips() -> None:
    result = run(linux_root_free_space, healthy(root_free_bytes=300 * 1024**2))
    assert result.outcome == Outcome.FAIL and "0.29 GiB" in result.message
    assert run(linux_root_free_space, healthy(WINDOWS), vm=WINDOWS).outcome == Outcome.SKIP
    assert run(linux_root_free_space, healthy(root_free_bytes=None)).outcome == Outcome.UNKNOWN


@pytest.mark.parametrize(
    ("names", "outcome"),
    [
        (("root=/dev/sda1",), Outcome.FAIL),
        (("root=UUID=1234", "resume=/dev/sdb2"), Outcome.FAIL),
        (("root=/dev/nvme0n1p2",), Outcome.FAIL),
        (("root=/dev/mapper/rootvg-rootlv", "resume=LABEL=swap"), Outcome.PASS),
        (("root=PARTUUID=abcd-01",), Outcome.PASS),
    ],
)
def test_asr308_device_names(names: tuple[str, ...], outcome: Outcome) -> None:
    assert run(linux_grub_persistent_names, healthy(grub_device_names=names)).outcome == outcome


def test_asr308_unknown_without_grub_and_skip_on_windows() -> None:
    assert (
        run(linux_grub_persistent_names, healthy(grub_device_names=None)).outcome == Outcome.UNKNOWN
    )
    assert run(linux_grub_persistent_names, healthy(WINDOWS), vm=WINDOWS).outcome == Outcome.SKIP


def test_asr308_partial_grub_read_is_unknown_unless_a_readable_file_fails() -> None:
    partial = {"grub": "not readable by the probe user: /boot/grub2/grub.cfg, /boot/efi/"}
    result = run(linux_grub_persistent_names, healthy(probe_errors=partial))
    assert result.outcome == Outcome.UNKNOWN and "/boot/grub2/grub.cfg" in result.message
    stale = healthy(grub_device_names=("root=/dev/sda1",), probe_errors=partial)
    assert run(linux_grub_persistent_names, stale).outcome == Outcome.FAIL
    nothing = healthy(grub_device_names=None, grub_files=None, probe_errors=partial)
    result = run(linux_grub_persistent_names, nothing)
    assert result.outcome == Outcome.UNKNOWN and "/boot/efi/" in result.message


def test_asr309_disabled_vss_fails() -> None:
    services = (ServiceState("COMSysApp", "Manual"), ServiceState("VSS", "Disabled"))
    result = run(windows_vss_complus, healthy(WINDOWS, services=services), vm=WINDOWS)
    assert (
        result.outcome == Outcome.FAIL and "Volume Shadow Copy (VSS) is disabled" in result.message
    )


def test_asr309_missing_service_is_unknown_and_linux_skips() -> None:
    services = (ServiceState("VSS", "Manual"),)
    assert (
        run(windows_vss_complus, healthy(WINDOWS, services=services), vm=WINDOWS).outcome
        == Outcome.UNKNOWN
    )
    assert (
        run(windows_vss_complus, healthy(WINDOWS, services=None), vm=WINDOWS).outcome
        == Outcome.UNKNOWN
    )
    assert run(windows_vss_complus, healthy()).outcome == Outcome.SKIP


# -- fail-closed regressions: what the guest did not report, or the probe never asked, is unknown --

OPEN_PROXY = ProxySetting("/etc/environment:https_proxy", "http://proxy:3128")
VIA = "http://proxy:3128"
CACHE = (
    "/subscriptions/00000000-0000-0000-0000-0000000000a1/resourceGroups/r"
    "/providers/Microsoft.Storage/storageAccounts/cacheacct"
)

# -- ASR304: a configured proxy that was never asked is not a pass --------------------------------


@pytest.mark.parametrize(
    "endpoints",
    [
        (),
        ENDPOINTS,  # every endpoint probed directly (via_proxy=None)
        tuple(
            replace(e, via_proxy=VIA, tls_ok=False, error="proxy unreachable") for e in ENDPOINTS
        ),
    ],
    ids=["no-endpoints", "direct", "proxy-unreachable"],
)
def test_asr304_proxy_never_asked_is_unknown(endpoints: Any) -> None:
    result = run(no_authenticating_proxy, healthy(proxies=(OPEN_PROXY,), endpoints=endpoints))
    assert result.outcome == Outcome.UNKNOWN, result.message
    assert "http://proxy:3128" in result.message


def test_asr304_credentials_fail_even_when_proxy_never_asked() -> None:
    secret = replace(OPEN_PROXY, url="http://***@proxy:3128", has_credentials=True)
    result = run(no_authenticating_proxy, healthy(proxies=(secret,), endpoints=()))
    assert result.outcome == Outcome.FAIL


def test_asr304_passes_when_the_proxy_answered_without_407() -> None:
    through = tuple(replace(e, via_proxy=VIA, proxy_status=200) for e in ENDPOINTS)
    result = run(no_authenticating_proxy, healthy(proxies=(OPEN_PROXY,), endpoints=through))
    assert result.outcome == Outcome.PASS, result.message


# -- ASR305: skip only when no proxy is configured -----------------------------------------------


def test_asr305_proxy_probe_error_is_unknown_not_skip() -> None:
    facts = healthy(proxies=None, probe_errors={"proxy": "exit status 2: permission denied"})
    result = run(proxy_reachable, facts)
    assert result.outcome == Outcome.UNKNOWN, result.message
    assert "permission denied" in result.message


def test_asr305_configured_proxy_not_probed_is_unknown_not_skip() -> None:
    result = run(proxy_reachable, healthy(proxies=(OPEN_PROXY,), endpoints=ENDPOINTS))
    assert result.outcome == Outcome.UNKNOWN, result.message
    assert "http://proxy:3128" in result.message


def test_asr305_skips_without_proxy() -> None:
    assert run(proxy_reachable, healthy(proxies=())).outcome == Outcome.SKIP


# -- ASR302 / ASR303: every required endpoint must have been probed ------------------------------


@pytest.mark.parametrize("rule", [tls_to_endpoints, dns_resolves_endpoints], ids=lambda r: r.code)
def test_partial_endpoint_list_is_unknown(rule: Any) -> None:
    result = run(rule, healthy(endpoints=(ep("login"),)))
    assert result.outcome == Outcome.UNKNOWN, result.message
    for name in ("site_recovery", "service_bus"):
        assert name in result.message
    assert "storage" not in result.message  # no cache account planned: not required


@pytest.mark.parametrize("rule", [tls_to_endpoints, dns_resolves_endpoints], ids=lambda r: r.code)
def test_planned_cache_storage_must_be_probed(rule: Any) -> None:
    plan = make_plan(target={"region": "westus2", "cache_storage_account": CACHE}, guest={})
    without_storage = tuple(e for e in ENDPOINTS if e.name != "storage")
    result = run(rule, healthy(endpoints=without_storage), plan=plan)
    assert result.outcome == Outcome.UNKNOWN, result.message
    assert "storage" in result.message
    assert run(rule, healthy(endpoints=ENDPOINTS), plan=plan).outcome == Outcome.PASS


WEST_CACHE = CACHE.replace("cacheacct", "cachewest")
PER_REGION = make_plan(
    target={"region": "westus2", "cache_storage_accounts": {"eastus": CACHE, "westus": WEST_CACHE}},
    guest={},
)  # fmt: skip


@pytest.mark.parametrize("rule", [tls_to_endpoints, dns_resolves_endpoints], ids=lambda r: r.code)
def test_per_region_plan_expects_the_cache_account_of_the_vms_region(rule: Any) -> None:
    east, west = make_vm("vm-east", location="eastus"), make_vm("vm-west", location="westus")
    # the eastus VM probed its own region's account (CACHE): pass
    assert run(rule, healthy(east), vm=east, plan=PER_REGION).outcome == Outcome.PASS
    # the westus VM probed the eastus account, not its own: the required one is missing
    result = run(rule, healthy(west), vm=west, plan=PER_REGION)
    assert result.outcome == Outcome.UNKNOWN, result.message
    assert "cachewest.blob.core.windows.net:443" in result.message
    own = replace(ep("storage"), host="cachewest.blob.core.windows.net")
    probes = (*ENDPOINTS[:3], own)
    assert run(rule, healthy(west, endpoints=probes), vm=west, plan=PER_REGION).outcome == (
        Outcome.PASS
    )


@pytest.mark.parametrize("rule", [tls_to_endpoints, dns_resolves_endpoints], ids=lambda r: r.code)
def test_vm_whose_region_has_no_cache_account_needs_no_storage_probe(rule: Any) -> None:
    north = make_vm("vm-north", location="northeurope")
    without_storage = ENDPOINTS[:3]
    result = run(rule, healthy(north, endpoints=without_storage), vm=north, plan=PER_REGION)
    assert result.outcome == Outcome.PASS, result.message
    assert "no cache storage account for northeurope" in result.message
    assert "ASR210" in result.message
    # the note explains a missing storage probe in an unknown too, and a single plan has none
    partial = run(rule, healthy(north, endpoints=ENDPOINTS[:1]), vm=north, plan=PER_REGION)
    assert partial.outcome == Outcome.UNKNOWN and "ASR210" in partial.message
    single = make_plan(target={"region": "westus2", "cache_storage_account": CACHE}, guest={})
    assert "ASR210" not in run(rule, healthy(north), vm=north, plan=single).message


def test_asr302_failure_still_wins_over_missing_endpoints() -> None:
    bad = ep("login", tls_ok=False, error="curl: (7) Failed to connect")
    assert run(tls_to_endpoints, healthy(endpoints=(bad,))).outcome == Outcome.FAIL


# -- ASR301: an unreadable expiry is not "unexpired" ---------------------------------------------


@pytest.mark.parametrize("not_after", ["", "not a date"])
def test_asr301_unreadable_expiry_is_unknown(not_after: str) -> None:
    result = run(
        root_certificates_current, healthy(root_certificates=(replace(G2, not_after=not_after), MS))
    )
    assert result.outcome == Outcome.UNKNOWN, result.message
    assert "DigiCert Global Root G2" in result.message and "expiry" in result.message


def test_asr301_missing_root_fails_even_next_to_unreadable_expiry() -> None:
    result = run(root_certificates_current, healthy(root_certificates=(replace(G2, not_after=""),)))
    assert result.outcome == Outcome.FAIL


# -- ASR309: a service without a start type is not "not disabled" --------------------------------


def test_asr309_missing_start_type_is_unknown() -> None:
    services = (ServiceState("COMSysApp", None, "Stopped"), ServiceState("VSS", "Manual"))
    result = run(windows_vss_complus, healthy(WINDOWS, services=services), vm=WINDOWS)
    assert result.outcome == Outcome.UNKNOWN, result.message
    assert "COM+ System Application" in result.message
