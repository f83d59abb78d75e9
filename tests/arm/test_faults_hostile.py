"""Fault matrix, hostile ARM: foreign and cyclic nextLinks, endless paging, oversized answers.

The foreign host is a second fake ARM on another loopback address and port whose certificate the
process trusts: had the product followed the link, the request (and its bearer token) would have
reached it and shown in its log.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from arm.conftest import SUB_A, SUB_B, options
from arm.helpers import outcomes, run
from asr_preflight.api import Outcome
from asr_preflight.azure import guard
from asr_preflight.azure.clients import Clients
from asr_preflight.azure.clouds import resolve_cloud
from asr_preflight.azure.credential import make_credential
from asr_preflight.azure.guard import BoundedAdapter, Deadline, ForeignHost, ResponseTooLarge
from asr_preflight.azure.raw import get_json
from asr_preflight.collect import CredentialError, collect
from asr_preflight.engine import Verdict
from asr_preflight.plan import Plan
from fakes.arm import FakeAzure

NSGS = f"/subscriptions/{SUB_A}/providers/microsoft.network/networksecuritygroups"
NICS = f"/subscriptions/{SUB_A}/providers/microsoft.network/networkinterfaces"
A_VMS = ["vm-web-01", "vm-web-02", "vm-db-01", "vm-eph-01"]


@pytest.fixture
def foreign(
    fake: FakeAzure, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeAzure]:
    """Another fake ARM on 127.0.0.2, trusted like the real one, serving the same estate."""
    (tmp_path / "foreign").mkdir()
    other = FakeAzure(tmp_path / "foreign", page_size=10)
    other.estate = fake.estate
    other.start(host="127.0.0.2")
    other.token_value = fake.token_value  # it would even accept the token
    bundle = tmp_path / "both-cas.pem"
    bundle.write_text(fake.ca_file.read_text() + other.ca_file.read_text())
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    try:
        yield other
    finally:
        other.stop()


def _page(next_link: str, value: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"value": value or [], "nextLink": next_link}


def test_the_foreign_fake_is_reachable_and_trusted(fake: FakeAzure, foreign: FakeAzure) -> None:
    """The control: without the guard, a request to the foreign host does arrive there."""
    import requests

    answer = requests.get(f"{foreign.url}{NSGS}?api-version=2024-05-01", timeout=10)
    assert answer.status_code == 401  # reached it (no token sent by this plain request)
    leaked = {"Authorization": "Bearer x"}
    requests.get(f"{foreign.url}{NSGS}?api-version=2024-05-01", headers=leaked, timeout=10)
    assert [(r.path.lower(), r.authorization) for r in foreign.requests()] == [
        (NSGS, False),
        (NSGS, True),  # its log would show a leaked bearer token
    ]


def test_foreign_next_link_in_the_raw_pager_is_never_followed(
    fake: FakeAzure, foreign: FakeAzure, plan: Plan
) -> None:
    link = f"{foreign.url}{NSGS}?api-version=2024-05-01&$skiptoken=10"
    fake.fail(NSGS, status=200, body=_page(link), times=None)
    snap = collect(plan, options(fake, eligibility=False))
    assert foreign.requests() == []
    [err] = [e for e in snap.errors if e.kind == "network" and e.scope == f"/subscriptions/{SUB_A}"]
    assert "127.0.0.2" in err.cause and "did not follow" in err.cause
    got = outcomes(run(snap, plan), "TST902")
    assert {got[vm] for vm in A_VMS} == {Outcome.UNKNOWN}


def test_foreign_next_link_in_an_sdk_pager_is_never_followed(
    fake: FakeAzure, foreign: FakeAzure, plan: Plan
) -> None:
    path = f"/subscriptions/{SUB_B}/providers/microsoft.authorization/roleassignments"
    link = f"{foreign.url}{path}?api-version=2022-04-01&$skiptoken=10"
    fake.fail(path, status=200, body=_page(link), times=None)
    snap = collect(plan, options(fake, eligibility=False))
    assert foreign.requests() == []
    [err] = [e for e in snap.errors if e.kind == "rbac" and SUB_B in e.scope]
    assert "https://127.0.0.2:" in err.cause
    assert snap.identity is not None and f"/subscriptions/{SUB_B}" not in snap.identity.scopes


def test_the_pipeline_refuses_a_foreign_host_on_its_own(
    fake: FakeAzure, foreign: FakeAzure
) -> None:
    """The guard in every client's pipeline, without the raw pager's own check: an absolute URL
    on another host or port, and a redirect to one, never leave the process."""
    cloud = resolve_cloud(None, fake.url, fake.url)
    clients = Clients(make_credential(cloud), cloud, retry_total=0)
    client = clients.network(SUB_A)
    other_port = fake.url.rsplit(":", 1)[0] + ":1"
    try:
        for url in (f"{foreign.url}{NSGS}?api-version=1", f"{other_port}{NSGS}?api-version=1"):
            with pytest.raises(ForeignHost):
                get_json(client, url)
        fake.fail(NICS, status=302, headers={"Location": f"{foreign.url}{NICS}?api-version=1"})
        with pytest.raises(ForeignHost):
            get_json(client, f"{NICS}?api-version=2024-05-01")
    finally:
        clients.close()
    assert foreign.requests() == []


def test_a_next_link_cycle_stops_at_the_repeated_link(fake: FakeAzure, plan: Plan) -> None:
    link = f"{fake.url}{NICS}?api-version=2024-05-01&$skiptoken=10"
    fault = fake.fail(NICS, status=200, body=_page(link), times=None)
    snap = collect(plan, options(fake, eligibility=False))
    assert fault.hits == 2  # the first page and the link once: the repeat is not requested
    [err] = [e for e in snap.errors if e.kind == "network" and e.scope == f"/subscriptions/{SUB_A}"]
    assert "nextLink loop" in err.cause
    evaluation = run(snap, plan)
    assert {outcomes(evaluation, "TST902")[vm] for vm in A_VMS} == {Outcome.UNKNOWN}
    assert evaluation.verdict is not Verdict.READY


def test_a_next_link_cycle_in_an_sdk_pager_stops(fake: FakeAzure, plan: Plan) -> None:
    path = f"/subscriptions/{SUB_A}/providers/microsoft.authorization/denyassignments"
    fault = fake.fail(
        path, status=200, body=_page(f"{fake.url}{path}?api-version=2022-04-01&x=1"), times=None
    )
    snap = collect(plan, options(fake, eligibility=False))
    # each deny-assignment list of SUB_A (the operator's, and the vault identity's when a cache
    # account lives there) asks the first page and the link once: the repeat is never requested
    firsts = [r for r in fake.requests("GET") if r.path.lower() == path and "x=1" not in r.query]
    repeats = [r for r in fake.requests("GET") if r.path.lower() == path and "x=1" in r.query]
    assert firsts and len(repeats) == len(firsts) and fault.hits == 2 * len(firsts)
    [err] = [e for e in snap.errors if e.kind == "rbac" and e.scope == f"/subscriptions/{SUB_A}"]
    assert "nextLink loop" in err.cause


def test_pages_per_list_are_capped(
    fake: FakeAzure, plan: Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(guard, "MAX_PAGES", 3)
    fake.page_size = 1  # subscription A's five VMs come in five pages, B's two in two
    snap = collect(plan, options(fake, eligibility=False))
    [err] = [e for e in snap.errors if e.kind == "vms" and e.scope == f"/subscriptions/{SUB_A}"]
    assert "more than 3 pages" in err.cause
    assert {vm.name for vm in snap.vms} == {"vm-sap-app-01", "vm-sap-db-01"}
    assert run(snap, plan).verdict is not Verdict.READY


def test_an_oversized_answer_is_not_read(
    fake: FakeAzure, plan: Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(guard, "MAX_RESPONSE_BYTES", 64 * 1024)
    filler = [{"id": f"{NICS}/x{i}", "name": "x" * 1000} for i in range(100)]  # ~110 KiB
    fault = fake.fail(NICS, status=200, body={"value": filler}, times=None)
    snap = collect(plan, options(fake, eligibility=False))
    assert fault.hits == 1  # refused, not retried
    [err] = [e for e in snap.errors if e.kind == "network" and e.scope == f"/subscriptions/{SUB_A}"]
    assert "larger than 64 KiB and was not read" in err.cause
    assert {outcomes(run(snap, plan), "TST902")[vm] for vm in A_VMS} == {Outcome.UNKNOWN}


class _Chunked(BaseHTTPRequestHandler):
    """Streams an endless chunked body without Content-Length (what a hostile proxy could do)."""

    protocol_version = "HTTP/1.1"
    sent = 0

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = b"x" * 65536
        try:
            for _ in range(10_000):  # 640 MiB at most
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                type(self).sent += len(chunk)
        except OSError:
            return


def test_an_answer_without_length_stops_at_the_limit() -> None:
    import requests

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Chunked)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    session = requests.Session()
    session.mount("http://", BoundedAdapter(Deadline(None), limit=1024 * 1024))
    try:
        with pytest.raises(ResponseTooLarge, match="larger than 1 MiB"):
            session.get(f"http://127.0.0.1:{server.server_address[1]}/big", timeout=10)
    finally:
        session.close()
        server.shutdown()
        server.server_close()
    assert _Chunked.sent < 64 * 1024 * 1024  # reading stopped; the sender was cut off


class _Drip(BaseHTTPRequestHandler):
    """Announces 1 MB and sends it a byte at a time, each well inside the read timeout (a
    stalling proxy, or a hostile one that would keep a run alive past its deadline)."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "1000000")
        self.end_headers()
        try:
            for _ in range(200):  # 10 s, then the connection is dropped
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.05)
        except OSError:
            return


