"""The read-only guarantee, enforced in every client's pipeline.

:class:`ReadOnlyPolicy` sits in ``per_retry_policies`` of every management client, i.e. after the
retry policy and therefore after azure-mgmt-core's ``ARMAutoResourceProviderRegistrationPolicy``:
it sees every request the SDK sends, including the provider-registration ``POST …/register`` the
SDK would send on its own after a 409 ``MissingSubscriptionRegistration``, and refuses it before
it leaves the process.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from azure.core.pipeline.policies import SansIOHTTPPolicy

#: The only POST actions asr-preflight may send: they read (RULES.md "Read-only calls").
READ_ONLY_POSTS = (
    "/effectivenetworksecuritygroups",
    "/effectiveroutetable",
    "/providers/microsoft.resourcegraph/resources",
)
SAFE_METHODS = frozenset({"GET", "HEAD"})


class ReadOnlyViolation(PermissionError):
    """A request that could change Azure was about to be sent; it was refused, never sent."""

    def __init__(self, method: str, path: str) -> None:
        super().__init__(f"asr-preflight is read-only and refused to send {method} {path}")
        self.method = method
        self.path = path

    @property
    def registers_provider(self) -> str | None:
        """The provider namespace when this was the SDK's automatic provider registration."""
        parts = self.path.rstrip("/").split("/")
        if self.method == "POST" and len(parts) >= 2 and parts[-1] == "register":
            return parts[-2]
        return None


def allowed(method: str, url: str) -> bool:
    verb = method.upper()
    if verb in SAFE_METHODS:
        return True
    path = urlsplit(url).path.lower().rstrip("/")
    return verb == "POST" and path.endswith(READ_ONLY_POSTS)


class ReadOnlyPolicy(SansIOHTTPPolicy):  # type: ignore[type-arg]
    """Refuses every method except GET and HEAD (and the read-only POST actions)."""

    def on_request(self, request: Any) -> None:
        http = request.http_request
        if not allowed(http.method, http.url):
            raise ReadOnlyViolation(http.method.upper(), urlsplit(http.url).path)
