"""End to end against the namespace lab: real sshd, nftables and tinyproxy, the real probe
scripts over paramiko, the real rules. One guest per verdict:

- healthy:    current roots, direct egress                         -> Ready
- stale:      no Microsoft RSA 2017, expired Baltimore              -> ASR301 fails
- authproxy:  credentials in /etc/environment and yum.conf, 407     -> ASR304 (and ASR302) fail
- firewalled: nft DROP on 20004, egress through an open proxy       -> sapdb -> firewalled fails
- sapdb:      listens on 20004 (the agent's port)                   -> firewalled -> sapdb passes
- rekeyed:    known_hosts holds another key                         -> refused, every ASR3xx unknown
- lvmroot:    LVM root and swap named on the GRUB line and present (sudo -n lvs); data disks
              at LUN 0 (MBR, lun0-part1 link) and LUN 1 (the PV, known from udev's record)
                                                                    -> Ready
- lvmstale:   GRUB also names oldvg/lv_root, which lvs does not list; LUN 1 blank (blkid -p)
                                                                    -> ASR312, ASR313 fail
- nosudo:     lvs may not run (no sudo rule), LUN 0 unreadable       -> ASR312, ASR313 unknown

ASR311 is left out of the verdicts: the lab guests run the host's kernel whatever their
os-release says, so it is unknown for all of them (test_os_supported_names_the_table_date).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from pathlib import Path
from typing import Any

import pytest

from asr_preflight.api import Outcome
from asr_preflight.engine import Verdict, evaluate, load_rules
from asr_preflight.guest.collect import collect_guests
from asr_preflight.options import GuestOptions
from asr_preflight.snapshot import (
    Disk,
    IpConfiguration,
    NetworkInterface,
    Snapshot,
    snapshot_from_json,
    snapshot_to_json,
)
from asr_preflight.testing import make_plan, make_snapshot, make_vm
from conftest import DATA_LUNS, PROXY_PASSWORD, VM_PASSWORD
from lab import AZURE_NAMES, BALTIMORE, Lab

pytestmark = pytest.mark.lab

PASSWORD_ENV = "ASR_LAB_SSH_PASSWORD"
ENDPOINTS = dict(
    zip(("login", "storage", "site_recovery", "service_bus"), AZURE_NAMES, strict=True)
)


def estate(lab: Lab, names: list[str] | None = None, **guest: Any) -> tuple[Any, Snapshot]:
    names = names or list(lab.vms)
    vms, nics = [], []
    for name in names:
        nic_id = f"/subscriptions/s/resourceGroups/lab/providers/Microsoft.Network/nics/{name}"
        data = tuple(Disk(f"{name}-data{lun}", lun=lun) for lun in DATA_LUNS.get(name, ()))
        vms.append(make_vm(name, nic_ids=(nic_id,), data_disks=data))
        ipc = IpConfiguration("ipconfig1", primary=True, private_ip=lab.vms[name].ip)
        nics.append(NetworkInterface(nic_id, name, ip_configurations=(ipc,)))
    section: dict[str, Any] = {
        "connect_timeout_seconds": 3,
        "probe_timeout_seconds": 2,
        "budget_seconds": 30,
        "linux": {
            "user": "azureuser",
            "password_env": PASSWORD_ENV,
            "known_hosts": str(lab.known_hosts),
            "sudo": True,  # `sudo -n lvs` where the guest allows it (lvmroot, lvmstale; nosudo)
        },
        "endpoints": ENDPOINTS,
    }
    section.update(guest)
    groups = (
        [{"name": "sap", "vms": ["sapdb", "firewalled"]}]
        if {"sapdb", "firewalled"} <= set(names)
        else []
    )
    plan = make_plan(guest=section, groups=groups)
    return plan, make_snapshot(vms=vms, plan=plan, network_interfaces=tuple(nics))


@pytest.fixture(scope="module")
def collected(guest_lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    mp = pytest.MonkeyPatch()
    mp.setenv(PASSWORD_ENV, VM_PASSWORD)
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    handler = Keep(level=logging.DEBUG)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        plan, snapshot = estate(guest_lab)
        result = collect_guests(plan, snapshot, GuestOptions(concurrency=8))
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        mp.undo()
    rules = [r for r in load_rules() if r.code.startswith("ASR3") and r.code != "ASR311"]
    evaluation = evaluate(result, plan, rules)
    return {"plan": plan, "snapshot": result, "evaluation": evaluation, "logs": records}


def outcomes(collected: dict[str, Any], vm: str) -> dict[str, Any]:
    return {
        (r.rule if " -> " not in r.target else f"{r.rule} {r.target}"): r
        for r in collected["evaluation"].results
        if r.vm == vm
    }


def verdicts(collected: dict[str, Any]) -> dict[str, Verdict]:
    return {v.name: v.verdict for v in collected["evaluation"].vms}


def test_verdict_per_guest(collected: dict[str, Any]) -> None:
    assert verdicts(collected) == {
        "healthy": Verdict.READY,
        "stale": Verdict.NOT_READY,
        "authproxy": Verdict.NOT_READY,
        "firewalled": Verdict.READY,
        "sapdb": Verdict.NOT_READY,
        "rekeyed": Verdict.UNKNOWN,
        "lvmroot": Verdict.READY,
        "lvmstale": Verdict.NOT_READY,
        "nosudo": Verdict.UNKNOWN,
    }


def test_healthy_guest_facts(collected: dict[str, Any], guest_lab: Lab) -> None:
    [facts] = [g for g in collected["snapshot"].guests if g.vm_id.endswith("/healthy")]
    assert facts.os_release["ID"] == "ubuntu" and facts.kernel
    assert facts.trust_store == "/etc/ssl/certs/ca-certificates.crt"
    assert len(facts.root_certificates) > 100
    assert facts.proxies == ()
    assert {e.name for e in facts.endpoints} == set(ENDPOINTS)
    assert all(e.resolved and e.tls_ok and e.via_proxy is None for e in facts.endpoints)
    assert facts.root_free_bytes and facts.root_free_bytes > 0
    assert facts.probe_errors == {}
    assert facts.grub_files == ("/etc/default/grub",)
    assert facts.grub_device_names == ("root=UUID=2f1e5c1a-2b7d-4d0e-9a57-3c1f0d2b6e11",)
    results = outcomes(collected, "healthy")
    assert results["ASR305"].outcome == Outcome.SKIP
    assert all(r.outcome in (Outcome.PASS, Outcome.SKIP) for r in results.values())


def test_stale_roots(collected: dict[str, Any]) -> None:
    result = outcomes(collected, "stale")["ASR301"]
    assert result.outcome == Outcome.FAIL
    assert "Microsoft RSA Root Certificate Authority 2017 is missing" in result.message
    [facts] = [g for g in collected["snapshot"].guests if g.vm_id.endswith("/stale")]
    assert any(c.sha256 == BALTIMORE for c in facts.root_certificates) or any(
        "Baltimore" in c.subject for c in facts.root_certificates
    )
    grub = outcomes(collected, "stale")["ASR308"]
    assert grub.outcome == Outcome.FAIL and "resume=/dev/sdb2" in grub.message
    others = {
        k: r.outcome
        for k, r in outcomes(collected, "stale").items()
        if k not in ("ASR301", "ASR308")
    }
    assert Outcome.FAIL not in others.values()


def test_authenticating_proxy(collected: dict[str, Any], guest_lab: Lab) -> None:
    results = outcomes(collected, "authproxy")
    assert results["ASR304"].outcome == Outcome.FAIL
    assert "407" in results["ASR304"].message
    assert "/etc/yum.conf" in results["ASR304"].message
    assert f"http://***@{guest_lab.proxy_ip}:3128" in results["ASR304"].message
    assert results["ASR302"].outcome == Outcome.FAIL  # the agent could not get through
    assert results["ASR305"].outcome == Outcome.PASS  # reachable; authentication is ASR304's
    assert results["ASR303"].outcome == Outcome.FAIL  # no DNS in the guest, the proxy refused
    [facts] = [g for g in collected["snapshot"].guests if g.vm_id.endswith("/authproxy")]
    assert facts.trust_store == "/etc/pki/tls/certs/ca-bundle.crt"  # the RHEL layout


def test_port_20004_pairs(collected: dict[str, Any], guest_lab: Lab) -> None:
    dropped = outcomes(collected, "sapdb")["ASR306 sapdb -> firewalled"]
    assert dropped.outcome == Outcome.FAIL and "timed out" in dropped.message
    reached = outcomes(collected, "firewalled")["ASR306 firewalled -> sapdb"]
    assert reached.outcome == Outcome.PASS and "succeeded" in reached.message
    # the firewalled guest reaches Azure through the open proxy, and resolves nothing itself
    fw = outcomes(collected, "firewalled")
    assert fw["ASR302"].outcome == Outcome.PASS and guest_lab.proxy_ip in fw["ASR302"].message
    assert fw["ASR303"].outcome == Outcome.PASS and "resolved by the proxy" in fw["ASR303"].message
    assert fw["ASR305"].outcome == Outcome.PASS


def test_each_guest_probes_the_cache_account_of_its_own_region(
    guest_lab: Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Per-region cache accounts: the eastus guest probes labcache (which the lab serves), the
    westus guest probes its own region's account (which resolves nowhere in the lab)."""
    monkeypatch.setenv(PASSWORD_ENV, VM_PASSWORD)
    unpinned = {k: v for k, v in ENDPOINTS.items() if k != "storage"}
    plan, snapshot = estate(guest_lab, ["healthy", "lvmroot"], endpoints=unpinned)
    account = "/subscriptions/s/resourceGroups/dr/providers/Microsoft.Storage/storageAccounts/"
    accounts = {"eastus": account + "labcache", "westus": account + "othercache"}
    plan = plan.model_copy(
        update={"target": plan.target.model_copy(update={"cache_storage_accounts": accounts})}
    )
    vms = tuple(
        dataclasses.replace(vm, location="westus") if vm.name == "lvmroot" else vm
        for vm in snapshot.vms
    )
    snapshot = dataclasses.replace(snapshot, plan=plan, vms=vms)
    result = collect_guests(plan, snapshot, GuestOptions())
    assert not result.errors, result.errors
    storage = {
        g.vm_id.rsplit("/", 1)[-1]: [e.host for e in g.endpoints or () if e.name == "storage"]
        for g in result.guests
    }
    assert storage == {
        "healthy": ["labcache.blob.core.windows.net"],
        "lvmroot": ["othercache.blob.core.windows.net"],
    }
    rules = [r for r in load_rules() if r.code in ("ASR302", "ASR303")]
    by = {(r.vm, r.rule): r for r in evaluate(result, plan, rules).results}
    assert by["healthy", "ASR302"].outcome == Outcome.PASS, by["healthy", "ASR302"].message
    assert by["healthy", "ASR303"].outcome == Outcome.PASS
    unresolved = by["lvmroot", "ASR303"]
    assert unresolved.outcome == Outcome.FAIL and "othercache" in unresolved.message
    assert by["lvmroot", "ASR302"].outcome == Outcome.FAIL


