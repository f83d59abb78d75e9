"""Turning the probe scripts' JSON into facts (and choosing the proxy the ASR agent would use).

Every parser takes the decoded JSON object of one probe and returns fact values; a malformed
answer raises :class:`ProbeOutputError`, which the collector records as that probe's error (its
facts stay ``None``: a probe that did not report is never read as a pass).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeGuard

from asr_preflight.guest.redact import redact_url, strip_credentials
from asr_preflight.snapshot import (
    EndpointProbe,
    GuestDisk,
    PortProbe,
    ProxySetting,
    RootCertificate,
    ServiceState,
)


class ProbeOutputError(ValueError):
    """A probe printed something that is not the JSON object it promises."""


def decode(stdout: str) -> dict[str, Any]:
    text = stdout.strip()
    start = text.find("{")  # tolerate a login banner or profile noise before the object
    if start < 0:
        raise ProbeOutputError(f"no JSON object in the output ({_excerpt(text)})")
    try:
        value = json.loads(text[start:])
    except json.JSONDecodeError as exc:
        raise ProbeOutputError(f"malformed JSON ({exc.msg} at {exc.pos})") from None
    if not isinstance(value, dict):
        raise ProbeOutputError("the output is not a JSON object")
    return value


def _excerpt(text: str) -> str:
    return repr(text[:80]) if text else "empty"


def _list(value: Any) -> list[Any]:
    """PowerShell's ConvertTo-Json turns a one-element array into the element itself."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


# -- facts -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BasicFacts:
    os_release: Mapping[str, str]
    kernel: str | None
    root_free_bytes: int | None
    grub_device_names: tuple[str, ...] | None
    grub_files: tuple[str, ...] | None
    services: tuple[ServiceState, ...] | None
    clock_utc: str | None
    hotfixes: tuple[str, ...] | None = None
    grub_unreadable: tuple[str, ...] = ()  # GRUB files/directories the probe user cannot read


def grub_partial(unreadable: Sequence[str]) -> str:
    """The probe error ``grub``: some GRUB files were not readable, so what the GRUB files name
    (root=/resume= for ASR308, rd.lvm.lv= for ASR312) is a partial answer."""
    return f"not readable by the probe user: {', '.join(unreadable)}"


_START_TYPES = {"auto": "Automatic", "automatic": "Automatic", "manual": "Manual",
                "disabled": "Disabled", "boot": "Boot", "system": "System"}  # fmt: skip


def parse_facts(data: Mapping[str, Any], windows: bool) -> BasicFacts:
    release = data.get("os_release") or {}
    if not isinstance(release, Mapping):
        raise ProbeOutputError("os_release is not an object")
    free = data.get("root_free_bytes")
    grub = data.get("grub_device_names")
    files = data.get("grub_files")
    services: tuple[ServiceState, ...] | None = None
    if windows:
        services = tuple(
            ServiceState(
                name=str(s.get("name")),
                start_type=_START_TYPES.get(
                    str(s.get("start_type") or "").lower(), s.get("start_type")
                ),
                status=s.get("status"),
            )
            for s in _list(data.get("services"))
            if isinstance(s, Mapping)
        )
    return BasicFacts(
        os_release={str(k): str(v) for k, v in release.items() if v is not None},
        kernel=str(data["kernel"]) if data.get("kernel") else None,
        root_free_bytes=int(free) if isinstance(free, int | float) and not windows else None,
        grub_device_names=tuple(str(g) for g in _list(grub)) if grub is not None else None,
        grub_files=tuple(str(f) for f in _list(files)) if files is not None else None,
        services=services,
        clock_utc=str(data["clock_utc"]) if data.get("clock_utc") else None,
        hotfixes=(
            tuple(str(h).strip().upper() for h in _list(data.get("hotfixes")) if h)
            if windows and "hotfixes" in data
            else None
        ),
        grub_unreadable=tuple(_printable(str(f)) for f in _list(data.get("grub_unreadable")) if f),
    )


# -- storage: LVM and data disks ----------------------------------------------------------------

_LV = re.compile(r"^[A-Za-z0-9+_.-]+/[A-Za-z0-9+_.-]+$")


@dataclass(frozen=True)
class StorageFacts:
    grub_lvm_volumes: tuple[str, ...] | None
    logical_volumes: tuple[str, ...] | None
    data_disks: tuple[GuestDisk, ...] | None
    errors: Mapping[str, str]  # "lvs" / "disks" -> why that part is None; "grub" -> a partial read


def _lv_name(value: str) -> str:
    """``vg/lv`` from a GRUB value: ``rootvg/rootlv``, ``/dev/rootvg/rootlv`` or
    ``/dev/mapper/rootvg-rootlv`` (device-mapper doubles a dash inside a name)."""
    value = value.strip()
    if value.startswith("/dev/mapper/"):
        name = value[len("/dev/mapper/") :]
        parts = re.split(r"(?<!-)-(?!-)", name, maxsplit=1)
        if len(parts) == 2:
            return "/".join(p.replace("--", "-") for p in parts)
    return value.removeprefix("/dev/")


