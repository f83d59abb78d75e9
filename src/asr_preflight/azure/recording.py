"""``collect --record DIR``: every ARM answer the run received, written for a bug report.

:class:`RecordingPolicy` sits first in every management client's pipeline (``per_call``), so it
sees each request once and its final answer, after retries: bulk lists, SDK operations and every
``nextLink`` page alike. It keeps the method, path, query, api-version, status and JSON body;
never a header (no token, no request id), and values under keys that name secrets (``password``,
``primaryKey``, ...) are replaced by ``"<redacted>"`` (asr-preflight reads nothing that carries
one, this is a second guard), and so are VM extensions' public ``settings`` (CustomScript
``fileUris`` with SAS signatures, ``commandToExecute``) and their status messages and
``substatuses`` (what a script printed), which ARM does return and asr-preflight never reads.
The token authority's answers never pass these pipelines.

With ``pseudonymise``, every subscription id (anything after ``/subscriptions/``), tenant id
(the value of any ``tenantId`` key) and GUID-named management group (the tenant's root group is
named by the tenant id) is replaced, wherever it occurs, by a GUID derived from it
with a key drawn for this recording alone: the same id always gets the same pseudonym within one
recording, and nothing in the recording leads back to the real id. Resource names, addresses and
object ids of principals are kept.

The directory holds ``responses.jsonl`` (one answer per line, in the order received),
``recording.json`` (tool version, ARM endpoint, count, pseudonymised or not) and ``plan.json``
(the plan's azure, select, target and groups sections with the same substitutions, so that the
recording can be replayed: ``tests/fakes/arm.py`` ``FakeAzure.replay``). Files are written
atomically at the end of the run.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from azure.core.pipeline.policies import SansIOHTTPPolicy

if TYPE_CHECKING:
    from asr_preflight.options import AzureOptions
    from asr_preflight.plan import Plan

_GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_SUBSCRIPTION = re.compile(rf"/subscriptions/({_GUID})", re.IGNORECASE)
# a tenant's root management group is named by the tenant id: a GUID-named group is an id too
_MANAGEMENT_GROUP = re.compile(rf"/managementGroups/({_GUID})", re.IGNORECASE)
_SECRET_KEYS = frozenset(
    {
        "password",
        "adminpassword",
        "secret",
        "clientsecret",
        "accesstoken",
        "refreshtoken",
        "token",
        "primarykey",
        "secondarykey",
        "keys",
        "connectionstring",
        "primaryconnectionstring",
        "secondaryconnectionstring",
        "sastoken",
        "accountkey",
        # VM extensions: public settings (CustomScript fileUris with SAS signatures,
        # commandToExecute) and a script's stdout/stderr; asr-preflight reads neither
        "settings",
        "protectedsettings",
        "substatuses",
    }
)
#: Inside an instance view's ``extensions``, status messages carry what an extension printed.
_EXTENSION_TEXT = frozenset({"message"})
REDACTED = "<redacted>"
MAX_TEXT = 1 << 20  # a non-JSON body is kept as text up to 1 MiB


def redact(value: Any, _in_extensions: bool = False) -> Any:
    """``value`` with the values of secret-named keys replaced, at any depth (and the status
    messages of VM extensions)."""
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        for k, v in value.items():
            key = str(k).lower()
            if key in _SECRET_KEYS or (_in_extensions and key in _EXTENSION_TEXT):
                out[k] = REDACTED
            else:
                out[k] = redact(v, _in_extensions or key == "extensions")
        return out
    if isinstance(value, list):
        return [redact(v, _in_extensions) for v in value]
    return value


class Recorder:
    """Collects the answers of one run (thread-safe) and writes them to a directory."""

    def __init__(self, arm_endpoint: str) -> None:
        self.arm_endpoint = arm_endpoint.rstrip("/")
        self.entries: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def policy(self) -> RecordingPolicy:
        return RecordingPolicy(self)

    def add(self, method: str, url: str, status: int, text: str) -> None:
        parts = urlsplit(url)
        try:
            body: Any = json.loads(text) if text else None
        except ValueError:
            body = {"_text": text[:MAX_TEXT]}  # what ARM sent that was not JSON
        entry = {
            "method": method.upper(),
            "path": parts.path,
            "query": parts.query,
            "api_version": parse_qs(parts.query).get("api-version", [""])[0],
            "status": status,
            "body": redact(body),
        }
        with self._lock:
            self.entries.append(entry)

    def write(
        self,
        directory: Path,
        *,
        pseudonymise: bool = False,
        plan: dict[str, Any] | None = None,
        tool_version: str = "",
        principal_id: str | None = None,
    ) -> Path:
        from asr_preflight import fsutil

        with self._lock:
            entries = list(self.entries)
        manifest = {
            "format": "asr-preflight/arm-recording/v1",
            "tool_version": tool_version,
            "arm_endpoint": self.arm_endpoint,
            "responses": len(entries),
            "pseudonymised": pseudonymise,
            "principal_id": principal_id,  # whose role assignments were read (assignedTo)
        }
        lines = [json.dumps(e, ensure_ascii=False, sort_keys=True) for e in entries]
        plan_text = json.dumps(plan or {}, indent=1, ensure_ascii=False, sort_keys=True)
        if pseudonymise:
            swap = Pseudonyms(_ids_in(entries, plan))
            lines = [swap.text(line) for line in lines]
            plan_text = swap.text(plan_text)
        directory.mkdir(parents=True, exist_ok=True)
        fsutil.write_text(directory / "responses.jsonl", "".join(f"{x}\n" for x in lines))
        fsutil.write_text(directory / "plan.json", plan_text + "\n")
        fsutil.write_text(directory / "recording.json", json.dumps(manifest, indent=1) + "\n")
        return directory


def write_recording(
    recorder: Recorder, directory: Path, options: AzureOptions, plan: Plan, principal: str | None
) -> Path:
    """The run's recording, with the plan sections a replay needs (no guest section)."""
    from asr_preflight import __version__

    sections = plan.model_dump(mode="json", include={"azure", "select", "target", "groups"})
    return recorder.write(
        directory,
        pseudonymise=options.record_pseudonymise,
        plan=sections,
        tool_version=__version__,
        principal_id=principal,
    )