def guest_lab_ip(collected: dict[str, Any], name: str) -> str:
    [vm] = [v for v in collected["snapshot"].vms if v.name == name]
    [nic] = [n for n in collected["snapshot"].network_interfaces if n.id == vm.primary_nic_id]
    return nic.ip_configurations[0].private_ip or "?"


def test_host_key_mismatch_is_refused_and_unknown(collected: dict[str, Any]) -> None:
    [error] = [e for e in collected["snapshot"].errors if e.scope.endswith("/rekeyed")]
    assert error.kind == "guest"
    assert "host key mismatch" in error.cause and guest_lab_ip(collected, "rekeyed") in error.cause
    assert "ssh-keygen -R" in error.hint
    results = outcomes(collected, "rekeyed")
    applicable = {k: r for k, r in results.items() if k not in ("ASR306", "ASR309", "ASR313")}
    assert len(applicable) == 8  # ASR301-305, 307, 308, 312
    assert {r.outcome for r in applicable.values()} == {Outcome.UNKNOWN}
    assert all("host key mismatch" in r.message for r in applicable.values())
    assert all("rekeyed" in r.message for r in applicable.values())  # the rule names the VM
    assert results["ASR309"].outcome == Outcome.SKIP  # Linux
    assert results["ASR313"].outcome == Outcome.SKIP  # no data disks