def test_an_answer_dripping_in_stops_at_the_deadline() -> None:
    import requests

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Drip)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    session = requests.Session()
    session.mount("http://", BoundedAdapter(Deadline(1.0)))
    started = time.monotonic()
    try:
        with pytest.raises(guard.DeadlinePassed):
            session.get(f"http://127.0.0.1:{server.server_address[1]}/drip", timeout=10)
    finally:
        session.close()
        server.shutdown()
        server.server_close()
    assert time.monotonic() - started < 5


# -- a hung or stalling ARM: the collection ends within its deadline ----------------------------

DEADLINE = 3.0
BOUND = 30.0  # generous: the point is "finished", not how fast


def test_a_hung_list_ends_within_the_deadline_as_unknown(fake: FakeAzure, plan: Plan) -> None:
    fake.fail(NICS, kind="hang", times=None)
    started = time.monotonic()
    snap = collect(plan, options(fake, eligibility=False, timeout=DEADLINE, retry_total=10))
    assert time.monotonic() - started < BOUND
    [err] = [e for e in snap.errors if e.kind == "network" and e.scope == f"/subscriptions/{SUB_A}"]
    assert "time limit of 3 s (--timeout) passed" in err.cause
    evaluation = run(snap, plan)
    assert {outcomes(evaluation, "TST902")[vm] for vm in A_VMS} == {Outcome.UNKNOWN}
    assert evaluation.verdict is not Verdict.READY


