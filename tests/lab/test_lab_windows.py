"""Windows guests: the real pywinrm client (NTLM, over HTTPS with a verified certificate or over
HTTP with message encryption) against the fake WinRM endpoint, with real proxy, TLS and TCP
work behind the fake PowerShell."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
import trustme
from fake_winrm import FakeWinRM, WindowsState

from asr_preflight.api import Outcome
from asr_preflight.engine import Verdict, evaluate, load_rules
from asr_preflight.guest.collect import collect_guests
from asr_preflight.options import GuestOptions
from asr_preflight.snapshot import Disk, IpConfiguration, NetworkInterface, snapshot_to_json
from asr_preflight.testing import make_plan, make_snapshot, make_vm
from conftest import VM_PASSWORD
from lab import AZURE_NAMES, Lab

pytestmark = pytest.mark.lab

PASSWORD_ENV = "ASR_LAB_WINRM_PASSWORD"
ENDPOINTS = dict(
    zip(("login", "storage", "site_recovery", "service_bus"), AZURE_NAMES, strict=True)
)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("winrm-tls")
    ca = trustme.CA(organization_name="asr-preflight WinRM lab")
    server = ca.issue_cert("127.0.0.1")
    paths = {"ca": root / "ca.pem", "cert": root / "cert.pem", "key": root / "key.pem"}
    ca.cert_pem.write_to_path(str(paths["ca"]))
    server.private_key_pem.write_to_path(str(paths["key"]))
    paths["cert"].write_bytes(b"".join(b.bytes() for b in server.cert_chain_pems))
    return paths


def nic(name: str, ip: str) -> NetworkInterface:
    ipc = IpConfiguration("ipconfig1", primary=True, private_ip=ip)
    return NetworkInterface(f"/nics/{name}", name, ip_configurations=(ipc,))


def windows_estate(
    lab: Lab, port: int, windows: dict[str, Any], peer: bool = False, luns: tuple[int, ...] = ()
) -> tuple[Any, Any]:
    data = tuple(Disk(f"vm-win-data{lun}", lun=lun) for lun in luns)
    vms = [make_vm("vm-win", os_type="Windows", nic_ids=("/nics/vm-win",), data_disks=data)]
    nics = [nic("vm-win", "127.0.0.1")]
    groups = []
    linux: dict[str, Any] = {}
    if peer:
        vms.append(make_vm("sapdb", nic_ids=("/nics/sapdb",)))
        nics.append(nic("sapdb", lab.vms["sapdb"].ip))
        groups = [{"name": "sap", "vms": ["vm-win", "sapdb"]}]
        linux = {
            "user": "azureuser",
            "key_file": str(lab.client_key),
            "known_hosts": str(lab.known_hosts),
        }
    guest: dict[str, Any] = {
        "connect_timeout_seconds": 5,
        "probe_timeout_seconds": 2,
        "windows": {
            "user": "labadmin",
            "password_env": PASSWORD_ENV,
            "transport": "ntlm",
            **windows,
        },
        "hosts": {"vm-win": f"127.0.0.1:{port}"},
        "endpoints": ENDPOINTS,
    }
    if linux:
        guest["linux"] = linux
    plan = make_plan(guest=guest, groups=groups)
    return plan, make_snapshot(vms=vms, plan=plan, network_interfaces=tuple(nics))


def state(lab: Lab, **fields: Any) -> WindowsState:
    return WindowsState(
        user="labadmin",
        password=VM_PASSWORD,
        root_store_pem=lab.root / "fx" / "healthy.pem",
        **fields,
    )


def by_rule(evaluation: Any, vm: str) -> dict[str, Any]:
    return {r.rule: r for r in evaluation.results if r.vm == vm}


def test_windows_guest_over_https(
    guest_lab: Lab,
    certs: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, VM_PASSWORD)
    caplog.set_level(logging.DEBUG)
    windows = state(
        guest_lab,
        winhttp_proxy=guest_lab.open_proxy,
        services={"COMSysApp": "Disabled", "VSS": "Manual"},
    )
    windows.disks += [  # data disks on the second SCSI controller: LUN 0 ready, LUN 1 RAW
        {"number": 2, "lun": 0, "adapter": "1:0", "partition_style": "GPT", "is_boot": False,
         "is_system": False, "is_offline": False, "partitions": 2},
        {"number": 3, "lun": 1, "adapter": "1:0", "partition_style": "RAW", "is_boot": False,
         "is_system": False, "is_offline": False, "partitions": 0},
    ]  # fmt: skip
    with FakeWinRM(windows, (certs["cert"], certs["key"]), tmp_path / "users") as server:
        plan, snapshot = windows_estate(
            guest_lab, server.port, {"ca_bundle": str(certs["ca"])}, peer=True, luns=(0, 1)
        )
        result = collect_guests(plan, snapshot, GuestOptions())
    assert not result.errors, result.errors
    [facts] = [g for g in result.guests if g.vm_id.endswith("/vm-win")]
    assert facts.probe_errors == {}
    assert facts.transport == "winrm" and facts.os_release["ID"] == "windows"
    assert facts.trust_store == "Cert:\\LocalMachine\\Root" and len(facts.root_certificates) > 100
    assert [s.start_type for s in facts.services] == ["Disabled", "Manual"]
    assert facts.proxies[0].source == "WinHTTP"
    assert {e.name for e in facts.endpoints} == set(ENDPOINTS)
    assert all(e.via_proxy == guest_lab.open_proxy and e.tls_ok for e in facts.endpoints)
    evaluation = evaluate(result, plan, [r for r in load_rules() if r.code.startswith("ASR3")])
    results = by_rule(evaluation, "vm-win")
    assert results["ASR309"].outcome == Outcome.FAIL and "COMSysApp" in results["ASR309"].message
    for code in ("ASR301", "ASR302", "ASR303", "ASR304", "ASR305", "ASR306"):
        assert results[code].outcome == Outcome.PASS, results[code].message
    assert results["ASR307"].outcome == results["ASR308"].outcome == Outcome.SKIP
    assert results["ASR311"].outcome == Outcome.PASS and "2022" in results["ASR311"].message
    assert results["ASR312"].outcome == Outcome.SKIP
    assert results["ASR313"].outcome == Outcome.FAIL
    assert "LUN 1 (Disk 3): not initialized (RAW)" in results["ASR313"].message
    assert [d.lun for d in facts.data_disks] == [0, 1]  # the OS and temporary disks left out
    assert {v.name: v.verdict for v in evaluation.vms}["vm-win"] == Verdict.NOT_READY
    for text in (
        snapshot_to_json(result),
        caplog.text,
        "\n".join(r.message for r in evaluation.results),
    ):
        assert VM_PASSWORD not in text
    assert windows.commands  # the fake saw the probe scripts, and none carried a secret
    assert all("Canary" not in script for script in windows.commands)


def test_windows_guest_over_http_with_message_encryption(
    guest_lab: Lab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, VM_PASSWORD)
    windows = state(guest_lab, hosts=dict.fromkeys(AZURE_NAMES, guest_lab.inet_ip))
    with FakeWinRM(windows, None, tmp_path / "users") as server:
        plan, snapshot = windows_estate(guest_lab, server.port, {"scheme": "http"})
        result = collect_guests(plan, snapshot, GuestOptions())
    [facts] = result.guests
    assert {e.name for e in facts.endpoints} == set(ENDPOINTS)
    assert all(e.resolved and e.tls_ok and e.via_proxy is None for e in facts.endpoints)
    evaluation = evaluate(result, plan, [r for r in load_rules() if r.code.startswith("ASR3")])
    assert {v.verdict for v in evaluation.vms} == {Verdict.READY}


def test_untrusted_winrm_certificate_is_refused(
    guest_lab: Lab, certs: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, VM_PASSWORD)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    with FakeWinRM(state(guest_lab), (certs["cert"], certs["key"]), tmp_path / "users") as server:
        plan, snapshot = windows_estate(guest_lab, server.port, {})
        result = collect_guests(plan, snapshot, GuestOptions())
    [error] = result.errors
    assert "could not be verified" in error.cause and "ca_bundle" in error.hint
    assert not result.guests


def test_wrong_winrm_password(
    guest_lab: Lab, certs: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "Wrong-Canary-Guess")
    with FakeWinRM(state(guest_lab), (certs["cert"], certs["key"]), tmp_path / "users") as server:
        plan, snapshot = windows_estate(guest_lab, server.port, {"ca_bundle": str(certs["ca"])})
        [error] = collect_guests(plan, snapshot, GuestOptions()).errors
    assert "login as 'labadmin'" in error.cause and "Wrong-Canary-Guess" not in error.cause


def test_plain_http_without_encryption_is_refused(guest_lab: Lab) -> None:
    plan, snapshot = windows_estate(guest_lab, 1, {"scheme": "http", "transport": "certificate"})
    [error] = collect_guests(plan, snapshot, GuestOptions()).errors
    assert "unencrypted" in error.cause


def test_a_windows_guest_streaming_output_is_cut_at_the_cap(
    guest_lab: Lab, certs: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every Receive brings 256 KiB more and the command never ends: each probe stops at
    1 MiB, the guest ends within its budget, its rules are unknown."""
    import time

    monkeypatch.setenv(PASSWORD_ENV, VM_PASSWORD)
    windows = state(guest_lab, stream_forever=True)
    with FakeWinRM(windows, (certs["cert"], certs["key"]), tmp_path / "users") as server:
        plan, snapshot = windows_estate(guest_lab, server.port, {"ca_bundle": str(certs["ca"])})
        started = time.monotonic()
        result = collect_guests(plan, snapshot, GuestOptions())
        elapsed = time.monotonic() - started
    assert elapsed < 60  # the budget is 60 s; the cap ends it far sooner
    [facts] = result.guests
    assert set(facts.probe_errors) >= {"facts", "trust", "proxy"}
    assert all("printed more than 1024 KiB" in v for v in facts.probe_errors.values())
    evaluation = evaluate(result, plan, [r for r in load_rules() if r.code.startswith("ASR3")])
    assert by_rule(evaluation, "vm-win")["ASR301"].outcome == Outcome.UNKNOWN