def test_no_secret_anywhere(collected: dict[str, Any], tmp_path: Path) -> None:
    snapshot_json = snapshot_to_json(collected["snapshot"])
    assert snapshot_from_json(snapshot_json) == collected["snapshot"]
    results_json = json.dumps([dataclasses.asdict(r) for r in collected["evaluation"].results])
    logs = "\n".join(collected["logs"])
    assert logs  # the collector did log
    for secret in (VM_PASSWORD, PROXY_PASSWORD):
        for name, text in (("snapshot", snapshot_json), ("results", results_json), ("log", logs)):
            assert secret not in text, f"a canary credential leaked into the {name}"
    _reporters_do_not_leak(collected, tmp_path)


def _reporters_do_not_leak(collected: dict[str, Any], out: Path) -> None:
    """The JSON, JUnit and HTML reports of this run carry neither canary."""
    from asr_preflight.reporters import RunInfo, write_reports

    info = RunInfo.of(collected["snapshot"], collected["plan"])
    written = write_reports(collected["evaluation"], info, ("json", "junit", "html"), out)
    assert len(written) == 3
    for path in written:
        text = path.read_text(errors="replace")
        assert "authproxy" in text  # the report is about this run
        assert VM_PASSWORD not in text and PROXY_PASSWORD not in text, path.name