def _opt_str(value: Any) -> str | None:
    return None if value is None else _printable(str(value))


def _printable(text: str) -> str:
    """Guest text shown in messages: control characters replaced (a terminal never sees them)."""
    return "".join(c if c.isprintable() else "?" for c in text)


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_storage(data: Mapping[str, Any], windows: bool) -> StorageFacts:
    """The storage probe's answer (Linux: GRUB LVs, lvs, LUN links; Windows: Get-Disk)."""
    if windows:
        return StorageFacts(None, None, _windows_disks(data), {})
    errors: dict[str, str] = {}
    grub = data.get("grub_lvm_volumes")
    grub_lvs = (
        tuple(dict.fromkeys(_printable(_lv_name(str(v))) for v in _list(grub) if v))
        if grub is not None
        else None
    )
    unreadable = [_printable(str(f)) for f in _list(data.get("grub_unreadable")) if f]
    if unreadable:  # the volumes above come from the readable GRUB files only
        errors["grub"] = grub_partial(unreadable)
    lvs = data.get("logical_volumes")
    volumes: tuple[str, ...] | None = None
    if lvs is None:
        errors["lvs"] = str(data.get("lvs_error") or "lvs reported nothing")
    else:
        volumes = tuple(sorted({str(v) for v in _list(lvs) if _LV.match(str(v))}))
    disks: tuple[GuestDisk, ...] | None = None
    if data.get("luns") is None:
        errors["disks"] = str(data.get("luns_error") or "the data disks were not reported")
    else:
        found = []
        for item in _list(data.get("luns")):
            if not isinstance(item, Mapping) or not _is_int(item.get("lun")):
                continue
            parts = item.get("partitions")
            found.append(
                GuestDisk(
                    lun=int(item["lun"]),
                    device=_opt_str(item.get("device")),
                    partitions=int(parts) if _is_int(parts) else None,
                    partition_table=_opt_str(item.get("pttype")),
                    filesystem=_opt_str(item.get("fstype")),
                    detail=_opt_str(item.get("detail")),
                )
            )
        disks = tuple(sorted(found, key=lambda d: d.lun))
    return StorageFacts(grub_lvs, volumes, disks, errors)


def _windows_disks(data: Mapping[str, Any]) -> tuple[GuestDisk, ...]:
    """Data disks from Get-Disk: disks with a LUN, on another adapter than the boot/system
    disk (the OS and temporary disks share the first controller; data disks are on the SCSI
    controller ARM attaches them to)."""
    disks = [d for d in _list(data.get("disks")) if isinstance(d, Mapping)]
    boot_adapters = {d.get("adapter") for d in disks if d.get("is_boot") or d.get("is_system")}
    found = []
    for d in disks:
        lun = d.get("lun")
        if not _is_int(lun) or d.get("is_boot") or d.get("is_system"):
            continue
        if d.get("adapter") in boot_adapters:
            continue
        parts = d.get("partitions")
        found.append(
            GuestDisk(
                lun=lun,
                device=_printable(f"Disk {d.get('number')}"),
                partitions=int(parts) if _is_int(parts) else None,
                partition_table=_opt_str(d.get("partition_style")),
                offline=bool(d["is_offline"]) if isinstance(d.get("is_offline"), bool) else None,
            )
        )
    return tuple(sorted(found, key=lambda g: g.lun))


# -- trust store ---------------------------------------------------------------------------------


def parse_trust(data: Mapping[str, Any]) -> tuple[str | None, tuple[RootCertificate, ...]]:
    """``(store, roots)`` from either form: ``der_base64`` (Linux) or ``roots`` (Windows)."""
    store = data.get("bundle")
    if data.get("der_base64") is None and data.get("roots") is None:
        raise ProbeOutputError(str(data.get("error") or "the probe found no root store"))
    roots: list[RootCertificate] = []
    for item in _list(data.get("roots")):
        roots.append(
            RootCertificate(
                sha256=str(item["sha256"]).replace(":", "").upper(),
                subject=str(item.get("subject", "")),
                not_after=_iso(str(item.get("not_after", ""))),
            )
        )
    for der_b64 in _list(data.get("der_base64")):
        cert = _root_from_der(str(der_b64))
        if cert is not None:
            roots.append(cert)
    return (str(store) if store else None), tuple(roots)


