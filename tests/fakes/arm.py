"""A fake Azure Resource Manager and token authority, served over HTTPS on 127.0.0.1.

The real azure-identity credential and the real azure-mgmt clients talk to it. It serves an
:class:`Estate` (collections and items keyed by lower-cased ARM path), logs every request, and
injects faults on demand. Like real ARM it pages *every* list answer, whatever family it belongs
to: any JSON object with a ``value`` array (or ServiceTags_List's ``values`` array) is cut into
pages of ``page_size`` with a ``nextLink`` pointing back at itself. It checks every ARM request's
``api-version`` against asr-preflight's table (``asr_preflight.azure.api_versions``): a request
with another version is answered 400 like ARM does and remembered in ``version_violations``, which
the ARM tests' fixture requires to be empty. It can also serve a recording made with
``collect --record`` (:meth:`FakeAzure.replay`) instead of an estate.

    fake.fail("/virtualmachines", status=429, headers={"Retry-After": "0.05"}, times=2)
    fake.fail("/networkinterfaces", kind="reset")          # connection dropped, no answer
    fake.fail("/disks", kind="malformed")                  # 200 with a body that is not JSON
    fake.fail("/skus", kind="slow", delay=0.5)
    fake.fail("/oauth2/v2.0/token", kind="hang")              # never answers (until stop())

Faults apply to the token authority's paths too.

Only GET serves data. Any other method is logged and answered 405, so a test can see that the
product never sent one.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import socket
import ssl
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import trustme

from asr_preflight.azure.api_versions import pin_for, resource_type

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CLIENT_ID = "6e0b3f1c-5a4b-4c39-9d4e-0a1b2c3d4e5f"
CLIENT_SECRET = "fake-secret-not-real"
PRINCIPAL_OID = "5a1c2f3e-0b1d-4e2f-8a9b-c0d1e2f3a4b5"


@dataclass
class Estate:
    """What the fake ARM serves: collections (paged) and single items, by lower-cased path."""

    lists: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    items: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, collection: str, item: dict[str, Any]) -> None:
        self.lists.setdefault(collection.lower(), []).append(item)
        if "id" in item:
            self.items.setdefault(item["id"].lower(), item)

    def put(self, path: str, item: dict[str, Any]) -> None:
        self.items[path.lower()] = item


@dataclass
class Fault:
    match: str  # substring of the lower-cased path (and query)
    kind: str = "status"  # status | reset | slow | malformed | hang
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    times: int | None = 1  # None = forever
    delay: float = 0.0
    hits: int = 0


@dataclass(frozen=True)
class Logged:
    method: str
    path: str
    query: str
    authorization: bool = False  # the request carried an Authorization header


class FakeAzure:
    def __init__(self, workdir: Path, *, page_size: int = 50) -> None:
        self.workdir = workdir
        self.estate = Estate()
        self.faults: list[Fault] = []
        self.log: list[Logged] = []
        self.latency = 0.0
        self.page_size = page_size
        self.secret = CLIENT_SECRET
        self.oid = PRINCIPAL_OID
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.ca_file = workdir / "fake-ca.pem"
        self.url = ""
        self.token_value = ""
        self.stopping = threading.Event()
        #: (path, api-version) of every ARM request whose version is not the pinned one
        self.version_violations: list[tuple[str, str]] = []
        self.check_versions = True
        self.recording: dict[tuple[str, str], dict[str, Any]] | None = None
        self.recorded_endpoint = ""

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1") -> FakeAzure:
        ca = trustme.CA()
        cert = ca.issue_cert(host, "localhost")
        ca.cert_pem.write_to_path(str(self.ca_file))
        handler = type("Handler", (_Handler,), {"fake": self})
        server = ThreadingHTTPServer((host, 0), handler)
        server.daemon_threads = True
        server.request_queue_size = 128
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert.configure_cert(ctx)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
        self._server = server
        self.url = f"https://{host}:{server.server_address[1]}"
        self.token_value = self.token()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # -- test controls -------------------------------------------------------------------------

    def fail(self, match: str, **kwargs: Any) -> Fault:
        fault = Fault(match.lower(), **kwargs)
        with self._lock:
            self.faults.append(fault)
        return fault

    def reset(self) -> None:
        with self._lock:
            self.faults.clear()
            self.log.clear()

    def requests(self, method: str | None = None) -> list[Logged]:
        with self._lock:
            return [r for r in self.log if method is None or r.method == method]

    def arm_requests(self) -> list[Logged]:
        """Requests to ARM (not to the token authority)."""
        return [
            r
            for r in self.requests()
            if r.path.lower().startswith(("/subscriptions", "/providers"))
        ]

    def replay(self, directory: Path) -> None:
        """Serve the ARM answers recorded by ``collect --record`` instead of the estate. A request
        the recording lacks is answered 400 ``NotInRecording`` (never a 404, which would read as
        "does not exist"); recorded ``nextLink`` URLs are pointed back at this fake."""
        manifest = json.loads((directory / "recording.json").read_text(encoding="utf-8"))
        self.recorded_endpoint = str(manifest["arm_endpoint"]).rstrip("/")
        self.recording = {}
        with (directory / "responses.jsonl").open(encoding="utf-8") as lines:
            for line in lines:
                entry = json.loads(line)
                self.recording[_replay_key(entry["method"], entry["path"], entry["query"])] = entry

    def _take_fault(self, target: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.match in target and (fault.times is None or fault.hits < fault.times):
                    fault.hits += 1
                    return fault
        return None

    def token(self) -> str:
        """An unsigned JWT-shaped access token carrying the principal's ``oid``."""

        def part(obj: dict[str, Any]) -> str:
            return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

        now = int(time.time())
        claims = {
            "aud": "https://management.azure.com",
            "tid": TENANT,
            "oid": self.oid,
            "iat": now,
            "exp": now + 3600,
        }
        return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}.c2ln"


