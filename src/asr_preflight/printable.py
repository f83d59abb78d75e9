"""Estate text made safe for a terminal: control characters shown, never obeyed.

VM names, NSG rule names, eligibility messages and error texts come from Azure and from guests;
anyone who can name a VM can put ESC/CSI/OSC sequences (colours, cursor moves, window titles,
hyperlinks, clipboard writes), a carriage return or a newline into them. Everything the console
and the ``error:`` line print from such data goes through :func:`printable`: C0 and C1 control
characters, DEL, the Unicode line/paragraph separators, every bidirectional formatting
character (marks, embeddings, overrides, isolates) and the byte order mark become visible
escapes (``\\x1b``, ``\\n``, ``\\u202e``), so a name can neither drive the terminal nor
forge a line of output such as ``Run verdict: Ready``. The report files escape in their own
formats (HTML, JSON, XML).
"""

from __future__ import annotations

import re

# C0, DEL, C1; line and paragraph separators; the bidirectional marks (ALM, LRM, RLM),
# embeddings and overrides (LRE..RLO), isolates (LRI..PDI); the BOM (zero width no-break space)
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object) -> str:
    """``text`` with every control character replaced by a visible escape."""
    return _UNSAFE.sub(_escape, str(text))
