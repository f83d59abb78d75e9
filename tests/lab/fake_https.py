"""A stand-in for the Azure HTTPS endpoints, run inside the lab's "internet" namespace.

Usage: python fake_https.py ADDRESS PORT CERT_CHAIN_PEM KEY_PEM

Every request gets 200 and a line naming the Host header. The TLS handshake happens per
connection in the worker thread, so a bare TCP probe blocks nobody. Standard library only.
"""

from __future__ import annotations

import http.server
import signal
import ssl
import sys


class Answer(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _reply(self) -> None:
        body = f"asr-preflight lab endpoint {self.headers.get('Host', '?')}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_HEAD = do_POST = _reply

    def log_message(self, format: str, *args: object) -> None:
        sys.stderr.write(f"fake_https {self.address_string()} {format % args}\n")


def main() -> None:
    address, port, chain, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain, key)

    class Server(http.server.ThreadingHTTPServer):
        daemon_threads = True

        def finish_request(self, request, client_address):  # type: ignore[no-untyped-def]
            request.settimeout(10)
            try:
                tls = context.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError) as exc:
                sys.stderr.write(f"fake_https handshake from {client_address} failed: {exc}\n")
                return
            super().finish_request(tls, client_address)

    server = Server((address, port), Answer)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server.serve_forever()


if __name__ == "__main__":
    main()
