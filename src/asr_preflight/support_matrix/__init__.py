"""ASR's operating-system support matrix as data, and the verdict for one guest.

The table (``asr_preflight/data/support_matrix.json``) is generated from the text of the Azure
Site Recovery Azure-to-Azure support matrix page by ``python -m asr_preflight.support_matrix
update PAGE.md`` (see :mod:`asr_preflight.support_matrix.generate`). Each row names one
distribution and version, the mobility agent version the row is for (if the page says), the
kernels it lists, and the page section and date it comes from.

How a guest is judged (:func:`judge`):

* a distribution/version the page lists as *not supported* (Debian 9.0), a kernel below a
  minimum the page states (RHEL 8.4-8.6), a Windows 2008 R2 / 7 without the SHA-2 updates, or a
  32-bit Windows client where the page says x64: ``fail``;
* a version the table lists and a kernel it lists (or a version whose rows list no kernels at
  all, with a kernel that looks like the distribution's own: ``.el8`` for RHEL 8, ``-default``
  for SUSE…): ``pass``;
* anything the table does not list (a newer release, a newer kernel, another distribution):
  ``unknown``, naming the table's date, because the page changes every few weeks and ASR adds
  new kernels by hotfix; it is never read as a failure.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any, Literal

SCHEMA = "asr-preflight/support-matrix/1"
DATA_FILE = "support_matrix.json"

Status = Literal["supported", "unsupported"]
Outcome = Literal["pass", "fail", "unknown"]


@dataclass(frozen=True)
class MatrixRow:
    """One row of the support table."""

    os: Literal["linux", "windows"]
    distribution: str  # the os-release ID (rhel, ubuntu, sles, ol…) or windows-server / windows
    version: str  # as os-release VERSION_ID writes it (8.10, 22.04, 15.5) or 2019, 11…
    status: Status = "supported"
    agent: str | None = None  # the mobility agent version the row is for, if the page says
    # kernel patterns: "5.15.0-1082-azure" (exact), ">=5.14.0-503.11.1" (this one or a later one
    # of the same upstream series), "*-default" (glob). None = the row names no kernels.
    kernels: tuple[str, ...] | None = None
    builds: tuple[str, str] | None = None  # Windows: the lowest and highest build (10.0.17763)
    arch: str | None = None  # "x64" when the page restricts the row to 64-bit
    requires: tuple[str, ...] = ()  # Windows updates the page requires (KB4474419…)
    note: str | None = None
    source: str = ""  # the page section (URL with anchor)
    date: str = ""  # the page's date (ms.date)


@dataclass(frozen=True)
class SupportMatrix:
    date: str
    source: str
    commit: str | None
    rows: tuple[MatrixRow, ...]
    schema: str = SCHEMA

    def rows_for(self, distribution: str, version: str | None = None) -> list[MatrixRow]:
        return [
            r
            for r in self.rows
            if r.distribution == distribution and (version is None or r.version == version)
        ]


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    message: str
    hint: str = ""
    rows: tuple[MatrixRow, ...] = field(default=(), repr=False)


# -- the shipped table -----------------------------------------------------------------------


@cache
def load() -> SupportMatrix:
    """The table shipped in the package (read once, on first use)."""
    text = files("asr_preflight").joinpath("data", DATA_FILE).read_text("utf-8")
    return from_json(json.loads(text))


def from_json(data: Mapping[str, Any]) -> SupportMatrix:
    if data.get("schema") != SCHEMA:
        raise ValueError(f"not a support matrix table (schema {data.get('schema')!r})")
    rows = []
    for item in data["rows"]:
        kernels = item.get("kernels")
        builds = item.get("builds")
        rows.append(
            MatrixRow(
                os=item["os"],
                distribution=item["distribution"],
                version=item["version"],
                status=item.get("status", "supported"),
                agent=item.get("agent"),
                kernels=tuple(kernels) if kernels is not None else None,
                builds=(builds[0], builds[1]) if builds else None,
                arch=item.get("arch"),
                requires=tuple(item.get("requires", ())),
                note=item.get("note"),
                source=item.get("source", ""),
                date=item.get("date", ""),
            )
        )
    return SupportMatrix(
        date=data["date"], source=data["source"], commit=data.get("commit"), rows=tuple(rows)
    )


def to_json(matrix: SupportMatrix) -> str:
    rows = []
    for r in matrix.rows:
        row: dict[str, Any] = {
            "os": r.os,
            "distribution": r.distribution,
            "version": r.version,
            "status": r.status,
        }
        if r.agent is not None:
            row["agent"] = r.agent
        if r.kernels is not None:
            row["kernels"] = list(r.kernels)
        if r.builds is not None:
            row["builds"] = list(r.builds)
        if r.arch is not None:
            row["arch"] = r.arch
        if r.requires:
            row["requires"] = list(r.requires)
        if r.note is not None:
            row["note"] = r.note
        row["source"] = r.source
        row["date"] = r.date
        rows.append(row)
    document = {
        "schema": matrix.schema,
        "date": matrix.date,
        "source": matrix.source,
        "commit": matrix.commit,
        "rows": rows,
    }
    return json.dumps(document, indent=1) + "\n"


# -- kernels ---------------------------------------------------------------------------------

_NUMBERS = re.compile(r"\d+")


def _series(kernel: str) -> str:
    """The upstream version a kernel belongs to: ``5.14.0`` of ``5.14.0-503.11.1.el9_5``."""
    return kernel.split("-", 1)[0]


def _release_numbers(kernel: str) -> tuple[int, ...]:
    """The leading numbers of a kernel release: 5.14.0-503.15.1.el9_5 -> (5, 14, 0, 503, 15, 1)."""
    numbers: list[int] = []
    for part in re.split(r"[.\-]", kernel):
        if not part.isdigit():
            break
        numbers.append(int(part))
    return tuple(numbers)


def kernel_matches(pattern: str, kernel: str) -> bool:
    """Whether ``kernel`` (``uname -r``) is one the pattern names (see MatrixRow.kernels)."""
    if pattern.startswith(">="):
        low = pattern[2:]
        if _series(low) != _series(kernel):
            return False
        have, need = _release_numbers(kernel), _release_numbers(low)
        return len(have) >= len(need) and have >= need
    if any(c in pattern for c in "*?["):
        return fnmatch.fnmatchcase(kernel, pattern)
    return kernel == pattern


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(n) for n in _NUMBERS.findall(version))


# -- judging a guest -------------------------------------------------------------------------

#: os-release IDs that name the same distribution as a table row's ID.
_ID_ALIASES = {"sles_sap": "sles", "sled": "sles", "oracle": "ol", "alma": "almalinux"}
_NAMES = {
    "rhel": "RHEL",
    "ubuntu": "Ubuntu",
    "debian": "Debian",
    "sles": "SUSE Linux Enterprise Server",
    "ol": "Oracle Linux",
    "rocky": "Rocky Linux",
    "almalinux": "AlmaLinux",
    "windows-server": "Windows Server",
    "windows": "Windows",
}


def display(distribution: str, version: str) -> str:
    return f"{_NAMES.get(distribution, distribution)} {version}".strip()


def judge(
    matrix: SupportMatrix,
    os_release: Mapping[str, str],
    kernel: str | None,
    windows: bool,
    hotfixes: Sequence[str] | None = None,
) -> Verdict:
    """The verdict for one guest; see the module docstring."""
    if windows:
        return _judge_windows(matrix, os_release, hotfixes)
    return _judge_linux(matrix, os_release, kernel)


def _absent(matrix: SupportMatrix, what: str) -> Verdict:
    return Verdict(
        "unknown",
        f"{what} is not in the support table dated {matrix.date}",
        "check the current support matrix "
        "(https://learn.microsoft.com/azure/site-recovery/azure-to-azure-support-matrix); "
        "refresh the table with `python -m asr_preflight.support_matrix update PAGE.md`",
    )


def _judge_linux(
    matrix: SupportMatrix, os_release: Mapping[str, str], kernel: str | None
) -> Verdict:
    raw_id = (os_release.get("ID") or "").strip().lower()
    version = (os_release.get("VERSION_ID") or "").strip()
    if not raw_id or not version:
        return Verdict(
            "unknown",
            "/etc/os-release names no ID and VERSION_ID",
            "the probe reads /etc/os-release; is it present and readable?",
        )
    distribution = _ID_ALIASES.get(raw_id, raw_id)
    name = display(distribution, version)
    rows = matrix.rows_for(distribution, version)
    point = (os_release.get("DEBIAN_VERSION") or "").strip()
    if distribution == "debian" and re.fullmatch(r"\d+\.\d+", point):
        # os-release says "9"; /etc/debian_version tells 9.0 (unsupported) from 9.13
        rows = rows + [r for r in matrix.rows_for(distribution, point) if r.status != "supported"]
        name = display(distribution, point)
    banned = [r for r in rows if r.status == "unsupported"]
    if banned:
        return Verdict(
            "fail",
            f"{name} is listed as not supported by the support matrix ({matrix.date})"
            + (f": {banned[0].note}" if banned[0].note else ""),
            "upgrade to a supported release",
            tuple(banned),
        )
    rows = [r for r in rows if r.status == "supported"]
    if not rows:
        known = matrix.rows_for(distribution)
        if known:
            listed = sorted({r.version for r in known if r.status == "supported"}, key=_version_key)
            return _absent(matrix, f"{name} (the table lists {listed[0]} to {listed[-1]})")
        return _absent(matrix, f"{name} ({os_release.get('PRETTY_NAME') or raw_id})")
    if not kernel:
        return Verdict("unknown", f"{name}: the running kernel was not reported")
    restricted = [r for r in rows if r.kernels is not None]
    if not restricted and not _looks_stock(distribution, version, kernel):
        return Verdict(
            "unknown",
            f"{name}: kernel {kernel} does not look like a stock {name} kernel (the support "
            f"table dated {matrix.date} lists no kernels for this release, and ASR supports "
            "stock kernels only)",
            "check `uname -r` against the distribution's kernel packages",
            tuple(rows),
        )
    if not restricted:
        return Verdict(
            "pass",
            f"{name} is supported (support table dated {matrix.date}; it lists no kernel "
            f"restriction for this release, stock kernels only), kernel {kernel}",
            rows=tuple(rows),
        )
    for row in restricted:
        for pattern in row.kernels or ():
            if kernel_matches(pattern, kernel):
                agent = f" from mobility agent {row.agent}" if row.agent else ""
                return Verdict(
                    "pass",
                    f"{name} with kernel {kernel} is supported{agent} (support table dated "
                    f"{matrix.date})",
                    rows=(row,),
                )
    minimums = [p for r in restricted if r.agent is None for p in r.kernels or () if p[:2] == ">="]
    if minimums and not any(r.agent for r in restricted):
        return Verdict(
            "fail",
            f"{name} is supported only with kernel {minimums[0][2:]} or later; the guest runs "
            f"{kernel}",
            "update the kernel to the release's current one and reboot",
            tuple(restricted),
        )
    agents = sorted({r.agent for r in restricted if r.agent}, key=_version_key)
    span = f" (mobility agent {agents[0]} to {agents[-1]})" if agents else ""
    return _absent(matrix, f"{name}: kernel {kernel}{span}")


#: What the distributions' own kernels look like, for releases whose rows list no kernels.
_STOCK = {
    "rhel": r"\.el{major}(?![0-9])",
    "ol": r"\.el{major}(?![0-9])",
    "rocky": r"\.el{major}(?![0-9])",
    "almalinux": r"\.el{major}(?![0-9])",
    "sles": r"-(default|azure)$",
    "ubuntu": r"-(generic|azure|lowlatency|aws|gcp|oracle)$",
    "debian": r"-(amd64|cloud-amd64|arm64|cloud-arm64)$",
}


def _looks_stock(distribution: str, version: str, kernel: str) -> bool:
    pattern = _STOCK.get(distribution)
    if pattern is None:
        return True
    major = version.split(".", 1)[0]
    return re.search(pattern.format(major=major), kernel) is not None


def _build(version: str) -> tuple[int, ...]:
    return _version_key(version)[:3]


def _judge_windows(
    matrix: SupportMatrix, os_release: Mapping[str, str], hotfixes: Sequence[str] | None
) -> Verdict:
    version = (os_release.get("VERSION_ID") or "").strip()
    caption = os_release.get("NAME") or os_release.get("PRETTY_NAME") or "Windows"
    build = _build(version)
    if len(build) < 3:
        return Verdict(
            "unknown",
            f"{caption}: the Windows build was not reported ({version or 'no version'})",
        )
    product_type = (os_release.get("PRODUCT_TYPE") or "").strip()
    server = product_type in ("2", "3") if product_type else "server" in caption.lower()
    distribution = "windows-server" if server else "windows"
    candidates = [
        r
        for r in matrix.rows
        if r.distribution == distribution
        and r.builds is not None
        and _build(r.builds[0]) <= build <= _build(r.builds[1])
    ]
    if not candidates:
        return _absent(matrix, f"{caption} (build {version})")
    row = candidates[0]
    name = display(distribution, row.version)
    if row.status == "unsupported":
        return Verdict("fail", f"{name} is listed as not supported ({matrix.date})", rows=(row,))
    if row.arch == "x64":
        arch = (os_release.get("ARCHITECTURE") or "").lower()
        if not arch:
            return Verdict("unknown", f"{name}: the OS architecture was not reported", rows=(row,))
        if "64" not in arch:
            return Verdict(
                "fail",
                f"{name} is supported as x64 only; this guest is {arch}",
                "a 32-bit Windows cannot be protected; rebuild it as 64-bit",
                (row,),
            )
    if row.requires:
        if hotfixes is None:
            return Verdict(
                "unknown",
                f"{name} needs {', '.join(row.requires)}, but the installed updates were not "
                "reported",
                "re-run collect; the facts probe reads Win32_QuickFixEngineering",
                (row,),
            )
        installed = {h.strip().upper() for h in hotfixes}
        missing = [kb for kb in row.requires if kb.upper() not in installed]
        if missing:
            return Verdict(
                "fail",
                f"{name} (build {version}) lacks {', '.join(missing)}: without the SHA-2 code "
                "signing support and the servicing stack update the mobility agent extension "
                "does not install",
                f"install {', '.join(missing)} (https://aka.ms/SHA-2KB) and reboot",
                (row,),
            )
    with_kbs = f" with {', '.join(row.requires)}" if row.requires else ""
    return Verdict(
        "pass",
        f"{name} (build {version}){with_kbs} is supported (support table dated {matrix.date})",
        rows=(row,),
    )
