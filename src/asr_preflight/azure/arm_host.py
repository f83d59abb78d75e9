"""No token leaves ARM's host: every request of a management client goes to the cloud's ARM
endpoint (scheme, host and port), or is refused before it is sent.

azure-core's bearer-token policy adds the ARM token to any https URL its pipeline sends, and the
SDK pagers and ``raw.list_all`` follow a ``nextLink`` as ARM wrote it. ARM's answers are input
like any other: a ``nextLink`` (or any URL) naming another host would carry the token there.
:class:`ArmHostPolicy` sits in ``per_retry_policies``, before the authentication policy, so such a
request fails (that fact becomes ``unknown``) and nothing, token or not, reaches the other host.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from azure.core.pipeline.policies import SansIOHTTPPolicy

_DEFAULT_PORTS = {"https": 443, "http": 80}


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or _DEFAULT_PORTS.get(scheme)


class OffHostRequest(PermissionError):
    """A request to a host other than the ARM endpoint; refused, never sent."""

    def __init__(self, url: str, arm_endpoint: str) -> None:
        scheme, host, port = _origin(url)
        super().__init__(
            f"refused to send a request to {scheme}://{host}:{port}, which is not the ARM "
            f"endpoint {arm_endpoint} (a nextLink or resource URL pointing elsewhere)"
        )


class ArmHostPolicy(SansIOHTTPPolicy):  # type: ignore[type-arg]
    """Refuses every request whose origin is not the ARM endpoint's."""

    def __init__(self, arm_endpoint: str) -> None:
        self.arm_endpoint = arm_endpoint.rstrip("/")
        self._origin = _origin(self.arm_endpoint)

    def on_request(self, request: Any) -> None:
        url = request.http_request.url
        if _origin(url) != self._origin:
            raise OffHostRequest(url, self.arm_endpoint)