class _Handler(BaseHTTPRequestHandler):
    fake: FakeAzure
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        return

    # -- plumbing --------------------------------------------------------------------------------

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-ms-request-id", "00000000-0000-0000-0000-000000000000")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, code: str, message: str) -> None:
        self._send(status, {"error": {"code": code, "message": message}})

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _reset(self) -> None:
        sock = self.connection
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        with contextlib.suppress(OSError):
            sock.close()

    def _handle(self, method: str) -> None:
        fake = self.fake
        parts = urlsplit(self.path)
        parts = parts._replace(path=re.sub("/+", "/", parts.path))
        body = self._body()
        with fake._lock:
            fake.log.append(
                Logged(method, parts.path, parts.query, "Authorization" in self.headers)
            )
        if fake.latency:
            time.sleep(fake.latency)
        lower = parts.path.lower()
        fault = fake._take_fault(f"{lower}?{parts.query.lower()}")
        authority = "/oauth2/" in lower or "/.well-known/" in lower
        if authority and fault is None:
            self._authority(method, parts.path, body)
            return
        if fault is not None:
            if fault.kind == "hang":
                fake.stopping.wait()
                self._reset()
                return
            if fault.kind == "reset":
                self._reset()
                return
            if fault.kind == "malformed":
                self._send(200, b'{"value": [{"id": "/subscriptions/')
                return
            if fault.kind == "slow":
                time.sleep(fault.delay)
                if authority:
                    self._authority(method, parts.path, body)
                    return
            else:
                body_out = fault.body or {
                    "error": {"code": _code(fault.status), "message": "injected"}
                }
                self._send(fault.status, body_out, fault.headers)
                return
        if self.headers.get("Authorization", "") != f"Bearer {fake.token_value}":
            self._error(401, "InvalidAuthenticationToken", "The access token is invalid.")
            return
        if fake.check_versions and not self._version_pinned(parts.path, parts.query):
            return
        if fake.recording is not None:
            self._replay(method, parts.path, parts.query)
            return
        if method != "GET":
            self._error(405, "MethodNotAllowed", f"the fake serves GET only, not {method}")
            return
        self._arm_get(parts.path, parse_qs(parts.query))

    def _version_pinned(self, path: str, query: str) -> bool:
        """True when the request carries the api-version of asr-preflight's table; otherwise
        remember it and answer 400 as ARM does for a version it does not serve."""
        got = parse_qs(query).get("api-version", [""])[0]
        pin = pin_for(path)
        if pin is not None and got == pin.api_version:
            return True
        with self.fake._lock:
            self.fake.version_violations.append((path, got))
        self._error(
            400,
            "NoRegisteredProviderFound",
            f"No registered resource provider found for api version '{got}' and type "
            f"'{resource_type(path)}' (asr-preflight pins "
            f"{pin.api_version if pin else 'nothing for this type'}).",
        )
        return False

    def _replay(self, method: str, path: str, query: str) -> None:
        fake = self.fake
        assert fake.recording is not None
        entry = fake.recording.get(_replay_key(method, path, query))
        if entry is None:
            self._error(400, "NotInRecording", f"{method} {path}?{query} was not recorded")
            return
        body = entry["body"]
        if isinstance(body, dict) and isinstance(body.get("nextLink"), str):
            link = body["nextLink"]
            if fake.recorded_endpoint and link.startswith(fake.recorded_endpoint):
                body = {**body, "nextLink": fake.url + link[len(fake.recorded_endpoint) :]}
        self._send(int(entry["status"]), body if body is not None else b"")

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def do_HEAD(self) -> None:
        self._handle("HEAD")

    # -- token authority ---------------------------------------------------------------------------

    def _authority(self, method: str, path: str, body: bytes) -> None:
        fake = self.fake
        tenant = path.strip("/").split("/", 1)[0]
        if method == "GET" and path.endswith("/.well-known/openid-configuration"):
            base = f"{fake.url}/{tenant}"
            self._send(
                200,
                {
                    "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                    "token_endpoint": f"{base}/oauth2/v2.0/token",
                    "issuer": f"{base}/v2.0",
                },
            )
            return
        if method == "POST" and path.endswith("/oauth2/v2.0/token"):
            form = parse_qs(body.decode())
            if form.get("client_secret", [""])[0] != fake.secret:
                self._send(
                    401,
                    {
                        "error": "invalid_client",
                        "error_description": "AADSTS7000215: Invalid client secret provided.",
                    },
                )
                return
            self._send(
                200,
                {
                    "token_type": "Bearer",
                    "expires_in": 3599,
                    "ext_expires_in": 3599,
                    "access_token": fake.token_value,
                },
            )
            return
        self._error(404, "NotFound", path)

    # -- ARM ---------------------------------------------------------------------------------------

    def _arm_get(self, path: str, query: dict[str, list[str]]) -> None:
        estate = self.fake.estate
        if "api-version" not in query:
            self._error(
                400, "MissingApiVersionParameter", "The api-version query parameter is required."
            )
            return
        key = re.sub("/+", "/", path.lower()).rstrip("/")
        if query.get("statusOnly", [""])[0].lower() == "true":
            key += "#statusonly"
        flt = query.get("$filter", [""])[0]
        if key in estate.lists:
            items = estate.lists[key]
            if key.endswith("/providers/microsoft.compute/skus") and "location eq" in flt:
                region = flt.split("'")[1].lower()
                items = [i for i in items if region in [x.lower() for x in i.get("locations", [])]]
            if key.endswith("/roleassignments") and "assignedto(" in flt.lower():
                oid = flt.split("'")[1].lower()
                items = [i for i in items if i.get("_assigned_to", "").lower() == oid]
            self._page(
                path,
                query,
                {"value": [{k: v for k, v in i.items() if not k.startswith("_")} for i in items]},
            )
            return
        if key in estate.items:
            self._page(path, query, estate.items[key])
            return
        if re.fullmatch(r"/subscriptions/[^/]+(/resourcegroups/[^/]+)?/providers/[^/]+/[^/]+", key):
            self._page(path, query, {"value": []})  # an empty collection
            return
        if "/resourcegroups/" in key and key.count("/") == 4:
            self._error(
                404,
                "ResourceGroupNotFound",
                f"Resource group '{path.rsplit('/', 1)[-1]}' could not be found.",
            )
            return
        self._error(404, "ResourceNotFound", f"The Resource '{path}' was not found.")

    def _page(self, path: str, query: dict[str, list[str]], answer: dict[str, Any]) -> None:
        """Serve ``answer``, cut into pages when it is a list (``value``, or ServiceTags_List's
        ``values``): every list family is paged, the ones added later included."""
        array = next((k for k in ("value", "values") if isinstance(answer.get(k), list)), None)
        if array is None:
            self._send(200, answer)
            return
        items = answer[array]
        start = int(query.get("$skiptoken", ["0"])[0])
        size = self.fake.page_size
        body: dict[str, Any] = {k: v for k, v in answer.items() if k != "nextLink"}
        body[array] = items[start : start + size]
        if start + size < len(items):
            rest = {k: v[0] for k, v in query.items() if k != "$skiptoken"}
            rest["$skiptoken"] = str(start + size)
            body["nextLink"] = f"{self.fake.url}{path}?{urlencode(rest)}"
        self._send(200, body)


def _code(status: int) -> str:
    return {
        401: "InvalidAuthenticationToken",
        403: "AuthorizationFailed",
        409: "Conflict",
        429: "TooManyRequests",
        500: "InternalServerError",
        503: "ServiceUnavailable",
    }.get(status, "Error")


def _replay_key(method: str, path: str, query: str) -> tuple[str, str]:
    """Method + lower-cased path, and the query's parameters in a canonical order."""
    pairs = sorted((k.lower(), v) for k, v in parse_qsl(query, keep_blank_values=True))
    return (f"{method.upper()} {re.sub('/+', '/', path.lower()).rstrip('/')}", urlencode(pairs))


@contextmanager
def running(workdir: Path, **kwargs: Any) -> Iterator[FakeAzure]:
    fake = FakeAzure(workdir, **kwargs).start()
    try:
        yield fake
    finally:
        fake.stop()