class RecordingPolicy(SansIOHTTPPolicy):  # type: ignore[type-arg]
    """Hands each final ARM answer (never its headers) to the :class:`Recorder`."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    def on_response(self, request: Any, response: Any) -> None:
        http_request, http_response = request.http_request, response.http_response
        try:
            text = http_response.text()
        except Exception:  # noqa: BLE001 - a body that cannot be read is recorded as empty
            text = ""
        self.recorder.add(http_request.method, http_request.url, http_response.status_code, text)


class Pseudonyms:
    """The same pseudonym for the same id within one recording; unlinkable across recordings."""

    def __init__(self, ids: Iterable[str]) -> None:
        key = secrets.token_bytes(32)
        self.map: dict[str, str] = {}
        for real in ids:
            digest = hmac.new(key, real.lower().encode(), hashlib.sha256).digest()
            self.map[real.lower()] = str(uuid.UUID(bytes=digest[:16], version=4))
        self._pattern = (
            re.compile("|".join(re.escape(i) for i in sorted(self.map)), re.IGNORECASE)
            if self.map
            else None
        )

    def text(self, value: str) -> str:
        if self._pattern is None:
            return value
        return self._pattern.sub(lambda m: self.map[m.group(0).lower()], value)


def _ids_in(entries: list[dict[str, Any]], plan: dict[str, Any] | None) -> set[str]:
    """Subscription ids (after ``/subscriptions/`` anywhere, ``subscriptionId`` keys, the plan's
    subscriptions), tenant ids (``tenantId`` keys) and GUID-named management groups (after
    ``/managementGroups/``, the plan's): the root group's name is the tenant id."""
    found: set[str] = set()
    blob = json.dumps([entries, plan or {}])
    found.update(m.lower() for m in _SUBSCRIPTION.findall(blob))
    found.update(m.lower() for m in _MANAGEMENT_GROUP.findall(blob))
    for item in [*entries, plan or {}]:
        _keyed_ids(item, found)
    azure = (plan or {}).get("azure", {})
    for named in [*(azure.get("subscriptions") or ()), *(azure.get("management_groups") or ())]:
        if re.fullmatch(_GUID, str(named)):
            found.add(str(named).lower())
    return found


def _keyed_ids(value: Any, into: set[str]) -> None:
    """The GUID values of ``...tenantId`` and ``...subscriptionId`` keys, at any depth."""
    if isinstance(value, dict):
        for k, v in value.items():
            if str(k).lower().endswith(("tenantid", "subscriptionid")) and isinstance(v, str):
                if re.fullmatch(_GUID, v):
                    into.add(v.lower())
            else:
                _keyed_ids(v, into)
    elif isinstance(value, list):
        for v in value:
            _keyed_ids(v, into)
