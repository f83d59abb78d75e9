"""The collector without a lab: addresses, skipped guests, and hosts that hang or refuse."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from asr_preflight.guest.collect import collect_guests
from asr_preflight.options import GuestOptions
from asr_preflight.snapshot import CollectionInfo, FactError, IpConfiguration, NetworkInterface
from asr_preflight.testing import make_plan, make_snapshot, make_vm


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Accepts TCP connections and never says a word (a hung sshd or a tarpit)."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_hung_host_costs_its_connect_timeout_and_only_its_own_facts(
    silent_server: int, tmp_path: Path
) -> None:
    vm = make_vm("vm-hung")
    other = make_vm("vm-nic-less", nic_ids=())
    plan = make_plan(guest={
        "connect_timeout_seconds": 1,
        "hosts": {"vm-hung": f"127.0.0.1:{silent_server}"},
        "linux": {"known_hosts": str(tmp_path / "known_hosts"), "key_file": __file__},
    })  # fmt: skip
    snapshot = make_snapshot(vms=[vm, other], plan=plan)
    start = time.monotonic()
    result = collect_guests(plan, snapshot, GuestOptions())
    elapsed = time.monotonic() - start
    assert elapsed < 5
    errors = {e.scope: e for e in result.errors}
    assert "within 1 s" in errors[vm.id].cause or "cannot connect" in errors[vm.id].cause
    assert "no private IP address" in errors[other.id].cause
    assert not result.guests


def test_address_comes_from_the_primary_nic_and_missing_key_file_is_explained(
    tmp_path: Path,
) -> None:
    nic = NetworkInterface(
        "/nics/a",
        "a",
        ip_configurations=(IpConfiguration("p", True, "127.0.0.9", public_ip="127.0.0.10"),),
    )
    vm = make_vm("vm-a", nic_ids=("/nics/a",))
    plan = make_plan(guest={"linux": {"key_file": str(tmp_path / "absent")}})
    snapshot = make_snapshot(vms=[vm], plan=plan, network_interfaces=(nic,))
    [error] = collect_guests(plan, snapshot, GuestOptions()).errors
    assert "does not exist" in error.cause and "key_file" in error.hint


def test_no_guest_and_no_section() -> None:
    vm = make_vm("vm-a")
    with_guest = make_plan(guest={})
    snapshot = make_snapshot(vms=[vm], plan=with_guest)
    skipped = collect_guests(with_guest, snapshot, GuestOptions(enabled=False))
    assert skipped.collection.guest_skipped
    plain = make_plan()
    untouched = collect_guests(plain, make_snapshot(vms=[vm], plan=plain), GuestOptions())
    assert untouched.guests == () and untouched.errors == ()


def test_earlier_guest_errors_are_replaced_not_duplicated(tmp_path: Path) -> None:
    vm = make_vm("vm-a", nic_ids=())
    plan = make_plan(guest={})
    old = FactError("guest", vm.id, "old cause")
    snapshot = make_snapshot(
        vms=[vm], plan=plan, errors=(old,), collection=CollectionInfo(source="test")
    )
    result = collect_guests(plan, snapshot, GuestOptions())
    assert [e.cause for e in result.errors] == [
        "no private IP address on its primary network interface"
    ]