def test_unknown_host_key_refused_unless_accepted(
    guest_lab: Lab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, VM_PASSWORD)
    empty = tmp_path / "known_hosts"
    linux = {"user": "azureuser", "password_env": PASSWORD_ENV, "known_hosts": str(empty)}
    plan, snapshot = estate(guest_lab, ["healthy"], linux=linux)
    refused = collect_guests(plan, snapshot, GuestOptions())
    [error] = refused.errors
    assert "is not in" in error.cause and "--accept-new-host-keys" in error.hint
    assert not refused.guests
    accepted = collect_guests(plan, snapshot, GuestOptions(accept_new_host_keys=True))
    assert [g.vm_id.rsplit("/", 1)[1] for g in accepted.guests] == ["healthy"]
    line = empty.read_text().strip()
    assert line.startswith("|1|") and "ssh-ed25519" in line  # recorded, hashed
    again = collect_guests(plan, snapshot, GuestOptions())  # now known
    assert again.guests and not again.errors


def test_key_auth_through_a_jump_host(guest_lab: Lab) -> None:
    linux = {
        "user": "azureuser",
        "key_file": str(guest_lab.client_key),
        "known_hosts": str(guest_lab.known_hosts),
        "jump_host": f"azureuser@{guest_lab.vms['healthy'].ip}",
    }
    plan, snapshot = estate(guest_lab, ["stale"], linux=linux)
    result = collect_guests(plan, snapshot, GuestOptions())
    assert not result.errors, result.errors
    [facts] = result.guests
    assert facts.os_release["ID"] == "debian"


def test_wrong_password_is_an_authentication_error(
    guest_lab: Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "not-the-password")
    plan, snapshot = estate(guest_lab, ["healthy"])
    [error] = collect_guests(plan, snapshot, GuestOptions()).errors
    assert "authentication" in error.cause and "not-the-password" not in error.cause


def test_no_guest_option_marks_the_snapshot(guest_lab: Lab) -> None:
    plan, snapshot = estate(guest_lab, ["healthy"])
    result = collect_guests(plan, snapshot, GuestOptions(enabled=False))
    assert result.collection.guest_skipped and not result.guests


# -- storage: LVM named by GRUB (ASR312), data disks by LUN (ASR313), the OS (ASR311) ----------


def guest_facts(collected: dict[str, Any], name: str) -> Any:
    [facts] = [g for g in collected["snapshot"].guests if g.vm_id.endswith(f"/{name}")]
    return facts


def test_lvm_root_and_data_disks_present(collected: dict[str, Any], guest_lab: Lab) -> None:
    facts = guest_facts(collected, "lvmroot")
    assert facts.grub_lvm_volumes == ("rootvg/root", "rootvg/swap")
    assert facts.logical_volumes == ("rootvg/root", "rootvg/swap")  # real lvs, via sudo -n
    loops = guest_lab.disks["lvmroot"].loops
    lun0, lun1 = facts.data_disks
    assert (lun0.lun, lun0.device, lun0.partitions) == (0, loops[0], 1)  # lun0-part1 link
    assert (lun1.lun, lun1.device, lun1.partitions) == (1, loops[1], 0)
    assert (lun1.partition_table, lun1.filesystem) == ("", "LVM2_member")  # udev's record
    assert "lvs" not in facts.probe_errors and "disks" not in facts.probe_errors
    results = outcomes(collected, "lvmroot")
    assert results["ASR312"].outcome == Outcome.PASS
    assert results["ASR313"].outcome == Outcome.PASS and "LUN 0, 1" in results["ASR313"].message


def test_grub_names_a_missing_volume_and_a_blank_disk(collected: dict[str, Any]) -> None:
    facts = guest_facts(collected, "lvmstale")
    assert facts.grub_lvm_volumes == ("rootvg/root", "rootvg/swap", "oldvg/lv_root")
    assert facts.logical_volumes == ("rootvg/root",)
    blank = facts.data_disks[1]
    assert (blank.partitions, blank.partition_table, blank.filesystem) == (0, "", "")  # blkid -p
    assert facts.data_disks[0].filesystem == "LVM2_member"  # read from the device itself
    results = outcomes(collected, "lvmstale")
    assert results["ASR312"].outcome == Outcome.FAIL
    assert "rootvg/swap, oldvg/lv_root" in results["ASR312"].message
    assert results["ASR313"].outcome == Outcome.FAIL and "LUN 1" in results["ASR313"].message
    assert "LUN 0" not in results["ASR313"].message


