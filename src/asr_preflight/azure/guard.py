"""Bounds on what ARM may make us do: where the token goes, how long we wait, how much we read.

Every management client's pipeline carries :class:`GuardPolicy` (next to the read-only policy,
after the retry and authentication policies, so it sees every request and retry, redirected or
not, just before it leaves the process) and :class:`BoundedRetryPolicy`; their shared HTTP session
reads answers through :class:`BoundedAdapter`. Together:

- **The bearer token never leaves ARM's host.** A request whose scheme, host or port differ from
  the ARM endpoint's (a ``nextLink`` or redirect naming another host) is refused before it is
  sent: :class:`ForeignHost`.
- **Bounded time.** Each request has a connect timeout and a read timeout (:data:`CONNECT_TIMEOUT`,
  :data:`READ_TIMEOUT`), both clamped to what is left of the collection's :class:`Deadline`
  (``--timeout``, else :data:`DEFAULT_TIMEOUT`); past the deadline no request is sent
  (:class:`DeadlinePassed`). A ``Retry-After`` is honoured up to :data:`MAX_RETRY_AFTER`
  seconds; a longer one (or one that would outlast the deadline) ends that request:
  :class:`RetryAfterTooLong`.
- **Bounded memory.** One answer may hold at most :data:`MAX_RESPONSE_BYTES` (after decompression):
  the body is read in chunks and reading stops past the limit (:class:`ResponseTooLarge`).
- **Bounded paging** (:mod:`raw` and :func:`sdk_items`): a list stops at a ``nextLink`` it has
  followed before, and after :data:`MAX_PAGES` pages (:class:`PagingLoop`).

Every refusal is an :class:`ArmGuardError`, which the retry policy does not retry and
:func:`asr_preflight.azure.errors.fact_error` turns into a FactError naming the cause.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from azure.core.pipeline.policies import RetryPolicy, SansIOHTTPPolicy
from requests.adapters import HTTPAdapter

#: One ARM answer may be at most this large (decompressed): a list page of 1,000 VMs is ~5 MiB.
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
#: Pages one list may have: 10,000 pages of ARM's usual 1,000 items (or 50 of the smallest).
MAX_PAGES = 10_000
#: The longest ``Retry-After`` we wait for (seconds); a longer one ends that request.
MAX_RETRY_AFTER = 60.0
#: Seconds to wait for a TCP + TLS connection to ARM, and for each read of an answer.
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 60.0
#: Retries of one request (throttling, 5xx, connection failures) unless --retries says otherwise.
RETRY_TOTAL = 5
#: The Azure collection's time limit when ``--timeout`` is not given (seconds): far above what a
#: 10,000-VM estate needs, but an ARM that hangs or drips answers cannot keep a run alive longer.
#: ``--timeout 0`` removes the limit.
DEFAULT_TIMEOUT = 1800.0
_CHUNK = 256 * 1024
#: The attribute :class:`asr_preflight.azure.clients.Clients` sets on each management client.
ARM_ENDPOINT_ATTR = "asr_preflight_arm_endpoint"


class ArmGuardError(Exception):
    """A request or answer refused by one of the bounds above: never retried."""

    def __init__(self, cause: str, hint: str) -> None:
        super().__init__(cause)
        self.cause = cause
        self.hint = hint


class ForeignHost(ArmGuardError):
    def __init__(self, url: str, endpoint: str) -> None:
        parts = urlsplit(url)
        shown = f"{parts.scheme}://{parts.netloc}" if parts.netloc else url[:200]
        super().__init__(
            f"ARM sent a link to another host ({shown}); asr-preflight sends the access token "
            f"only to {endpoint} and did not follow it",
            "check the ARM endpoint (--arm-endpoint, [azure] cloud) and any proxy that rewrites "
            "ARM's answers",
        )
        self.host = parts.hostname or ""


class PagingLoop(ArmGuardError):
    pass


class ResponseTooLarge(ArmGuardError):
    def __init__(self, url: str, limit: int) -> None:
        super().__init__(
            f"an ARM answer was larger than {_size(limit)} and was not read ({urlsplit(url).path})",
            "check any proxy between here and ARM; narrow the plan's subscriptions if the "
            "estate is really this large",
        )


def _size(n: int) -> str:
    return f"{n / 1048576:g} MiB" if n >= 1048576 else f"{n / 1024:g} KiB"


class RetryAfterTooLong(ArmGuardError):
    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"ARM asked to retry after {seconds:g} s (Retry-After), longer than "
            f"{MAX_RETRY_AFTER:g} s or the time left",
            "ARM is throttling hard; re-run later or with a lower --concurrency",
        )


class DeadlinePassed(ArmGuardError):
    def __init__(self, seconds: float | None) -> None:
        limit = f" of {seconds:g} s" if seconds is not None else ""
        super().__init__(
            f"the collection's time limit{limit} (--timeout) passed before this was read",
            "re-run with a larger --timeout, or check why ARM answers so slowly",
        )


class TokenTimeout(ArmGuardError):
    def __init__(self, authority: str, seconds: float) -> None:
        super().__init__(
            f"the token authority ({authority}) did not answer within {seconds:g} s",
            "check the network path to it (proxy, firewall), or raise --timeout",
        )


def collection_limit(timeout: float | None) -> float | None:
    """The collection's time limit for ``--timeout``: not given (None) is
    :data:`DEFAULT_TIMEOUT`, 0 (or less) is no limit."""
    if timeout is None:
        return DEFAULT_TIMEOUT
    return timeout if timeout > 0 else None


class Deadline:
    """The whole collection's time limit (``--timeout``); None = no limit."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.end = None if seconds is None else time.monotonic() + seconds

    def remaining(self) -> float | None:
        return None if self.end is None else self.end - time.monotonic()

    def clamp(self, seconds: float) -> float:
        """``seconds``, or less when the deadline is nearer; DeadlinePassed once it passed."""
        left = self.remaining()
        if left is None:
            return seconds
        if left <= 0:
            raise DeadlinePassed(self.seconds)
        return max(0.05, min(seconds, left))

    def check(self) -> None:
        left = self.remaining()
        if left is not None and left <= 0:
            raise DeadlinePassed(self.seconds)


