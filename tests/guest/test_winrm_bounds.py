"""WinRM answers are bounded one HTTP response at a time: a listener that answers one endless
(or dripping) response cannot exhaust memory or outlast the host's budget. The per-probe cap
across Receives is tested in the lab (tests/lab/test_lab_windows.py)."""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import trustme

from asr_preflight.guest.transport import Deadline, GuestAccessError
from asr_preflight.guest.winrm import WinrmTransport
from asr_preflight.plan import GuestWindows


class _Endless(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    sent = 0
    drip = False

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.send_response(200)
        self.send_header("Content-Type", "application/soap+xml;charset=UTF-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = b"x" if self.drip else b"x" * 65536
        try:
            for _ in range(20_000):  # 1.3 GB, or 20 s of drops
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                type(self).sent += len(chunk)
                if self.drip:
                    self.wfile.flush()
                    time.sleep(0.001)
        except OSError:
            return


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[tuple[int, GuestWindows, type[_Endless]]]:
    ca = trustme.CA()
    server_cert = ca.issue_cert("127.0.0.1")
    client = ca.issue_cert("winrm-client")
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    client.cert_chain_pems[0].write_to_path(str(tmp_path / "client.pem"))
    client.private_key_pem.write_to_path(str(tmp_path / "client.key"))
    handler = type("Handler", (_Endless,), {"sent": 0})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_cert.configure_cert(ctx)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    config = GuestWindows(
        transport="certificate",
        cert_pem=str(tmp_path / "client.pem"),
        cert_key_pem=str(tmp_path / "client.key"),
        ca_bundle=str(tmp_path / "ca.pem"),
    )
    try:
        yield server.server_address[1], config, handler
    finally:
        server.shutdown()
        server.server_close()


def test_an_endless_winrm_answer_is_cut_at_the_response_limit(
    listener: tuple[int, GuestWindows, type[_Endless]],
) -> None:
    port, config, handler = listener
    transport = WinrmTransport("127.0.0.1", config, Deadline(30), 10, port=port)
    with pytest.raises(GuestAccessError):
        transport.connect()
    assert handler.sent < 64 * 1024 * 1024  # reading stopped long before the 1.3 GB


def test_a_dripping_winrm_answer_ends_with_the_hosts_budget(
    listener: tuple[int, GuestWindows, type[_Endless]],
) -> None:
    port, config, handler = listener
    handler.drip = True
    transport = WinrmTransport("127.0.0.1", config, Deadline(2), 10, port=port)
    started = time.monotonic()
    with pytest.raises(GuestAccessError):
        transport.connect()
    assert time.monotonic() - started < 8
