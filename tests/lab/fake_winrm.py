"""A fake Windows guest behind a WinRM (WS-Management) endpoint, for the real pywinrm client.

It speaks enough of MS-WSMV/WinRS for ``winrm.protocol.Protocol`` (open_shell, run_command,
get_command_output, cleanup_command, close_shell): Create, Command, Receive, Signal, Delete,
with ``RelatesTo`` echoing the request's MessageID as pywinrm checks. Authentication is NTLM
(``WWW-Authenticate: Negotiate``) through pyspnego's acceptor, one context per TCP connection,
over HTTPS (a lab certificate) or over HTTP with NTLM message encryption
(``multipart/encrypted``), which pywinrm insists on for plain HTTP.

No PowerShell runs (none exists here): the probe scripts identify themselves
(``$probe = 'facts'``), and the fake answers each with the JSON a Windows Server would print,
from a :class:`WindowsState`. The network parts are real: the ``endpoints`` answer does a real
CONNECT through the configured proxy and a real TLS handshake verified against the guest's
root store, and the ``ports`` answer does real TCP connects from this process.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import re
import socket
import ssl
import struct
import threading
import uuid
import warnings
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "w": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "rsp": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
}
ACTION = "http://schemas.xmlsoap.org/ws/2004/09/transfer/"
SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/"
BOUNDARY = b"--Encrypted Boundary"
SPNEGO_ENC = b"application/HTTP-SPNEGO-session-encrypted"


@dataclass
class WindowsState:
    """What the fake Windows guest reports."""

    user: str
    password: str
    root_store_pem: Path
    hostname: str = "WIN-LAB01"
    caption: str = "Microsoft Windows Server 2022 Datacenter"
    version: str = "10.0.20348"
    services: dict[str, str] = field(
        default_factory=lambda: {"COMSysApp": "Manual", "VSS": "Manual"}
    )
    product_type: str = "3"  # Win32_OperatingSystem.ProductType: 1 workstation, 3 server
    architecture: str = "64-bit"
    hotfixes: list[str] = field(default_factory=list)  # of KB4474419, KB4490628
    # Get-Disk as the storage probe prints it; default: a Gen2 VM's OS disk and temporary disk
    disks: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {"number": 0, "lun": 0, "adapter": "0:0", "partition_style": "GPT", "is_boot": True,
             "is_system": True, "is_offline": False, "partitions": 4},
            {"number": 1, "lun": 1, "adapter": "0:0", "partition_style": "MBR", "is_boot": False,
             "is_system": False, "is_offline": False, "partitions": 1},
        ]
    )  # fmt: skip
    winhttp_proxy: str | None = None  # "http://10.0.0.3:3129"
    hosts: dict[str, str] = field(default_factory=dict)  # name -> address (its "DNS")
    commands: list[str] = field(default_factory=list)  # every script received, for the tests
    stream_forever: bool = False  # every Receive answers 256 KiB more stdout, never Done


def envelope(action: str, relates: str, body: str) -> bytes:
    xmlns = " ".join(f'xmlns:{k}="{v}"' for k, v in NS.items())
    return (
        f'<?xml version="1.0" encoding="utf-8"?><s:Envelope xml:lang="en-US" {xmlns} '
        'xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer">'
        f"<s:Header><a:Action>{action}</a:Action><a:MessageID>uuid:{uuid.uuid4()}</a:MessageID>"
        "<a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>"
        f"<a:RelatesTo>{escape(relates)}</a:RelatesTo></s:Header><s:Body>{body}</s:Body></s:Envelope>"
    ).encode()


class FakeWindows:
    """Turns a probe script into the JSON PowerShell 5.1 would print for this guest."""

    def __init__(self, state: WindowsState) -> None:
        self.state = state

    def run(self, command: str, args: list[str]) -> tuple[bytes, bytes, int]:
        if command.lower() != "powershell.exe" or "-EncodedCommand" not in args:
            return b"", f"'{command}' is not recognized as a command\r\n".encode(), 1
        script = base64.b64decode(args[args.index("-EncodedCommand") + 1]).decode("utf-16-le")
        self.state.commands.append(script)
        probe = re.search(r"\$probe = '(\w+)'", script)
        handler = getattr(self, f"probe_{probe.group(1)}", None) if probe else None
        if handler is None:
            err = '#< CLIXML\r\n<Objs><S S="Error">not recognized_x000D__x000A_</S></Objs>'
            return b"", err.encode(), 1
        return json.dumps(handler(script), separators=(",", ":")).encode() + b"\r\n", b"", 0

    def probe_facts(self, script: str) -> dict[str, Any]:
        modes = {"Manual": "Manual", "Automatic": "Auto", "Disabled": "Disabled"}
        services = [
            {"name": name, "start_type": modes.get(start, start), "status": "Stopped"}
            for name, start in self.state.services.items()
        ]
        return {
            "os_release": {
                "ID": "windows",
                "NAME": self.state.caption,
                "VERSION_ID": self.state.version,
                "PRETTY_NAME": self.state.caption,
                "PRODUCT_TYPE": self.state.product_type,
                "ARCHITECTURE": self.state.architecture,
            },
            "hotfixes": self.state.hotfixes,
            "kernel": self.state.version,
            "services": services if len(services) != 1 else services[0],  # ConvertTo-Json's quirk
            "system_free_bytes": 80 * 1024**3,
            "clock_utc": "2026-11-25T12:00:00Z",
        }

    def probe_storage(self, script: str) -> dict[str, Any]:
        disks = self.state.disks
        return {"disks": disks if len(disks) != 1 else disks[0]}  # ConvertTo-Json's quirk

    def probe_trust(self, script: str) -> dict[str, Any]:
        from cryptography import x509
        from cryptography.hazmat.primitives.serialization import Encoding

        roots = []
        with warnings.catch_warnings():  # a real root with a negative serial number
            warnings.simplefilter("ignore")
            certs = x509.load_pem_x509_certificates(self.state.root_store_pem.read_bytes())
        for cert in certs:
            roots.append(
                {
                    "sha256": hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest().upper(),
                    "subject": cert.subject.rfc4514_string(),
                    "not_after": cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
                }
            )
        return {"bundle": "Cert:\\LocalMachine\\Root", "roots": roots}

    def probe_proxy(self, script: str) -> dict[str, Any]:
        proxies = []
        if self.state.winhttp_proxy:
            host = self.state.winhttp_proxy.split("://", 1)[-1]
            proxies.append(
                {"source": "WinHTTP", "url": host, "has_credentials": False, "bypass": ["<local>"]}
            )
        return {"proxies": proxies}

    def probe_endpoints(self, script: str) -> dict[str, Any]:
        timeout = float(_param(script, "T") or 5)
        proxy = _param(script, "Proxy") or ""
        out = []
        for target in _targets(script):
            name, _, hostport = target.partition("=")
            host, _, port = hostport.rpartition(":")
            out.append(self._endpoint(name, host, int(port), proxy, timeout))
        return {"endpoints": out if len(out) != 1 else out[0]}

    def _endpoint(
        self, name: str, host: str, port: int, proxy: str, timeout: float
    ) -> dict[str, Any]:
        address = self.state.hosts.get(host)
        result: dict[str, Any] = {
            "name": name,
            "host": host,
            "port": port,
            "resolved": address is not None,
            "addresses": [address] if address else [],
            "tls_ok": None,
            "proxy_status": None,
            "error": "",
        }
        context = ssl.create_default_context(cafile=str(self.state.root_store_pem))
        try:
            if proxy:
                p_host, _, p_port = proxy.split("://", 1)[-1].rstrip("/").rpartition(":")
                sock = socket.create_connection((p_host, int(p_port)), timeout=timeout)
                sock.sendall(
                    f"CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
                )
                head = b""
                while not head.endswith(b"\r\n\r\n"):
                    chunk = sock.recv(1)
                    if not chunk:
                        break
                    head += chunk
                result["proxy_status"] = int(head.split()[1])
                if result["proxy_status"] != 200:
                    sock.close()
                    raise OSError(f"the proxy answered CONNECT with {result['proxy_status']}")
            else:
                if address is None:
                    raise OSError("No such host is known")
                sock = socket.create_connection((address, port), timeout=timeout)
            with context.wrap_socket(sock, server_hostname=host):
                result["tls_ok"] = True
        except (OSError, ssl.SSLError, ValueError, IndexError) as exc:
            result["tls_ok"] = False
            result["error"] = str(exc)
        return result

    def probe_ports(self, script: str) -> dict[str, Any]:
        timeout = float(_param(script, "T") or 5)
        port = int(_param(script, "Port") or 20004)
        out = []
        for address in _targets(script):
            entry = {
                "address": address,
                "port": port,
                "result": "timeout",
                "detail": f"no answer within {timeout:g} s",
            }
            try:
                socket.create_connection((address, port), timeout=timeout).close()
                entry.update(result="connected", detail="")
            except ConnectionRefusedError as exc:
                entry.update(result="refused", detail=str(exc))
            except TimeoutError:
                pass
            except OSError as exc:
                entry.update(result="error", detail=str(exc))
            out.append(entry)
        return {"ports": out if len(out) != 1 else out[0]}


def _param(script: str, name: str) -> str | None:
    match = re.search(rf"\${name} = (?:'((?:[^']|'')*)'|(\d+))", script)
    if match is None:
        return None
    return (match.group(1) or "").replace("''", "'") if match.group(2) is None else match.group(2)


def _targets(script: str) -> list[str]:
    match = re.search(r"\$Targets = @\((.*?)\)\n", script)
    return (
        [t.replace("''", "'") for t in re.findall(r"'((?:[^']|'')*)'", match.group(1))]
        if match
        else []
    )


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    windows: FakeWindows
    shells: dict[str, dict[str, tuple[bytes, bytes, int]]]
    lock: threading.Lock

    def setup(self) -> None:
        super().setup()
        self.ntlm: Any = None
        self.pending: Any = None

    def log_message(self, format: str, *args: object) -> None:  # quiet
        return

    def _send(self, code: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(code)
        headers = headers or {}
        headers.setdefault("Content-Type", "application/soap+xml;charset=UTF-8")
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        data = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path.rstrip("/") != "/wsman":
            return self._send(404)
        scheme, _, token = self.headers.get("Authorization", "").partition(" ")
        if scheme in ("Negotiate", "NTLM"):
            import spnego

            if self.pending is None:
                self.pending = spnego.server(protocol="ntlm")
            try:
                out = self.pending.step(base64.b64decode(token))
            except Exception:  # noqa: BLE001 - a wrong password: 401 again, as Windows does
                self.pending = None
                return self._send(401, headers={"WWW-Authenticate": "Negotiate"})
            if not self.pending.complete:
                return self._send(
                    401, headers={"WWW-Authenticate": f"{scheme} {base64.b64encode(out).decode()}"}
                )
            self.ntlm, self.pending = self.pending, None
        elif self.ntlm is None:
            return self._send(401, headers={"WWW-Authenticate": "Negotiate"})
        if not data:
            return self._send(200)
        if self.headers.get("Content-Type", "").startswith("multipart/encrypted"):
            data = self._decrypt(data)
        reply = self._soap(data)
        if self.headers.get("Content-Type", "").startswith("multipart/encrypted"):
            protocol = SPNEGO_ENC.decode()
            ctype = f'multipart/encrypted;protocol="{protocol}";boundary="Encrypted Boundary"'
            return self._send(200, self._encrypt(reply), {"Content-Type": ctype})
        return self._send(200, reply)

    def _decrypt(self, data: bytes) -> bytes:
        parts = [p for p in data.split(BOUNDARY + b"\r\n") if p]
        message = b""
        for header, payload in zip(parts[0::2], parts[1::2], strict=False):
            length = int(header.strip().split(b"Length=")[1])
            payload = payload.removesuffix(BOUNDARY + b"--\r\n")
            payload = payload.replace(b"\tContent-Type: application/octet-stream\r\n", b"", 1)
            size = struct.unpack("<i", payload[:4])[0]
            plain = self.ntlm.unwrap(payload[4 : 4 + size] + payload[4 + size :]).data
            if len(plain) != length:
                raise ValueError("encrypted length mismatch")
            message += plain
        return message

    def _encrypt(self, message: bytes) -> bytes:
        sealed = self.ntlm.wrap(message, encrypt=True).data  # 16-byte signature, then the data
        return (
            BOUNDARY + b"\r\n\tContent-Type: " + SPNEGO_ENC + b"\r\n"
            b"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length="
            + str(len(message)).encode()
            + b"\r\n"
            + BOUNDARY
            + b"\r\n\tContent-Type: application/octet-stream\r\n"
            + struct.pack("<i", 16)
            + sealed
            + BOUNDARY
            + b"--\r\n"
        )

    def _soap(self, data: bytes) -> bytes:
        root = ET.fromstring(data)
        header = root.find("s:Header", NS)
        body = root.find("s:Body", NS)
        assert header is not None and body is not None
        action = header.findtext("a:Action", default="", namespaces=NS)
        mid = header.findtext("a:MessageID", default="", namespaces=NS)
        shell_id = next(
            (
                e.text or ""
                for e in header.iter(f"{{{NS['w']}}}Selector")
                if e.get("Name") == "ShellId"
            ),
            "",
        )
        if action == ACTION + "Create":
            sid = str(uuid.uuid4()).upper()
            with self.lock:
                self.shells[sid] = {}
            created = (
                "<x:ResourceCreated><a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/"
                f"anonymous</a:Address><a:ReferenceParameters><w:ResourceURI>{SHELL}cmd</w:ResourceURI>"
                f'<w:SelectorSet><w:Selector Name="ShellId">{sid}</w:Selector></w:SelectorSet>'
                "</a:ReferenceParameters></x:ResourceCreated>"
                f"<rsp:Shell><rsp:ShellId>{sid}</rsp:ShellId></rsp:Shell>"
            )
            return envelope(action + "Response", mid, created)
        if shell_id not in self.shells:
            fault = (
                "<s:Fault><s:Code><s:Value>s:Receiver</s:Value></s:Code>"
                "<s:Reason><s:Text>no shell</s:Text></s:Reason></s:Fault>"
            )
            return envelope("http://schemas.dmtf.org/wbem/wsman/1/wsman/fault", mid, fault)
        if action == SHELL + "Command":
            line = body.find("rsp:CommandLine", NS)
            assert line is not None
            command = (
                (line.findtext("rsp:Command", default="", namespaces=NS) or "").strip().strip('"')
            )
            args = " ".join(a.text or "" for a in line.findall("rsp:Arguments", NS)).split()
            cid = str(uuid.uuid4()).upper()
            result = self.windows.run(command, args)
            with self.lock:
                self.shells[shell_id][cid] = result
            return envelope(
                action + "Response",
                mid,
                f"<rsp:CommandResponse><rsp:CommandId>{cid}</rsp:CommandId></rsp:CommandResponse>",
            )
        if action == SHELL + "Receive":
            stream = body.find("rsp:Receive/rsp:DesiredStream", NS)
            cid = stream.get("CommandId", "") if stream is not None else ""
            out, err, code = self.shells[shell_id].get(cid, (b"", b"", 0))
            if self.windows.state.stream_forever:  # a hostile guest: output without end
                chunk = base64.b64encode(b"A" * 262144).decode()
                streams = f'<rsp:Stream Name="stdout" CommandId="{cid}">{chunk}</rsp:Stream>'
                return envelope(
                    action + "Response",
                    mid,
                    f"<rsp:ReceiveResponse>{streams}</rsp:ReceiveResponse>",
                )
            streams = "".join(
                f'<rsp:Stream Name="{n}" CommandId="{cid}">{base64.b64encode(v).decode()}'
                "</rsp:Stream>"
                for n, v in (("stdout", out), ("stderr", err))
                if v
            )
            streams += (
                f'<rsp:Stream Name="stdout" CommandId="{cid}" End="true"></rsp:Stream>'
                f'<rsp:Stream Name="stderr" CommandId="{cid}" End="true"></rsp:Stream>'
                f'<rsp:CommandState CommandId="{cid}" State="{SHELL}CommandState/Done">'
                f"<rsp:ExitCode>{code}</rsp:ExitCode></rsp:CommandState>"
            )
            return envelope(
                action + "Response", mid, f"<rsp:ReceiveResponse>{streams}</rsp:ReceiveResponse>"
            )
        if action == SHELL + "Signal":
            return envelope(action + "Response", mid, "<rsp:SignalResponse/>")
        if action == ACTION + "Delete":
            with self.lock:
                self.shells.pop(shell_id, None)
            return envelope(action + "Response", mid, "")
        return envelope(action + "Response", mid, "")


class FakeWinRM:
    """``with FakeWinRM(state, tls=(cert, key)) as server: server.port``."""

    def __init__(
        self, state: WindowsState, tls: tuple[Path, Path] | None, users_file: Path
    ) -> None:
        users_file.write_text(f":{state.user}:{state.password}\n")
        users_file.chmod(0o600)
        self.users_file = users_file
        handler = type(
            "Handler",
            (_Handler,),
            {
                "windows": FakeWindows(state),
                "shells": {},
                "lock": threading.Lock(),
            },
        )
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(tls[0]), str(tls[1]))
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeWinRM:
        import os

        os.environ["NTLM_USER_FILE"] = str(self.users_file)  # pyspnego's NTLM acceptor reads it
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