def test_without_timeout_a_hung_arm_ends_at_the_default_limit(
    fake: FakeAzure, plan: Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No --timeout: the collection still has a deadline (guard.DEFAULT_TIMEOUT, shortened here);
    without it, two 20 s read timeouts would pass before the list gave up."""
    monkeypatch.setattr(guard, "DEFAULT_TIMEOUT", DEADLINE)
    fake.fail(NICS, kind="hang", times=None)
    started = time.monotonic()
    snap = collect(plan, options(fake, eligibility=False, read_timeout=20, retry_total=1))
    assert time.monotonic() - started < BOUND
    [err] = [e for e in snap.errors if e.kind == "network" and e.scope == f"/subscriptions/{SUB_A}"]
    assert "time limit of 3 s (--timeout) passed" in err.cause


def test_timeout_zero_means_no_limit_and_none_the_default() -> None:
    assert guard.collection_limit(None) == guard.DEFAULT_TIMEOUT == 1800.0
    assert guard.collection_limit(0) is None
    assert guard.collection_limit(5.0) == 5.0


def test_a_hung_arm_everywhere_still_ends(fake: FakeAzure, plan: Plan) -> None:
    fake.fail("/subscriptions/", kind="hang", times=None)
    started = time.monotonic()
    snap = collect(plan, options(fake, eligibility=False, timeout=DEADLINE))
    assert time.monotonic() - started < BOUND
    assert snap.vms == () and any(e.kind == "vms" for e in snap.errors)
    assert run(snap, plan).verdict is Verdict.UNKNOWN


def test_a_long_retry_after_is_not_slept(fake: FakeAzure, plan: Plan) -> None:
    fault = fake.fail(NICS, status=429, headers={"Retry-After": "3600"}, times=None)
    started = time.monotonic()
    snap = collect(plan, options(fake, eligibility=False, retry_total=10))
    assert time.monotonic() - started < BOUND
    assert fault.hits == 1
    [err] = [e for e in snap.errors if e.kind == "network" and e.scope == f"/subscriptions/{SUB_A}"]
    assert "retry after 3600 s" in err.cause and "--concurrency" in err.hint


def test_a_retry_after_past_the_deadline_is_not_slept(fake: FakeAzure, plan: Plan) -> None:
    fake.fail(NICS, status=429, headers={"Retry-After": "30"}, times=None)  # under the 60 s cap
    started = time.monotonic()
    snap = collect(plan, options(fake, eligibility=False, timeout=DEADLINE))
    assert time.monotonic() - started < BOUND
    [err] = [e for e in snap.errors if e.kind == "network" and e.scope == f"/subscriptions/{SUB_A}"]
    assert "retry after 30 s" in err.cause


def test_a_hung_token_authority_is_one_line_within_the_deadline(
    fake: FakeAzure, plan: Plan
) -> None:
    fake.fail("/oauth2/v2.0/token", kind="hang", times=None)
    started = time.monotonic()
    with pytest.raises(CredentialError) as info:
        collect(plan, options(fake, timeout=DEADLINE))
    assert time.monotonic() - started < BOUND
    message = str(info.value)
    assert "\n" not in message and "did not answer within 3 s" in message and fake.url in message
    assert fake.arm_requests() == []


@pytest.mark.parametrize(
    ("url", "same"),
    [
        ("/subscriptions/s/providers/x?api-version=1", True),  # relative: the client's own host
        ("https://management.azure.com/subscriptions/s", True),
        ("https://MANAGEMENT.azure.com:443/subscriptions/s", True),
        ("http://management.azure.com/subscriptions/s", False),  # scheme
        ("https://management.azure.com:8443/subscriptions/s", False),  # port
        ("https://management.azure.com.evil.test/subscriptions/s", False),
        ("https://management.azure.com@evil.test/subscriptions/s", False),  # userinfo trick
        ("https://evil.test/https://management.azure.com/", False),
        ("//evil.test/subscriptions/s", False),  # scheme-relative
        ("https://management.azure.com:notaport/x", False),
    ],
)
def test_same_origin(url: str, same: bool) -> None:
    assert guard.same_origin(url, "https://management.azure.com/") is same


def test_a_token_authority_that_hangs_mid_run_ends_within_the_deadline(
    fake: FakeAzure, plan: Plan
) -> None:
    """The first token comes; every later token request (each client's first, a refresh) hangs:
    those reads are unknown with the cause, and the run ends."""
    from asr_preflight.azure.clouds import resolve_cloud as cloud_of

    real = make_credential(cloud_of(None, fake.url, fake.url))
    hang = threading.Event()

    class FirstThenHangs:
        calls = 0

        def get_token(self, *scopes: str, **kwargs: Any) -> Any:
            type(self).calls += 1
            if type(self).calls > 1:
                hang.wait(60)
            return real.get_token(*scopes, **kwargs)

    started = time.monotonic()
    try:
        snap = collect(plan, options(fake, timeout=DEADLINE), credential=FirstThenHangs())
    finally:
        hang.set()
    assert time.monotonic() - started < BOUND
    assert snap.vms == ()
    causes = {e.cause for e in snap.errors if e.kind == "vms"}
    assert any("token authority" in c and "did not answer" in c for c in causes), causes
    assert fake.arm_requests() == []  # no request went out without its token


def test_an_eligibility_error_that_is_not_an_object_is_not_read_as_none(
    fake: FakeAzure, plan: Plan
) -> None:
    """``errors: ["A2A…"]`` is no list of error objects: the VM's eligibility is not gathered
    (ASR009 unknown), never "no errors" (a pass)."""
    body = {"properties": {"errors": ["A2AOperatingSystemNotSupported"]}}
    fake.fail("/replicationeligibilityresults/default", status=200, body=body, times=None)
    snap = collect(plan, options(fake))
    assert snap.vms and not snap.eligibility
    assert {e.kind for e in snap.errors} >= {"eligibility"}
