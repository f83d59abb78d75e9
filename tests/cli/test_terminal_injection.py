"""Terminal injection: estate strings with ESC/CSI/OSC sequences, C1 controls, carriage returns
and newlines reach the console escaped, on a real pseudo-terminal, with NO_COLOR, and in a pipe.

The CLI runs as a child process on a pty (``os.openpty``), as a user would see it.
"""

from __future__ import annotations

import fcntl
import os
import re
import struct
import subprocess
import sys
import termios
import time
import unicodedata
from dataclasses import replace
from pathlib import Path

import pytest

from asr_preflight.printable import printable
from asr_preflight.snapshot import (
    Eligibility,
    EligibilityError,
    load_snapshot,
    snapshot_to_json,
)

DEMO = Path(__file__).parents[2] / "src" / "asr_preflight" / "demo" / "snapshot.json"
FORGED = "Run verdict: Ready (exit code 0: every VM Ready)"
EVIL_NAME = f"web\x1b[2J\x1b]0;owned\x07\x9b31m\r{FORGED}\n{FORGED}"
EVIL_MESSAGE = "stale agent \x1b]8;;https://evil.test\x1b\\click\x1b]8;;\x1b\\ \u202eelif\u202c"
#: what rich itself writes on a terminal: SGR colours/styles only
RICH_OWN = re.compile(r"\x1b\[[0-9;]*m")


def test_printable_escapes_every_control_character() -> None:
    assert printable("a\x1b[31mb\nc\rd\te\x00f\x7fg\x9bh\u2028i\u202ej") == (
        "a\\x1b[31mb\\nc\\rd\\te\\x00f\\x7fg\\x9bh\\u2028i\\u202ej"
    )
    assert printable("vm-web-01 ünïcode ✓") == "vm-web-01 ünïcode ✓"


# Every Unicode bidirectional formatting character (UAX #9: marks, embeddings and overrides,
# isolates) and the byte order mark / zero width no-break space.
BIDI_AND_BOM = [
    "\u061c",  # ARABIC LETTER MARK
    "\u200e",  # LEFT-TO-RIGHT MARK
    "\u200f",  # RIGHT-TO-LEFT MARK
    *(chr(c) for c in range(0x202A, 0x202F)),  # LRE RLE PDF LRO RLO
    *(chr(c) for c in range(0x2066, 0x206A)),  # LRI RLI FSI PDI
    "\ufeff",  # BYTE ORDER MARK (ZERO WIDTH NO-BREAK SPACE)
]


@pytest.mark.parametrize("char", BIDI_AND_BOM, ids=lambda c: f"U+{ord(c):04X}")
def test_printable_escapes_bidi_marks_and_the_bom(char: str) -> None:
    assert printable(f"vm{char}-01") == f"vm\\u{ord(char):04x}-01"


def test_printable_escapes_every_explicit_bidi_formatting_character() -> None:
    explicit = {"LRE", "RLE", "PDF", "LRO", "RLO", "LRI", "RLI", "FSI", "PDI"}
    found = [chr(c) for c in range(0x110000) if unicodedata.bidirectional(chr(c)) in explicit]
    assert found and all(printable(c) != c for c in found)


def _hostile_snapshot(tmp_path: Path) -> Path:
    snap = load_snapshot(DEMO)
    first, *rest = snap.vms
    snap = replace(
        snap,
        vms=(replace(first, name=EVIL_NAME), *rest),
        eligibility=(
            *(e for e in snap.eligibility if e.vm_id != first.id),
            Eligibility(first.id, (EligibilityError("150436", EVIL_MESSAGE),)),
        ),
        collection=replace(snap.collection, eligibility_skipped=False),
    )
    path = tmp_path / "hostile.json"
    path.write_text(snapshot_to_json(snap))
    return path


def _run_on_pty(args: list[str], env: dict[str, str]) -> str:
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 220, 0, 0))
    proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env)
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(master)
        proc.wait(timeout=60)
    return b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.parametrize("mode", ["tty", "tty-no-color", "pipe"])
def test_no_raw_escape_from_estate_data_reaches_the_console(tmp_path: Path, mode: str) -> None:
    snapshot = _hostile_snapshot(tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS", "TERM")}
    env["TERM"] = "xterm-256color"
    if mode == "tty-no-color":
        env["NO_COLOR"] = "1"
    args = [sys.executable, "-m", "asr_preflight", "check", "--snapshot", str(snapshot)]
    args += ["--output-dir", str(tmp_path / "out")]
    if mode == "pipe":
        done = subprocess.run(args, env=env, capture_output=True, timeout=120, check=False)
        output = (done.stdout + done.stderr).decode("utf-8", "replace")
    else:
        output = _run_on_pty(args, env)
    assert "Run verdict:" in output, output[-2000:]
    own = RICH_OWN.sub("", output)
    if mode == "pipe":
        assert own == output  # no terminal codes at all
    assert "\x1b" not in own and "\x9b" not in own and "\x07" not in own
    assert "\u202e" not in own and "\x00" not in own
    assert "\\x1b]0;owned\\x07" in own  # the name is there, visibly escaped
    assert "\\x1b]8;;https://evil.test" in own  # and the eligibility message
    lines = own.replace("\r\n", "\n").split("\n")
    assert [line for line in lines if line.lstrip().startswith("Run verdict:")] == [
        next(line for line in lines if line.lstrip().startswith("Run verdict:"))
    ]
    assert not any(line.lstrip().startswith("Run verdict: Ready") for line in lines)
    assert "\r" not in own.replace("\r\n", "\n")
