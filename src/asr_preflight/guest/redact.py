"""Keeping secrets out: proxy URLs with their credentials replaced, and a scrubber for text.

A credential found in a guest's proxy settings is replaced inside the guest by the probe script
(``http://***@proxy:3128``); these helpers apply the same rule again on the checker's side, and
:class:`Scrubber` removes any secret the checker itself holds (a WinRM or SSH password) from
every string that could end up in a snapshot, a log line or a report.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MARKER = "***"
_PART = re.compile(r"^(?P<lead>\s*(?:[A-Za-z]+=)?(?:[A-Za-z][A-Za-z0-9+.-]*://)?)(?P<body>.*)$")


def redact_url(url: str) -> tuple[str, bool]:
    """``(url with any user:password@ replaced by ***@, whether it had one)``.

    Each ``;``-separated part (WinHTTP's ``http=u:p@host:80;https=…``) is redacted, and the
    userinfo runs to the *last* ``@``, so a password holding ``@`` or ``/`` is hidden whole."""
    parts = []
    found = False
    for part in url.strip().split(";"):
        match = _PART.match(part)
        lead, body = (match.group("lead"), match.group("body")) if match else ("", part)
        if "@" in body:
            found = True
            part = f"{lead}{MARKER}@{body.rpartition('@')[2]}"
        parts.append(part)
    return ";".join(parts), found


def strip_credentials(url: str) -> str:
    """The proxy URL as the ASR agent would use it: scheme, host and port, no credentials."""
    redacted, _ = redact_url(url)
    if f"{MARKER}@" in redacted:
        scheme, _, rest = redacted.partition("://")
        if not rest:
            scheme, rest = "", scheme
        rest = rest.split("@", 1)[1]
        redacted = f"{scheme}://{rest}" if scheme else rest
    if "://" not in redacted:
        redacted = f"http://{redacted}"
    return redacted.rstrip("/")


class Scrubber:
    """Replaces each known secret by ``***`` in text (secrets shorter than 4 characters are
    ignored: they would mangle ordinary words and cannot be told apart from them anyway)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= 4 and secret not in self._secrets:
            self._secrets.append(secret)
            self._secrets.sort(key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MARKER)
        return text
