"""Service tags, each resolved once into an :class:`AddressSet` (:class:`TagIndex`), and the
facts read from Microsoft's published service-tag file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from asr_preflight.netsec.addresses import (
    AddressSet,
    parse_range,
)
from asr_preflight.snapshot import (
    ServiceTags,
)


@dataclass(frozen=True)
class ResolvedTag:
    """A service tag resolved once: its merged set and its individual prefixes (for counting)."""

    name: str
    addresses: AddressSet
    prefixes: tuple[tuple[int, int], ...]  # as published, duplicates removed, sorted


class TagIndex:
    """The collected service tags, resolved lazily by name (case-insensitive) and cached.

    A tag includes its regional children: ``Storage`` resolves to the union of ``Storage`` and
    every ``Storage.<Region>`` in the list, so a subset of the published file still behaves.
    """

    def __init__(self, tags: ServiceTags | None) -> None:
        self.cloud = tags.cloud if tags else None
        self._members: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        self._names: dict[str, str] = {}
        self._regional: dict[tuple[str, str], str] = {}
        self._resolved: dict[str, ResolvedTag | None] = {}
        for tag in tags.tags if tags else ():
            key = tag.name.lower()
            self._names[key] = tag.name
            self._members.setdefault(key, []).append((tag.name, tag.address_prefixes))
            if "." in key:
                base = key.split(".", 1)[0]
                self._members.setdefault(base, []).append((tag.name, tag.address_prefixes))
                if tag.region:
                    self._regional[(base, tag.region.lower())] = tag.name

    def __contains__(self, name: str) -> bool:
        return name.lower() in self._members

    def regional(self, base: str, region: str) -> str | None:
        """The published name of ``base`` in ``region``: (Storage, eastus) -> Storage.EastUS."""
        return self._regional.get((base.lower(), region.lower()))

    def resolve(self, name: str) -> ResolvedTag | None:
        key = name.lower()
        if key in self._resolved:
            return self._resolved[key]
        members = self._members.get(key)
        found: ResolvedTag | None = None
        if members:
            ranges = sorted(
                {r for _, prefixes in members for p in prefixes if (r := parse_range(p))}
            )
            found = ResolvedTag(self._names.get(key, name), AddressSet(ranges), tuple(ranges))
        self._resolved[key] = found
        return found


def service_tags_from_document(document: Mapping[str, object]) -> ServiceTags:
    """Facts from Microsoft's published service-tag JSON (the weekly download, or the body of
    ARM's ``serviceTags`` list): ``{"changeNumber", "cloud", "values": [{name, properties}]}``."""
    from asr_preflight.snapshot import ServiceTag

    values = document.get("values")
    tags = []
    for value in values if isinstance(values, list) else ():
        props = value.get("properties", {})
        tags.append(
            ServiceTag(
                name=str(value["name"]),
                region=str(props.get("region") or ""),
                system_service=str(props.get("systemService") or ""),
                address_prefixes=tuple(props.get("addressPrefixes") or ()),
            )
        )
    change = document.get("changeNumber")
    return ServiceTags(
        cloud=str(document.get("cloud") or ""),
        change_number=str(change) if change is not None else None,
        tags=tuple(tags),
    )
