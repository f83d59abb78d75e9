"""Build the support table from the Markdown of the ASR Azure-to-Azure support matrix page.

Input: the page's source (MicrosoftDocs/azure-docs
``articles/site-recovery/azure-to-azure-support-matrix.md``, published as
https://learn.microsoft.com/azure/site-recovery/azure-to-azure-support-matrix), whole or just its
"Replicated machine operating systems" section. What is read:

* the front matter's ``ms.date`` (the date every row carries);
* the Windows table (operating system -> Windows build range; the page names no builds, so the
  names are mapped to the builds Microsoft publishes for each release, see ``_WINDOWS``), with
  the SSU/SHA-2 KB numbers the details column links to;
* the Linux table (distribution -> versions; a "(KERNEL or higher)" after a version becomes a
  minimum kernel; "X.0 isn't supported" becomes an *unsupported* row);
* every "Supported ... kernel versions" table (release(s) | mobility agent version | kernels):
  exact kernels, "KERNEL and higher", "All stock ... kernels are supported" (SUSE: ``*-default``),
  "No new ... kernels" (an empty list for that agent), or releases in the kernel column (Rocky).

Text it does not understand is an error, not a silent skip: a page that changed shape must be
looked at by a person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from asr_preflight.support_matrix import MatrixRow, SupportMatrix

PAGE_URL = "https://learn.microsoft.com/azure/site-recovery/azure-to-azure-support-matrix"


class PageError(ValueError):
    """The page text does not have the shape the generator knows."""


@dataclass(frozen=True)
class _Windows:
    pattern: str
    distribution: str
    version: str
    builds: tuple[str, str]
    service_pack: bool = False


# Builds: Windows Server / Windows release information (learn.microsoft.com/windows/release-health
# and /windows-server/get-started/windows-server-release-info). 2008 R2 and 7 need SP1 (7601).
_WINDOWS = (
    _Windows(r"Windows Server 2025\b", "windows-server", "2025", ("10.0.26100", "10.0.26100")),
    _Windows(r"Windows Server 2022\b", "windows-server", "2022", ("10.0.20348", "10.0.20348")),
    _Windows(r"Windows Server 2019\b", "windows-server", "2019", ("10.0.17763", "10.0.17763")),
    _Windows(r"Windows Server 2016\b", "windows-server", "2016", ("10.0.14393", "10.0.14393")),
    _Windows(r"Windows Server 2012 R2\b", "windows-server", "2012 R2", ("6.3.9600", "6.3.9600")),
    _Windows(r"Windows Server 2012\b", "windows-server", "2012", ("6.2.9200", "6.2.9200")),
    _Windows(r"Windows Server 2008 R2\b", "windows-server", "2008 R2", ("6.1.7601", "6.1.7601")),
    _Windows(r"Windows 11\b", "windows", "11", ("10.0.22000", "10.0.29999")),
    _Windows(r"Windows 10\b", "windows", "10", ("10.0.10240", "10.0.19045")),
    _Windows(r"Windows 8\.1\b", "windows", "8.1", ("6.3.9600", "6.3.9600")),
    _Windows(r"Windows 8\b", "windows", "8", ("6.2.9200", "6.2.9200")),
    _Windows(r"Windows 7\b", "windows", "7", ("6.1.7601", "6.1.7601")),
)

# page names -> os-release IDs, most specific first
_DISTRIBUTIONS = (
    ("oracle linux", "ol"),
    ("red hat enterprise linux", "rhel"),
    ("rhel", "rhel"),
    ("ubuntu", "ubuntu"),
    ("debian", "debian"),
    ("suse linux enterprise server", "sles"),
    ("rocky linux", "rocky"),
    ("alma linux", "almalinux"),
)

_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_BR = re.compile(r"<\s*/?\s*br\s*/?\s*>", re.IGNORECASE)
_VERSION = re.compile(r"(?<![\w.\-])(\d+\.\d+)(?![\w.\-])")
_KERNEL = re.compile(r"^\d+\.\d+[\w.\-+~]*(?::\d+)?$")
# the servicing stack and SHA-2 updates the details column links to (not the ASR rollup links)
_KB = re.compile(
    r"\[(?:servicing stack update[^\]]*|SHA-2 update)\]\(https://support\.microsoft\.com/help/(\d{6,7})\)"
)


def anchor(heading: str) -> str:
    """The anchor Learn gives a heading."""
    text = re.sub(r"[^\w\s-]", "", heading.strip().lower())
    return re.sub(r"\s+", "-", text)


def _plain(cell: str) -> str:
    return _LINK.sub(r"\1", cell).replace("`", "").strip()


def _cells(line: str) -> list[str]:
    parts = [p.strip() for p in line.strip().split("|")]
    if parts and parts[0] == "":
        parts = parts[1:]
    if parts and parts[-1] == "":
        parts = parts[:-1]
    return parts


def _distribution(text: str) -> str | None:
    lowered = text.lower()
    for name, ident in _DISTRIBUTIONS:
        if name in lowered:
            return ident
    return None


def _ms_date(text: str) -> str:
    match = re.search(r"^ms\.date:\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$", text, re.MULTILINE)
    if not match:
        raise PageError("no ms.date line in the front matter (MM/DD/YYYY)")
    month, day, year = match.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}"


def parse_page(text: str, source: str = PAGE_URL, commit: str | None = None) -> SupportMatrix:
    """The support table described by the page text ``text``."""
    date = _ms_date(text)
    rows: list[MatrixRow] = []
    heading = ""
    for line in text.splitlines():
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
            continue
        if "|" not in line or re.fullmatch(r"[\s|:\-]*", line):
            continue
        cells = _cells(line)
        if not cells or cells[0].startswith("**"):
            continue  # the header row
        where = f"{source}#{anchor(heading)}"
        lowered = heading.lower()
        if lowered == "windows":
            rows.append(_windows_row(cells, where, date))
        elif lowered == "linux":
            rows.extend(_linux_rows(cells, where, date))
        elif "kernel versions" in lowered:
            rows.extend(_kernel_rows(heading, cells, where, date))
    if not any(r.os == "windows" for r in rows) or not any(r.os == "linux" for r in rows):
        raise PageError("found no Windows or no Linux operating-system table")
    return SupportMatrix(date=date, source=source, commit=commit, rows=tuple(rows))


def _windows_row(cells: list[str], where: str, date: str) -> MatrixRow:
    if len(cells) < 2:
        raise PageError(f"Windows row with {len(cells)} cells: {cells}")
    name, details = cells[0], cells[1]
    for known in _WINDOWS:
        if re.search(known.pattern, name):
            break
    else:
        raise PageError(f"unknown Windows release {name!r}: add its builds to _WINDOWS")
    requires: tuple[str, ...] = ()
    if "SHA-2" in details:
        requires = tuple(sorted({f"KB{n}" for n in _KB.findall(details)}))
    agent = re.search(r"Mobility Agent version (\d+\.\d+) onwards", details)
    return MatrixRow(
        os="windows",
        distribution=known.distribution,
        version=known.version,
        agent=agent.group(1) if agent else None,
        builds=known.builds,
        arch="x64" if "(x64)" in name else None,
        requires=requires,
        note=_plain(name),
        source=where,
        date=date,
    )


def _linux_rows(cells: list[str], where: str, date: str) -> list[MatrixRow]:
    if len(cells) < 2:
        raise PageError(f"Linux row with {len(cells)} cells: {cells}")
    name, details = _plain(cells[0]), _plain(cells[1])
    distribution = _distribution(name)
    if distribution is None:
        raise PageError(f"unknown distribution {name!r}")
    first = _BR.split(details)[0]
    out: list[MatrixRow] = []

    def row(version: str, **extra: object) -> MatrixRow:
        return MatrixRow(
            os="linux", distribution=distribution, version=version, source=where, date=date,
            **extra,  # type: ignore[arg-type]
        )  # fmt: skip

    if distribution == "sles":
        major = re.search(r"Server (\d+)", name)
        if not major:
            raise PageError(f"no SLES major version in {name!r}")
        for token in re.findall(r"\bSP(\d+)\b|(?<![\w.])(\d+)(?=,)", first):
            sp, _ga = token
            out.append(row(f"{major.group(1)}.{sp}" if sp else major.group(1)))
        return out
    named = re.search(r"(\d+(?:\.\d+)?)", name)
    if distribution in ("ubuntu", "debian") and named:
        out.append(row(named.group(1)))
        unsupported = re.search(
            rf"Debian ({re.escape(named.group(1))}\.\d+) isn't supported", first
        )
        if unsupported:
            out.append(row(unsupported.group(1), status="unsupported", note=unsupported.group(0)))
        return out
    for match in _VERSION.finditer(first):
        version = match.group(1)
        rest = first[match.end() :]
        minimum = re.match(r"\s*\(([0-9][\w.\-]*) or higher\)", rest)
        kernels = (f">={minimum.group(1)}",) if minimum else None
        out.append(row(version, kernels=kernels))
    if not out and "see supported versions" not in first.lower():
        raise PageError(f"no versions in the {name} row: {first[:80]!r}")
    return out


def _kernel_rows(heading: str, cells: list[str], where: str, date: str) -> list[MatrixRow]:
    if len(cells) < 3:
        return []  # the "|||" spacer rows
    release, agent_cell, kernel_cell = cells[0], _plain(cells[1]), cells[2]
    distribution = _distribution(heading)
    if distribution is None:
        raise PageError(f"unknown distribution in heading {heading!r}")
    agent_match = re.fullmatch(r"(\d+\.\d+)", agent_cell.strip())
    if not agent_match:
        raise PageError(f"not a mobility agent version: {agent_cell!r}")
    agent = agent_match.group(1)
    versions = _releases(distribution, release)
    kernels: list[str] = []
    listed_versions: list[str] = []
    text = _plain(kernel_cell)
    if re.search(r"\ball stock .*kernels.* are supported", text, re.IGNORECASE):
        if distribution != "sles":
            raise PageError(f"'all stock kernels' outside SUSE: {text[:80]!r}")
        kernels.append("*-default")
        text = re.sub(r"^.*?are supported\.", "", text, flags=re.IGNORECASE)
    for item in _BR.split(text):
        item = item.strip().rstrip(".").strip()
        if not item or re.match(r"No new .* kernels supported", item, re.IGNORECASE):
            continue
        higher = re.fullmatch(r"(\S+) and higher", item)
        if higher:
            kernels.append(f">={higher.group(1)}")
        elif _KERNEL.match(item):
            kernels.append(re.sub(r":\d+$", "", item))  # SUSE's ":5" names the service pack
        elif _distribution(item) == distribution:
            listed_versions.extend(_releases(distribution, item))
        else:
            raise PageError(f"not a kernel: {item!r} (in {heading!r})")
    row_kernels: tuple[str, ...] | None = None
    if listed_versions:  # releases in the kernel column: supported from that agent, any kernel
        versions = listed_versions
    elif not versions:
        raise PageError(f"no release in {release!r}")
    else:
        row_kernels = tuple(dict.fromkeys(kernels))
    return [
        MatrixRow(
            os="linux",
            distribution=distribution,
            version=v,
            agent=agent,
            kernels=row_kernels,
            source=where,
            date=date,
        )
        for v in versions
    ]


def _releases(distribution: str, cell: str) -> list[str]:
    """The versions a release cell names: "RHEL 9.0 <br> RHEL 9.1", "14.04 LTS",
    "SUSE Linux Enterprise Server 15 (SP1, SP2)", "Debian 9.1" (Debian: the major only, as
    /etc/os-release writes it)."""
    cell = _plain(cell)
    if distribution == "sles":
        major = re.search(r"Server (\d+)", cell)
        if not major:
            return []
        return [f"{major.group(1)}.{sp}" for sp in re.findall(r"\bSP(\d+)\b", cell)]
    out = []
    for item in _BR.split(cell):
        match = re.search(r"(\d+(?:\.\d+)?)", item)
        if match:
            version = match.group(1)
            out.append(version.split(".")[0] if distribution == "debian" else version)
    return list(dict.fromkeys(out))
