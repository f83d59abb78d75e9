"""Fault matrix, hostile guests: a guest that streams output without end, one that drips it, and
one that accepts TCP but never sends an SSH banner.

The streaming guest is a real SSH server (paramiko's server side, in this process, on loopback)
that answers every command by writing as fast as it can on stdout or stderr and never exits; the
product's real SSH transport connects to it with host-key verification and a key file.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paramiko
import pytest

from asr_preflight.engine import evaluate, load_rules
from asr_preflight.guest.collect import collect_guests
from asr_preflight.options import GuestOptions
from asr_preflight.snapshot import GuestFacts
from asr_preflight.testing import make_plan, make_snapshot, make_vm

BUDGET = 4.0
BOUND = BUDGET + 20.0  # generous: the point is "finished", not how fast


class _Server(paramiko.ServerInterface):  # type: ignore[misc]
    def __init__(self, user_key: paramiko.PKey, mode: str, sent: list[int]) -> None:
        self.user_key = user_key
        self.mode = mode
        self.sent = sent

    def get_allowed_auths(self, username: str) -> str:
        return "publickey"

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        ok = key.asbytes() == self.user_key.asbytes()
        return paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        if kind == "session":
            return paramiko.OPEN_SUCCEEDED
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_exec_request(self, channel: paramiko.Channel, command: bytes) -> bool:
        threading.Thread(target=self._stream, args=(channel,), daemon=True).start()
        return True

    def _stream(self, channel: paramiko.Channel) -> None:
        chunk = b"A" * 32768
        send = channel.sendall_stderr if self.mode == "stderr" else channel.sendall
        try:
            while not channel.closed:
                if self.mode == "drip":
                    channel.sendall(b"{")
                    time.sleep(0.01)
                    continue
                send(chunk)
                self.sent[0] += len(chunk)  # one writer per channel; a rough total is enough
        except (OSError, EOFError, paramiko.SSHException):
            return


@pytest.fixture
def streaming_guest(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    mode: str = request.param
    host_key = paramiko.ECDSAKey.generate()
    user_key = paramiko.ECDSAKey.generate()
    key_file = tmp_path / "id_ecdsa"
    user_key.write_private_key_file(str(key_file))
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    known = tmp_path / "known_hosts"
    known.write_text(f"[127.0.0.1]:{port} {host_key.get_name()} {host_key.get_base64()}\n")
    sent = [0]
    transports: list[paramiko.Transport] = []
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            transport = paramiko.Transport(conn)
            transport.add_server_key(host_key)
            transport.start_server(server=_Server(user_key, mode, sent))
            transports.append(transport)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield {"port": port, "known_hosts": known, "key_file": key_file, "sent": sent, "mode": mode}
    finally:
        stop.set()
        thread.join()
        for transport in transports:
            transport.close()
        listener.close()


@pytest.mark.parametrize("streaming_guest", ["stdout", "stderr", "drip"], indirect=True)
def test_a_streaming_guest_ends_within_budget_with_bounded_output(
    streaming_guest: dict[str, Any],
) -> None:
    vm = make_vm("vm-stream")
    plan = make_plan(guest={
        "budget_seconds": BUDGET,
        "connect_timeout_seconds": 5,
        "hosts": {"vm-stream": f"127.0.0.1:{streaming_guest['port']}"},
        "linux": {
            "known_hosts": str(streaming_guest["known_hosts"]),
            "key_file": str(streaming_guest["key_file"]),
        },
    })  # fmt: skip
    snapshot = make_snapshot(vms=[vm], plan=plan)
    started = time.monotonic()
    result = collect_guests(plan, snapshot, GuestOptions())
    elapsed = time.monotonic() - started
    assert elapsed < BOUND
    sent_mib = streaming_guest["sent"][0] / 2**20
    # each of the few probe channels stops at 1 MiB read (+ paramiko's 2 MiB window in flight)
    assert sent_mib < 48, f"the guest got to send {sent_mib:.0f} MiB"
    [facts] = result.guests
    assert isinstance(facts, GuestFacts)
    assert (
        facts.root_certificates is None and facts.os_release is None
    )  # not reported: None, never {}
    drip = streaming_guest["mode"] == "drip"  # never too much, never done: the clock stops it
    expected = "timed out" if drip else "printed more than 1024 KiB; reading stopped"
    assert set(facts.probe_errors) >= {"facts", "trust", "proxy"}
    assert all(expected in why for why in facts.probe_errors.values()), facts.probe_errors
    evaluation = evaluate(result, plan, load_rules())
    guest_rules = {
        r.rule: r.outcome.value for r in evaluation.results if r.rule in ("ASR301", "ASR307")
    }
    assert guest_rules == {"ASR301": "unknown", "ASR307": "unknown"}


@pytest.mark.parametrize("streaming_guest", ["stdout"], indirect=True)
def test_the_output_cap_is_what_stops_a_fast_stream(streaming_guest: dict[str, Any]) -> None:
    vm = make_vm("vm-stream")
    plan = make_plan(guest={
        "budget_seconds": 60,
        "hosts": {"vm-stream": f"127.0.0.1:{streaming_guest['port']}"},
        "linux": {
            "known_hosts": str(streaming_guest["known_hosts"]),
            "key_file": str(streaming_guest["key_file"]),
        },
    })  # fmt: skip
    started = time.monotonic()
    [facts] = collect_guests(plan, make_snapshot(vms=[vm], plan=plan), GuestOptions()).guests
    assert time.monotonic() - started < 30  # far inside the 60 s budget: the cap ended it
    assert "printed more than 1024 KiB; reading stopped" in facts.probe_errors["trust"]


SILENT = """
import socket, sys, threading
sys.path.insert(0, {tests!r})
from asr_preflight.guest.collect import collect_guests
from asr_preflight.options import GuestOptions
from asr_preflight.testing import make_plan, make_snapshot, make_vm
server = socket.create_server(("127.0.0.1", 0)); held = []
threading.Thread(target=lambda: [held.append(server.accept()[0]) for _ in iter(int, 1)],
                 daemon=True).start()