def _root_from_der(der_b64: str) -> RootCertificate | None:
    from cryptography import x509  # paramiko's own dependency; imported only when needed

    try:
        der = base64.b64decode(der_b64, validate=True)
    except (binascii.Error, ValueError):
        return None
    sha256 = hashlib.sha256(der).hexdigest().upper()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. a root with a negative serial number
        try:
            cert = x509.load_der_x509_certificate(der)
            subject = cert.subject.rfc4514_string()
            not_after = cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            return RootCertificate(sha256=sha256, subject="(unparseable certificate)", not_after="")
    return RootCertificate(sha256=sha256, subject=subject, not_after=not_after)


def _iso(value: str) -> str:
    return value.replace("+00:00", "Z") if value else value


# -- proxies -------------------------------------------------------------------------------------


def parse_proxies(data: Mapping[str, Any]) -> tuple[ProxySetting, ...]:
    out = []
    for item in _list(data.get("proxies")):
        if not isinstance(item, Mapping) or not item.get("url"):
            continue
        url, had = redact_url(str(item["url"]))  # again on this side: defence in depth
        out.append(
            ProxySetting(
                source=str(item.get("source", "?")),
                url=url,
                has_credentials=bool(item.get("has_credentials")) or had,
                bypass=tuple(str(b) for b in _list(item.get("bypass")) if b),
            )
        )
    return tuple(out)


#: Where the ASR mobility agent takes its proxy from, most specific first.
_AGENT_SOURCES_LINUX = (
    "ProxyInfo.conf",
    "/etc/environment:https_proxy",
    "/etc/environment:HTTPS_PROXY",
    "/etc/environment:http_proxy",
    "/etc/environment:HTTP_PROXY",
    "env:https_proxy",
    "env:HTTPS_PROXY",
    "env:http_proxy",
    "env:HTTP_PROXY",
)
_AGENT_SOURCES_WINDOWS = (
    "ProxyInfo.conf",
    "WinINET:",
    "WinHTTP",
    "env:HTTPS_PROXY",
    "env:HTTP_PROXY",
)


def agent_proxy(proxies: Sequence[ProxySetting], windows: bool) -> ProxySetting | None:
    """The proxy setting the ASR agent would use (ProxyInfo.conf first, then the OS setting)."""
    order = _AGENT_SOURCES_WINDOWS if windows else _AGENT_SOURCES_LINUX
    for wanted in order:
        for proxy in proxies:
            if wanted in proxy.source and not proxy.source.startswith("WinINET-PAC"):
                return proxy
    return None


def proxy_for(proxy: ProxySetting | None, host: str) -> str | None:
    """The credential-free proxy URL to reach ``host`` through, or None (direct / bypassed)."""
    if proxy is None:
        return None
    for entry in proxy.bypass:
        pattern = entry.strip().lower().lstrip("*")
        if pattern in ("", "<local>"):
            continue
        if host == pattern.lstrip(".") or host.endswith(
            pattern if pattern.startswith(".") else "." + pattern
        ):
            return None
    url = proxy.url
    if ";" in url or "=" in url.split("://")[-1]:  # WinINET "http=p:80;https=p:443"
        parts = dict(p.split("=", 1) for p in url.split(";") if "=" in p)
        url = parts.get("https") or parts.get("http") or next(iter(parts.values()), "")
    return strip_credentials(url) if url else None


# -- endpoints and ports -----------------------------------------------------------------------


def parse_endpoints(data: Mapping[str, Any], via_proxy: str | None) -> tuple[EndpointProbe, ...]:
    shown = redact_url(via_proxy)[0] if via_proxy else None
    out = []
    for item in _list(data.get("endpoints")):
        status = item.get("proxy_status")
        tls = item.get("tls_ok")
        out.append(
            EndpointProbe(
                name=str(item.get("name")),
                host=str(item.get("host")),
                port=int(item.get("port", 443)),
                resolved=item.get("resolved") if isinstance(item.get("resolved"), bool) else None,
                addresses=tuple(str(a) for a in _list(item.get("addresses"))),
                tls_ok=tls if isinstance(tls, bool) else None,
                via_proxy=shown,
                proxy_status=int(status) if isinstance(status, int) and status > 0 else None,
                error=str(item.get("error")) or None if item.get("error") else None,
            )
        )
    return tuple(sorted(out, key=lambda e: e.name))


PortResult = Literal["connected", "refused", "timeout", "error"]


def parse_ports(
    data: Mapping[str, Any], peers: Mapping[str, Sequence[str]]
) -> tuple[PortProbe, ...]:
    """``peers`` maps an address to the peer VM ids behind it."""
    out = []
    for item in _list(data.get("ports")):
        address = str(item.get("address"))
        result = str(item.get("result"))
        value: PortResult = result if result in ("connected", "refused", "timeout") else "error"  # type: ignore[assignment]
        for vm_id in peers.get(address, ()):
            out.append(
                PortProbe(
                    peer_vm_id=vm_id,
                    address=address,
                    port=int(item.get("port", 20004)),
                    result=value,
                    detail=str(item.get("detail") or "") or None,
                )
            )
    return tuple(out)
