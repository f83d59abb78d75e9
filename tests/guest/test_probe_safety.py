"""The Linux probe scripts run for real (no guest needed): redaction of tricky proxy passwords,
and a hostile ~/.curlrc that must not turn a failed TLS check into a pass."""

from __future__ import annotations

import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path

import pytest

from asr_preflight.guest.redact import redact_url

LINUX = files("asr_preflight_checks") / "linux"
CANARIES = ("pa/ss-9f3", "p@ss-9f3", "s3cr3t-9f3")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://user:pa/ss-9f3@proxy:3128", "http://***@proxy:3128"),
        ("http://user:p@ss-9f3@proxy:3128", "http://***@proxy:3128"),
        ("http=u:s3cr3t-9f3@p:80;https=u:p@ss-9f3@p:443", "http=***@p:80;https=***@p:443"),
        ("user:pa/ss-9f3@proxy:3128", "***@proxy:3128"),
    ],
)
def test_redact_url_hides_passwords_with_slashes_ats_and_several_proxies(
    url: str, expected: str
) -> None:
    redacted, had = redact_url(url)
    assert had and redacted == expected
    assert not any(c in redacted for c in CANARIES)


@pytest.mark.parametrize(
    "value",
    ["http://user:pa/ss-9f3@proxy:3128", "http://user:p@ss-9f3@proxy:3128", "u:s3cr3t-9f3@p:80"],
)
def test_proxy_probe_redacts_inside_the_guest(value: str) -> None:
    env = {"PATH": os.environ["PATH"], "https_proxy": value}
    out = subprocess.run(
        ["sh", str(LINUX / "proxy.sh")], env=env, capture_output=True, text=True, timeout=30
    )
    assert not any(c in out.stdout + out.stderr for c in CANARIES), out.stdout
    [entry] = [p for p in json.loads(out.stdout)["proxies"] if p["source"] == "env:https_proxy"]
    assert entry["has_credentials"] is True and entry["url"].endswith(
        "***@" + value.rsplit("@")[-1]
    )