def test_lvs_without_root_and_an_unreadable_disk_are_unknown(collected: dict[str, Any]) -> None:
    facts = guest_facts(collected, "nosudo")
    assert facts.logical_volumes is None and "sudo" in facts.probe_errors["lvs"]
    results = outcomes(collected, "nosudo")
    assert results["ASR312"].outcome == Outcome.UNKNOWN and "sudo" in results["ASR312"].message
    assert results["ASR313"].outcome == Outcome.UNKNOWN
    assert "udev has no record" in results["ASR313"].message


def test_without_the_sudo_opt_in_lvs_is_unknown_even_where_sudo_would_work(
    guest_lab: Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    """lvmroot's sudoers rule allows `sudo -n lvs`, but the plan does not say `sudo = true`:
    the probe must not call sudo (a refusal elsewhere would log a failed authentication), so
    ASR312 is unknown with a hint naming the plan key."""
    monkeypatch.setenv(PASSWORD_ENV, VM_PASSWORD)
    linux = {
        "user": "azureuser",
        "password_env": PASSWORD_ENV,
        "known_hosts": str(guest_lab.known_hosts),
    }
    plan, snapshot = estate(guest_lab, ["lvmroot"], linux=linux)
    result = collect_guests(plan, snapshot, GuestOptions())
    [facts] = result.guests
    assert facts.logical_volumes is None and "sudo is off" in facts.probe_errors["lvs"]
    [rule] = [r for r in load_rules() if r.code == "ASR312"]
    [finding] = evaluate(result, plan, [rule]).results
    assert finding.outcome == Outcome.UNKNOWN
    assert "[guest.linux] sudo = true" in (finding.hint or "")


def test_guests_without_the_azure_udev_rules_report_no_luns(collected: dict[str, Any]) -> None:
    facts = guest_facts(collected, "stale")
    assert facts.data_disks is None and "/dev/disk/azure" in facts.probe_errors["disks"]
    healthy = guest_facts(collected, "healthy")
    assert healthy.data_disks == () and healthy.logical_volumes == ()


def test_os_supported_names_the_table_date(collected: dict[str, Any]) -> None:
    """The lab guests share the host's kernel, which no support table lists: unknown."""
    from asr_preflight.support_matrix import load

    [rule] = [r for r in load_rules() if r.code == "ASR311"]
    evaluation = evaluate(collected["snapshot"], collected["plan"], [rule])
    by_vm = {r.vm: r for r in evaluation.results}
    facts = guest_facts(collected, "lvmroot")
    assert facts.os_release["ID"] == "rhel" and facts.kernel == os.uname().release
    result = by_vm["lvmroot"]
    assert result.outcome == Outcome.UNKNOWN
    assert f"kernel {os.uname().release}" in result.message and load().date in result.message
    assert by_vm["rekeyed"].outcome == Outcome.UNKNOWN


def test_storage_probe_writes_nothing_inside_a_guest(guest_lab: Lab) -> None:
    """As root inside the lvmstale guest (its mounts, its lvm.conf and LUN links, real loop
    devices), traced: lvs and blkid -p run, nothing is written."""
    import shutil
    import subprocess
    from importlib.resources import files

    if shutil.which("strace") is None:
        pytest.skip("strace is not installed (make installs it)")
    sys_path = Path(str(files("asr_preflight_checks").joinpath("linux", "storage.sh")))
    pid = guest_lab.vm_pid("lvmstale")
    calls = "open,openat,creat,unlink,unlinkat,rename,renameat,renameat2,mkdir,mkdirat,rmdir"
    done = subprocess.run(
        ["nsenter", "-t", str(pid), "-m", "-u", "-n", "-p", "--",
         "strace", "-f", "-qq", "-e", f"trace={calls}", "-o", "/dev/stderr",
         "sh", "-s"],
        # the script goes in on stdin: a checkout under /tmp (CI's) is hidden inside the guest
        input=sys_path.read_text(encoding="utf-8"),
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    data = json.loads(done.stdout)
    assert data["logical_volumes"] == ["rootvg/root"]  # lvs really ran, as root
    assert [d["fstype"] for d in data["luns"]] == ["LVM2_member", ""]  # blkid -p really ran
    assert "execve" not in done.stderr and "openat" in done.stderr
    writes = [
        line
        for line in done.stderr.splitlines()
        if "= -1 " not in line
        and (
            (
                any(f in line for f in ("O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC"))
                and '"/dev/null"' not in line
            )
            or line.split(None, 1)[-1].split("(", 1)[0] in calls.split(",")[2:]
        )
    ]
    assert writes == []
