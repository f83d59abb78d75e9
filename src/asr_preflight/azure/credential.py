"""The credential: DefaultAzureCredential for the chosen cloud, and the operating principal."""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from asr_preflight.azure.clouds import Cloud

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

    limit = TOKEN_TIMEOUT if timeout is None else max(0.0, min(timeout, TOKEN_TIMEOUT))
    got: list[Any] = []
    failed: list[BaseException] = []

    def fetch() -> None:
        try:
            with quiet_sdk_logs():
                got.append(credential.get_token(cloud.scope))
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
            failed.append(exc)

    worker = threading.Thread(target=fetch, name="asr-token", daemon=True)
    worker.start()
    worker.join(limit)
    if worker.is_alive():
        raise CredentialError(
            f"no access token for {cloud.name}: the token authority ({cloud.authority_host}) "
            f"did not answer within {limit:g} s; check the network path to it (proxy, "
            "firewall) or raise --timeout"
        )
    try:
        if failed:
            raise failed[0]
        token = got[0]
    except AzureError as exc:
        raise CredentialError(_one_line(exc, cloud)) from None
    except ValueError as exc:  # e.g. azure-identity refusing a malformed authority
        raise CredentialError(f"Azure credential configuration error: {exc}") from None
    return str(token.token)


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
    return oid if isinstance(oid, str) and oid else None


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