port = server.getsockname()[1]
plan = make_plan(guest={{"connect_timeout_seconds": 2, "hosts": {{"vm-x": f"127.0.0.1:{{port}}"}},
                        "linux": {{"known_hosts": {known!r}, "key_file": {key!r}}}}})
vm = make_vm("vm-x")
[error] = collect_guests(plan, make_snapshot(vms=[vm], plan=plan), GuestOptions()).errors
print(error.cause)
import time; time.sleep(1.5)  # let paramiko's thread finish whatever it would print
"""


def test_a_guest_without_ssh_banner_is_one_line_naming_host_and_cause(tmp_path: Path) -> None:
    """As a user runs it (no logging set up): no paramiko traceback, one cause."""
    script = SILENT.format(
        tests=str(Path(__file__).parents[1]), known=str(tmp_path / "kh"), key=__file__
    )
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no traceback, no "Exception (client)"
    cause = done.stdout.strip()
    assert cause.startswith("no SSH banner from 127.0.0.1:") and "within 2 s" in cause
    assert "No existing session" not in cause
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("streaming_guest", ["drip"], indirect=True)
def test_the_collection_deadline_cuts_a_guest_budget(streaming_guest: dict[str, Any]) -> None:
    """--timeout (GuestOptions.deadline, set by collect()) ends a 60 s guest budget early, and a
    guest not started before it is unknown without a connection."""
    vm, late = make_vm("vm-stream"), make_vm("vm-late")
    hosts = {name: f"127.0.0.1:{streaming_guest['port']}" for name in ("vm-stream", "vm-late")}
    plan = make_plan(guest={
        "budget_seconds": 60,
        "hosts": hosts,
        "linux": {
            "known_hosts": str(streaming_guest["known_hosts"]),
            "key_file": str(streaming_guest["key_file"]),
        },
    })  # fmt: skip
    started = time.monotonic()
    options = GuestOptions(concurrency=1, deadline=started + 3)
    result = collect_guests(plan, make_snapshot(vms=[vm, late], plan=plan), options)
    assert time.monotonic() - started < 25
    facts = {f.vm_id: f for f in result.guests}
    errors = {e.scope: e for e in result.errors}
    first, second = (vm, late) if vm.id in facts else (late, vm)
    assert facts[first.id].probe_errors["trust"] == "timed out"
    assert "time limit (--timeout) passed before this guest was probed" in errors[second.id].cause