@pytest.fixture
def self_signed_https(tmp_path: Path) -> Iterator[int]:
    """An HTTPS server on 127.0.0.1 whose certificate no trust store knows."""
    trustme = pytest.importorskip("trustme")
    cert = trustme.CA().issue_cert("localhost", "127.0.0.1")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(ctx)
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            try:
                with ctx.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(4096)
                    tls.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    )
            except (OSError, ssl.SSLError):
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield port
    stop.set()
    thread.join(timeout=2)
    server.close()


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_a_curlrc_in_the_guest_cannot_switch_off_verification(
    self_signed_https: int, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".curlrc").write_text("insecure\n")
    env = {"PATH": os.environ["PATH"], "HOME": str(home)}
    out = subprocess.run(
        ["sh", str(LINUX / "endpoints.sh"), "3", "-", f"login=localhost:{self_signed_https}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    [probe] = json.loads(out.stdout)["endpoints"]
    assert probe["tls_ok"] is False, probe


# -- read-only: what the local probes open, traced -------------------------------------------

WRITE_CALLS = (
    "creat", "unlink", "unlinkat", "rename", "renameat", "renameat2", "mkdir", "mkdirat",
    "rmdir", "truncate", "symlink", "symlinkat", "link", "linkat", "chmod", "fchmodat", "chown",
    "fchownat",
)  # fmt: skip


def traced_writes(log: str) -> list[str]:
    """The syscalls in an ``strace -f`` log that create, change or remove a file (a write-mode
    open of /dev/null, which every ``>/dev/null`` does, is allowed)."""
    found = []
    for line in log.splitlines():
        if "= -1 " in line:  # failed: nothing happened
            continue
        call = line.split(None, 1)[-1].split("(", 1)[0]
        if call in ("open", "openat") and any(
            flag in line for flag in ("O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC")
        ):
            if '"/dev/null"' not in line:
                found.append(line)
        elif call in WRITE_CALLS:
            found.append(line)
    return found


def trace(args: list[str], tmp_path: Path, env: dict[str, str] | None = None) -> str:
    log = tmp_path / "strace.log"
    calls = ",".join(("open", "openat", *WRITE_CALLS))
    subprocess.run(
        ["strace", "-f", "-qq", "-e", f"trace={calls}", "-o", str(log), *args],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return log.read_text()


def test_the_write_detector_sees_a_write(tmp_path: Path) -> None:
    if shutil.which("strace") is None:
        pytest.skip("strace is not installed (make installs it)")
    log = trace(["sh", "-c", f"echo x > {tmp_path}/out; rm {tmp_path}/out"], tmp_path)
    writes = traced_writes(log)
    assert any("O_CREAT" in w for w in writes) and any("unlink" in w for w in writes)


@pytest.mark.parametrize("probe", ["facts", "trust", "proxy", "storage"])
def test_local_probes_write_nothing(probe: str, tmp_path: Path) -> None:
    """Run as this user (root in CI, so lvs and blkid really run in the storage probe) under
    strace: no file is created, opened for writing, renamed or removed. The lab repeats this
    inside a guest with LVM volumes and LUN links (tests/lab)."""
    if shutil.which("strace") is None:
        pytest.skip("strace is not installed (make installs it)")
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    log = trace(["sh", str(LINUX / f"{probe}.sh")], tmp_path, env)
    assert "execve" not in log  # sanity: we traced file calls only
    assert traced_writes(log) == [], traced_writes(log)
    assert "openat" in log  # it did run and read files


# -- read-only: the PowerShell probes (no PowerShell here, so by what they call) ----------------

WINDOWS = files("asr_preflight_checks") / "windows"
READ_VERBS = {"Get", "Select", "Where", "ForEach", "Test", "Join", "ConvertTo", "ConvertFrom",
              "Measure", "Sort"}  # fmt: skip


@pytest.mark.parametrize("probe", ["facts", "trust", "proxy", "storage", "endpoints", "ports"])
def test_powershell_probes_call_only_reading_cmdlets(probe: str) -> None:
    """Every Verb-Noun command a Windows probe calls is a reading one (Get-Disk, never
    Initialize-Disk or Set-Disk), New-Object (an in-memory .NET object), or a function the
    script defines itself; and nothing is redirected into a file."""
    import re

    text = (WINDOWS / f"{probe}.ps1").read_text()
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    own = set(re.findall(r"\bfunction\s+([A-Za-z]+-[A-Za-z]+)", code))
    called = set(re.findall(r"\b([A-Z][a-z]+)-([A-Z][A-Za-z]+)\b", code))
    writing = sorted(
        f"{verb}-{noun}"
        for verb, noun in called
        if verb not in READ_VERBS and f"{verb}-{noun}" not in own | {"New-Object"}
    )
    assert writing == [], writing
    unquoted = re.sub(r"'[^']*'", "''", code)  # regexes in strings: (?<name>...)
    assert not re.search(r"(?<![-=])>\s*[$\w\\\"']", unquoted), "a redirection into a file"
    assert "Out-File" not in code and "Set-Content" not in code


# -- no sudo unless the plan opts in ([guest.linux] sudo = true) ---------------------------------


def _storage_as_nobody(tmp_path: Path, *args: str) -> tuple[str, dict[str, object]]:
    """The real storage probe as user nobody under ``strace -e trace=execve``, with a stand-in
    ``sudo`` first on PATH that refuses like sudo does (so the opt-in run touches no real sudo
    state here): the trace log and the probe's JSON."""
    if os.geteuid() != 0 or not (shutil.which("strace") and shutil.which("setpriv")):
        pytest.skip("needs root, strace and setpriv (util-linux) to run the probe as nobody")
    bin_dir = Path(tempfile.mkdtemp(prefix="asr-nosudo-", dir="/tmp"))
    try:
        bin_dir.chmod(0o755)
        fake = bin_dir / "sudo"
        fake.write_text("#!/bin/sh\necho 'sudo: a password is required' >&2\nexit 1\n")
        fake.chmod(0o755)
        log = tmp_path / "execve.log"
        env = {"PATH": f"{bin_dir}:{os.environ['PATH']}"}
        done = subprocess.run(
            ["strace", "-f", "-qq", "-e", "trace=execve", "-o", str(log),
             "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
             "sh", str(LINUX / "storage.sh"), *args],
            env=env, capture_output=True, text=True, timeout=60, check=True, cwd="/",
        )  # fmt: skip
        return log.read_text(), json.loads(done.stdout)
    finally:
        shutil.rmtree(bin_dir)


def _sudo_calls(log: str) -> list[str]:
    return [line for line in log.splitlines() if "execve(" in line and '/sudo"' in line]


def test_storage_probe_never_runs_sudo_without_the_opt_in(tmp_path: Path) -> None:
    """A refused `sudo -n` still logs a failed authentication and writes /run/sudo/ts/<user>:
    without `[guest.linux] sudo = true` the probe must not even try it."""
    log, data = _storage_as_nobody(tmp_path)
    assert "execve(" in log  # sanity: the trace saw the probe's commands
    assert _sudo_calls(log) == []
    assert data["logical_volumes"] is None
    assert "[guest.linux] sudo = false" in str(data["lvs_error"])


def test_storage_probe_runs_exactly_sudo_n_lvs_with_the_opt_in(tmp_path: Path) -> None:
    log, data = _storage_as_nobody(tmp_path, "sudo")
    [call] = _sudo_calls(log)
    assert '"-n", "lvs", "--readonly"' in call, call
    assert data["logical_volumes"] is None
    assert "sudo -n refused: sudo: a password is required" in str(data["lvs_error"])
