"""A process-wide guard: tests may only talk to loopback and to the test's own lab networks.

Installed from conftest.py as an audit hook (it sees every ``socket.connect`` and every
``socket.getaddrinfo`` in this process, whatever library makes them). The guest lab registers the
networks of the namespaces it creates with :func:`allow_network`.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
from typing import Any

_allowed: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
_installed = False
blocked: list[str] = []


def allow_network(cidr: str) -> None:
    _allowed.append(ipaddress.ip_network(cidr))


def is_allowed_host(host: object) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode()
    if not isinstance(host, str):
        return False
    if host in ("localhost", "localhost.localdomain", ""):
        return True
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False  # a DNS name other than localhost
    return address.is_loopback or any(address in net for net in _allowed)


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if event == "socket.connect":
        sock, address = args[0], args[1]
        if getattr(sock, "family", None) == socket.AF_UNIX or not isinstance(address, tuple):
            return
        if not is_allowed_host(address[0]):
            blocked.append(f"connect {address!r}")
            raise PermissionError(f"test network guard: blocked connect to {address!r}")
    elif event == "socket.getaddrinfo" and not is_allowed_host(args[0]):
        blocked.append(f"getaddrinfo {args[0]!r}")
        raise PermissionError(f"test network guard: blocked DNS lookup of {args[0]!r}")


def install() -> None:
    global _installed
    if not _installed:
        sys.addaudithook(_hook)
        _installed = True
