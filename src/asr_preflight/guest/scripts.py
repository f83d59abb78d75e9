"""The probe scripts, loaded from the ``asr_preflight_checks`` package data."""

from __future__ import annotations

import base64
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Literal

Family = Literal["linux", "windows"]


@dataclass(frozen=True)
class Invocation:
    """One probe to run: its name, the text of the script, and its arguments."""

    probe: str
    family: Family
    args: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return script_text(self.family, self.probe)

    def shell_command(self) -> str:
        """For SSH: ``sh -c '<script>' <probe> args…``, every part quoted for a POSIX shell."""
        quoted = " ".join(shlex.quote(a) for a in self.args)
        return f"sh -c {shlex.quote(self.text)} asr-preflight-{self.probe} {quoted}".rstrip()

    def powershell(self) -> str:
        """For WinRM: the parameters as PowerShell assignments, then the script without its
        comment lines (the encoded command line has to stay well under Windows' 32 767
        characters)."""
        body = "\n".join(
            line for line in self.text.splitlines() if not line.lstrip().startswith("#")
        )
        return powershell_params(self.probe, self.args) + body + "\n"


@cache
def script_text(family: Family, probe: str) -> str:
    suffix = "sh" if family == "linux" else "ps1"
    return files("asr_preflight_checks").joinpath(family, f"{probe}.{suffix}").read_text("utf-8")


def _ps_quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def powershell_params(probe: str, args: Sequence[str]) -> str:
    if probe == "endpoints":  # TIMEOUT PROXY NAME=HOST:PORT...
        timeout, proxy, *targets = args
        proxy = "" if proxy == "-" else proxy
        return (
            f"$T = {int(float(timeout)) or 1}; $Proxy = {_ps_quote(proxy)}; "
            f"$Targets = @({', '.join(_ps_quote(t) for t in targets)})\n"
        )
    if probe == "ports":  # TIMEOUT PORT ADDRESS...
        timeout, port, *targets = args
        return (
            f"$T = {int(float(timeout)) or 1}; $Port = {int(port)}; "
            f"$Targets = @({', '.join(_ps_quote(t) for t in targets)})\n"
        )
    return ""


def encoded_powershell(script: str) -> str:
    """The ``-EncodedCommand`` argument: the script as base64 of UTF-16LE."""
    return base64.b64encode(script.encode("utf-16-le")).decode("ascii")
