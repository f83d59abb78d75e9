"""Turning SDK exceptions into FactErrors with a cause and a hint saying what to do."""

from __future__ import annotations

import json
import re
from typing import Any

from asr_preflight.azure.guard import ArmGuardError
from asr_preflight.azure.readonly import ReadOnlyViolation
from asr_preflight.snapshot import FactError, FactKind


def fact_error(exc: BaseException, kind: FactKind, scope: str, needs: str) -> FactError:
    """``needs`` is what the principal needs on ``scope``, e.g. "Reader" (or, with " on ",
    what it needs where: "Reader on the VM")."""
    from azure.core.exceptions import (
        DecodeError,
        HttpResponseError,
        ServiceRequestError,
        ServiceResponseError,
    )

    where = scope if scope.startswith("/") else f"/subscriptions/{scope.split('/', 1)[0]}"
    if isinstance(exc, ArmGuardError):  # a foreign nextLink, a loop, too large, too late
        return FactError(kind, scope, exc.cause, exc.hint)
    if isinstance(exc, ReadOnlyViolation):
        provider = exc.registers_provider
        if provider:
            sub = _subscription(exc.path) or scope
            return FactError(
                kind,
                scope,
                f"resource provider {provider} is not registered in subscription {sub} "
                "(HTTP 409 MissingSubscriptionRegistration)",
                f"asr-preflight is read-only and never registers providers; an owner can run "
                f"`az provider register --namespace {provider} --subscription {sub}`",
            )
        return FactError(kind, scope, str(exc), "this is a bug in asr-preflight; please report it")
    if isinstance(exc, DecodeError | json.JSONDecodeError):
        return FactError(kind, scope, "ARM returned a malformed (non-JSON) answer", _RETRY)
    if isinstance(exc, HttpResponseError):
        status = exc.status_code or 0
        code = _error_code(exc)
        message = _error_message(exc)
        cause = (
            f"HTTP {status}" + (f" {code}" if code else "") + (f": {message}" if message else "")
        )
        if status in (401, 403):
            return FactError(
                kind, scope, cause, f"needs {needs}" + ("" if " on " in needs else f" on {where}")
            )
        if status == 409 and code == "MissingSubscriptionRegistration":
            provider = _provider(message) or "the resource provider"
            return FactError(
                kind,
                scope,
                cause,
                f"asr-preflight never registers providers; an owner can run "
                f"`az provider register --namespace {provider}`",
            )
        if status == 404:
            return FactError(
                kind, scope, cause, f"check that {where} exists and that the identity can see it"
            )
        if status == 429:
            return FactError(
                kind,
                scope,
                cause + " (retries exhausted)",
                "ARM kept throttling; re-run later or with a lower --concurrency",
            )
        if status >= 500:
            return FactError(kind, scope, cause + " (retries exhausted)", _RETRY)
        return FactError(kind, scope, cause, _RETRY)
    if isinstance(exc, ServiceRequestError | ServiceResponseError):
        return FactError(
            kind,
            scope,
            f"connection to ARM failed: {_short(exc)}",
            "check the network path (proxy, firewall, REQUESTS_CA_BUNDLE) to the ARM endpoint "
            "and re-run",
        )
    # a response whose fields were missing or of the wrong type
    return FactError(
        kind, scope, f"ARM returned an answer that could not be read: {_short(exc)}", _RETRY
    )


_RETRY = "re-run `asr-preflight collect`; if it persists, the Azure service is degraded"


def _short(exc: BaseException) -> str:
    text = re.sub(r"\s+", " ", str(exc)).strip() or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _error_code(exc: Any) -> str:
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None)
    if code:
        return str(code)
    body = _body(exc)
    return str(body.get("error", {}).get("code", "")) if isinstance(body.get("error"), dict) else ""


def _error_message(exc: Any) -> str:
    error = getattr(exc, "error", None)
    message = getattr(error, "message", None)
    if not message:
        body = _body(exc)
        message = (
            body.get("error", {}).get("message") if isinstance(body.get("error"), dict) else None
        )
    text = re.sub(r"\s+", " ", str(message or "")).strip()
    return text if len(text) <= 300 else text[:297] + "..."


def _body(exc: Any) -> dict[str, Any]:
    response = getattr(exc, "response", None)
    try:
        data = json.loads(response.text()) if response is not None else {}
    except (ValueError, AttributeError, TypeError):
        return {}
    return data if isinstance(data, dict) else {}


def _provider(message: str) -> str | None:
    found = re.search(r"namespace '([A-Za-z0-9.]+)'", message)
    return found.group(1) if found else None


def _subscription(path: str) -> str | None:
    found = re.search(r"/subscriptions/([^/]+)", path, re.IGNORECASE)
    return found.group(1) if found else None
