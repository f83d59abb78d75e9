"""The credential: DefaultAzureCredential for the chosen cloud, and the operating principal."""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from asr_preflight.azure.clouds import Cloud
from asr_preflight.options import is_object_id

CHAIN = (
    "environment (AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET or certificate), "
    "workload identity, managed identity, Azure CLI (az login), Azure PowerShell, "
    "Azure Developer CLI"
)


def _base() -> type[Exception]:
    from azure.core.exceptions import ClientAuthenticationError

    return ClientAuthenticationError


class CredentialError(_base()):  # type: ignore[misc]
    """No credential in the chain could get an ARM token. ``str()`` is one line for the console.

    A ClientAuthenticationError, so code that handles the SDK's authentication failures
    handles it too."""


def make_credential(cloud: Cloud, **extra: Any) -> Any:
    """``DefaultAzureCredential`` for ``cloud``. A custom cloud's authority is not a Microsoft one,
    so MSAL instance discovery (a call to login.microsoftonline.com) is disabled for it.
    ``extra`` is passed through to the credential (the product's hook for tests and embedders)."""
    from azure.identity import DefaultAzureCredential

    kwargs: dict[str, Any] = {"authority": cloud.authority_host}
    if cloud.custom:
        kwargs["disable_instance_discovery"] = True
    kwargs.update(extra)
    return DefaultAzureCredential(**kwargs)


#: Seconds to wait for the first token when no --timeout is given: the credential chain (a
#: managed-identity probe, the Azure CLI) needs seconds, a token authority that hangs must not
#: keep the run alive for the SDK's 300 s read timeout times its retries.
TOKEN_TIMEOUT = 120.0


def acquire_token(credential: Any, cloud: Cloud, *, timeout: float | None = None) -> str:
    """An ARM access token, or :class:`CredentialError` with one line saying what to do.
    Waits at most ``timeout`` seconds (default :data:`TOKEN_TIMEOUT`): a hung token authority is
    a CredentialError too (the waiting thread is left to the SDK's own timeouts)."""
    from azure.core.exceptions import AzureError

    limit = _limit(timeout)

    def fetch() -> Any:
        with quiet_sdk_logs():
            return credential.get_token(cloud.scope)

    try:
        token = _within(fetch, limit)
    except _NoAnswer:
        raise CredentialError(
            f"no access token for {cloud.name}: the token authority ({cloud.authority_host}) "
            f"did not answer within {limit:g} s; check the network path to it (proxy, "
            "firewall) or raise --timeout"
        ) from None
    except AzureError as exc:
        raise CredentialError(_one_line(exc, cloud)) from None
    except ValueError as exc:  # e.g. azure-identity refusing a malformed authority
        raise CredentialError(f"Azure credential configuration error: {exc}") from None
    return str(token.token)


class BoundedCredential:
    """The credential as the management clients see it: every token request (the first of each
    client, a refresh an hour later) waits at most what is left of the collection's deadline
    (and :data:`TOKEN_TIMEOUT`); a token authority that hangs then is that request's
    :class:`asr_preflight.azure.guard.TokenTimeout` (a FactError), not a hung run."""

    def __init__(
        self, credential: Any, cloud: Cloud, remaining: Callable[[], float | None]
    ) -> None:
        self._credential = credential
        self._cloud = cloud
        self._remaining = remaining

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from asr_preflight.azure.guard import TokenTimeout

        limit = _limit(self._remaining())
        try:
            return _within(lambda: self._credential.get_token(*scopes, **kwargs), limit)
        except _NoAnswer:
            raise TokenTimeout(self._cloud.authority_host, limit) from None


def _limit(timeout: float | None) -> float:
    return TOKEN_TIMEOUT if timeout is None else max(0.0, min(timeout, TOKEN_TIMEOUT))


class _NoAnswer(Exception):
    pass


def _within(fn: Callable[[], Any], limit: float) -> Any:
    """``fn()`` in a daemon thread, waited for at most ``limit`` seconds (_NoAnswer after)."""
    got: list[Any] = []
    failed: list[BaseException] = []

    def run() -> None:
        try:
            got.append(fn())
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
            failed.append(exc)

    worker = threading.Thread(target=run, name="asr-token", daemon=True)
    worker.start()
    worker.join(limit)
    if worker.is_alive():
        raise _NoAnswer
    if failed:
        raise failed[0]
    return got[0]


_DEVELOPER_TOOLS = (
    "VisualStudioCodeCredential",
    "AzurePowerShellCredential",
    "AzureDeveloperCliCredential",
    "SharedTokenCacheCredential",
    "InteractiveBrowserCredential",
)


def _one_line(exc: Exception, cloud: Cloud) -> str:
    text = str(getattr(exc, "message", None) or exc)
    # the first credential that really failed (not merely "unavailable"), preferring the ones a
    # server or pipeline uses over developer-tool credentials whose notices are mostly noise
    failures = [
        line.strip()
        for line in text.splitlines()
        if re.match(r"^\s*\w+Credential:", line) and "unavailable" not in line.lower()
    ]
    preferred = [line for line in failures if not line.startswith(_DEVELOPER_TOOLS)]
    cause = (preferred or failures or [""])[0]
    if not cause:
        cause = text.splitlines()[0].strip() if text.strip() else type(exc).__name__
    cause = re.sub(r"\s+", " ", cause)
    cause = re.sub(r"Trace ID:.*", "", cause).strip().rstrip(".")
    if len(cause) > 240:
        cause = cause[:237] + "..."
    return (
        f"no Azure credential could get a token for {cloud.name} ({cloud.authority_host}); "
        f"tried DefaultAzureCredential: {CHAIN}. Cause: {cause}. "
        "Run `az login` (or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET) "
        "and retry."
    )


def principal_from_token(token: str) -> str | None:
    """The ``oid`` claim of a JWT access token (read, never verified: it only names the principal
    whose role assignments are read; ARM itself verifies the token)."""
    parts = token.split(".")
    if len(parts) < 2:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, UnicodeDecodeError):
        return None
    oid = claims.get("oid") if isinstance(claims, dict) else None
    # it goes into ARM's assignedTo('<oid>') filter: a GUID or nothing
    return oid if isinstance(oid, str) and is_object_id(oid) else None


#: SDK loggers whose warnings would garble the console: azure-identity prints each failed
#: credential over several lines (we print one), and azure-mgmt-core announces "We are
#: registering for you" for a provider registration the read-only policy refuses.
NOISY_LOGGERS = ("azure.identity", "azure.mgmt.core.policies", "urllib3.connectionpool")


@contextmanager
def quiet_sdk_logs() -> Iterator[None]:
    loggers = [logging.getLogger(name) for name in NOISY_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
