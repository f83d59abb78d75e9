"""Addresses on one integer line: IPv4 at ``[0, 2**32)``, IPv6 above it, as merged ranges
searched with bisect (:class:`AddressSet`)."""

from __future__ import annotations

import ipaddress
import socket
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from typing import Literal

V6_BASE = 1 << 32  # IPv6 address x lives at V6_BASE + x on the line
V4_ALL = (0, (1 << 32) - 1)
V6_ALL = (V6_BASE, V6_BASE + (1 << 128) - 1)


def parse_range(text: str) -> tuple[int, int] | None:
    """An IP or CIDR as a range on the line, or None when ``text`` is not an address."""
    text = text.strip()
    if not text or not (text[0].isdigit() or ":" in text):
        return None
    if ":" not in text:  # IPv4 in C: ipaddress is ten times slower and tags hold thousands
        address, _, bits = text.partition("/")
        if address.count(".") != 3:
            return None
        try:
            value = int.from_bytes(socket.inet_aton(address), "big")
        except (OSError, ValueError):  # ValueError: an embedded NUL
            return None
        length = int(bits) if bits.isdigit() else (32 if not bits else -1)
        if not 0 <= length <= 32:
            return None
        size = 1 << (32 - length)
        lo = value & ~(size - 1)
        return lo, lo + size - 1
    try:
        net = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None
    lo, hi = int(net.network_address), int(net.broadcast_address)
    if net.version == 6:
        return lo + V6_BASE, hi + V6_BASE
    return lo, hi


def address_value(ip: str) -> int:
    """One IP address as a point on the line."""
    text = ip.strip()
    if ":" not in text and "/" not in text:
        found = parse_range(text)
        if found is not None:
            return found[0]
    addr = ipaddress.ip_address(text)
    return int(addr) + (V6_BASE if addr.version == 6 else 0)


def family_of(value: int) -> Literal[4, 6]:
    return 6 if value >= V6_BASE else 4


class AddressSet:
    """An immutable set of addresses: sorted, disjoint, merged inclusive ranges."""

    __slots__ = ("hi", "lo")

    def __init__(self, ranges: Iterable[tuple[int, int]] = (), *, _merged: bool = False) -> None:
        if _merged:
            pairs = list(ranges)
        else:
            pairs = []
            for lo, hi in sorted(ranges):
                if pairs and lo <= pairs[-1][1] + 1:
                    if hi > pairs[-1][1]:
                        pairs[-1] = (pairs[-1][0], hi)
                else:
                    pairs.append((lo, hi))
        self.lo: list[int] = [p[0] for p in pairs]
        self.hi: list[int] = [p[1] for p in pairs]

    @classmethod
    def of(cls, prefixes: Iterable[str]) -> AddressSet:
        ranges = []
        for prefix in prefixes:
            found = parse_range(prefix)
            if found is None:
                raise ValueError(f"{prefix!r} is not an IP address or CIDR prefix")
            ranges.append(found)
        return cls(ranges)

    def ranges(self) -> Iterator[tuple[int, int]]:
        return zip(self.lo, self.hi, strict=True)

    def __bool__(self) -> bool:
        return bool(self.lo)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AddressSet) and self.lo == other.lo and self.hi == other.hi

    def __hash__(self) -> int:
        return hash((tuple(self.lo), tuple(self.hi)))

    def __repr__(self) -> str:
        return f"AddressSet({list(self.ranges())!r})"

    def contains(self, value: int) -> bool:
        i = bisect_right(self.lo, value) - 1
        return i >= 0 and self.hi[i] >= value

    def covers(self, lo: int, hi: int) -> bool:
        i = bisect_right(self.lo, lo) - 1
        return i >= 0 and self.hi[i] >= hi

    def overlaps(self, lo: int, hi: int) -> bool:
        i = bisect_left(self.hi, lo)
        return i < len(self.lo) and self.lo[i] <= hi

    def union(self, other: AddressSet) -> AddressSet:
        if not other:
            return self
        if not self:
            return other
        return AddressSet([*self.ranges(), *other.ranges()])

    @classmethod
    def _raw(cls, lo: list[int], hi: list[int]) -> AddressSet:
        made = cls.__new__(cls)
        made.lo, made.hi = lo, hi
        return made

    def intersection(self, other: AddressSet) -> AddressSet:
        if not self.lo or not other.lo:
            return EMPTY
        small, large = (self, other) if len(self.lo) <= len(other.lo) else (other, self)
        b_lo, b_hi = large.lo, large.hi
        out_lo: list[int] = []
        out_hi: list[int] = []
        # walk the smaller set; copy the larger set's ranges inside each of its ranges by slicing
        for lo, hi in zip(small.lo, small.hi, strict=True):
            j0 = bisect_left(b_hi, lo)
            j1 = bisect_right(b_lo, hi)
            if j0 >= j1:
                continue
            start = len(out_lo)
            out_lo.extend(b_lo[j0:j1])
            out_hi.extend(b_hi[j0:j1])
            out_lo[start] = max(out_lo[start], lo)
            out_hi[-1] = min(out_hi[-1], hi)
        if out_lo == self.lo and out_hi == self.hi:
            return self  # nothing cut away: keep the identity (callers memoise on it)
        if out_lo == other.lo and out_hi == other.hi:
            return other
        return AddressSet._raw(out_lo, out_hi)

    def complement(self) -> AddressSet:
        """Everything on the line (IPv4 and IPv6) that is not in this set."""
        out_lo: list[int] = []
        out_hi: list[int] = []
        cur = 0
        for lo, hi in zip(self.lo, self.hi, strict=True):
            if lo > cur:
                out_lo.append(cur)
                out_hi.append(lo - 1)
            cur = hi + 1
        if cur <= V6_ALL[1]:
            out_lo.append(cur)
            out_hi.append(V6_ALL[1])
        return AddressSet._raw(out_lo, out_hi)

    def difference(self, other: AddressSet) -> AddressSet:
        if not self or not other:
            return self
        return self.intersection(other.complement())


EMPTY = AddressSet()
_V4 = AddressSet([V4_ALL])
_V6 = AddressSet([V6_ALL])
EVERYTHING = AddressSet([V4_ALL, V6_ALL])