def _origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = -1
    default = 443 if scheme == "https" else 80 if scheme == "http" else -1
    return scheme, (parts.hostname or "").lower(), port if port is not None else default


def same_origin(url: str, endpoint: str) -> bool:
    """True when ``url`` has the scheme, host and port of ``endpoint`` (a relative URL has)."""
    if not urlsplit(url).netloc and not urlsplit(url).scheme:
        return True
    return _origin(url) == _origin(endpoint)


class GuardPolicy(SansIOHTTPPolicy):  # type: ignore[type-arg]
    """Refuses requests to any host but ARM's and any request past the deadline; clamps each
    request's connect and read timeouts to the time left."""

    def __init__(
        self,
        endpoint: str,
        deadline: Deadline,
        *,
        connect_timeout: float = CONNECT_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
    ) -> None:
        self.endpoint = endpoint
        self.deadline = deadline
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout

    def on_request(self, request: Any) -> None:
        url = request.http_request.url
        if not same_origin(url, self.endpoint):
            raise ForeignHost(url, self.endpoint)
        options = request.context.options
        connect = min(
            options.get("connection_timeout") or self.connect_timeout, self.connect_timeout
        )
        options["connection_timeout"] = self.deadline.clamp(connect)
        options["read_timeout"] = self.deadline.clamp(self.read_timeout)


class BoundedRetryPolicy(RetryPolicy):  # type: ignore[type-arg]
    """azure-core's retry policy with ``Retry-After`` capped and every wait inside the deadline."""

    def __init__(self, deadline: Deadline, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.deadline = deadline

    def sleep(self, settings: dict[str, Any], transport: Any, response: Any = None) -> None:
        """azure-core's public hook between two attempts (every version from our floor 1.32 on),
        in the base class's order: the answer's ``Retry-After`` when it has one, else the
        exponential backoff. Here the Retry-After is capped and the backoff clamped to the
        deadline."""
        retry_after = self.get_retry_after(response) if response is not None else None
        if retry_after:
            left = self.deadline.remaining()
            if retry_after > MAX_RETRY_AFTER or (left is not None and retry_after >= left):
                raise RetryAfterTooLong(retry_after)
            transport.sleep(retry_after)
            return
        backoff = self.get_backoff_time(settings)
        if backoff > 0:
            transport.sleep(self.deadline.clamp(backoff))


class BoundedAdapter(HTTPAdapter):
    """A requests adapter that reads each answer in chunks, at most ``limit`` bytes after
    decompression, and not past the deadline."""

    def __init__(self, deadline: Deadline, limit: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.deadline = deadline
        self.limit = limit

    def send(  # type: ignore[override]
        self, request: Any, stream: bool = False, **kwargs: Any
    ) -> Any:
        response = super().send(request, stream=True, **kwargs)
        limit = self.limit if self.limit is not None else MAX_RESPONSE_BYTES
        try:
            declared = int(response.headers.get("Content-Length") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            response.close()
            raise ResponseTooLarge(request.url, limit)
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in _chunks(response):
                size += len(chunk)
                if size > limit:
                    raise ResponseTooLarge(request.url, limit)
                chunks.append(chunk)
                self.deadline.check()
        except ArmGuardError:
            response.close()
            raise
        response._content = b"".join(chunks)
        response._content_consumed = True
        return response


def _chunks(response: Any) -> Iterator[bytes]:
    import requests
    from urllib3.exceptions import DecodeError, ProtocolError, ReadTimeoutError

    raw = response.raw
    # read1: at most one socket read per chunk, so the deadline is checked between reads even
    # when an answer drips in a byte at a time (stream() blocks until a whole chunk has come)
    read1 = getattr(raw, "read1", None)
    try:
        if read1 is None:  # urllib3 1.x
            yield from raw.stream(_CHUNK, decode_content=True)
            return
        while data := read1(_CHUNK, decode_content=True):
            yield data
    except ProtocolError as exc:
        raise requests.exceptions.ChunkedEncodingError(exc) from exc
    except DecodeError as exc:
        raise requests.exceptions.ContentDecodingError(exc) from exc
    except ReadTimeoutError as exc:
        raise requests.exceptions.ReadTimeout(exc) from exc


def sdk_items(paged: Any, what: str) -> Iterator[Any]:
    """The items of an SDK pager (``ItemPaged``), page by page, stopping at a repeated
    ``nextLink`` and after :data:`MAX_PAGES` pages."""
    pages = paged.by_page()
    seen: set[str] = set()
    for count, page in enumerate(pages, start=1):
        yield from page
        token = getattr(pages, "continuation_token", None)
        if not token:
            continue
        check_next_link(str(token), seen, count, what)


def check_next_link(link: str, seen: set[str], pages: int, what: str) -> None:
    """Raise PagingLoop when ``link`` was followed before or the list has too many pages."""
    if link in seen:
        raise PagingLoop(
            f"ARM's list of {what} links back to a page it already served (a nextLink loop "
            f"after {pages} pages); the list was not read to its end",
            "re-run `asr-preflight collect`; if it persists, report it to Azure support",
        )
    if pages >= MAX_PAGES:
        raise PagingLoop(
            f"ARM's list of {what} has more than {MAX_PAGES} pages; the rest was not read",
            "narrow the plan's subscriptions, or report it if the list cannot be this long",
        )
    seen.add(link)
