"""The subscriptions under management groups (``[azure] management_groups``, ``init
--management-group``), read with one paged GET per named group.

``GET /providers/Microsoft.Management/managementGroups/{groupId}/descendants``
(ManagementGroups_GetDescendants, specification/managementgroups/resource-manager/
Microsoft.Management/stable/2020-10-01/management.json) lists every management group and
subscription below the group, each with ``properties.parent.id``, paged with ``nextLink``. A
subscription's ``type`` is ``Microsoft.Management/managementGroups/subscriptions`` in 2020-10-01
(``/subscriptions`` in older versions): its ``id`` (``/subscriptions/<guid>``) is what counts.
The caller needs ``Microsoft.Management/managementGroups/descendants/read`` on the group
(Management Group Reader, or Reader at the group).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from asr_preflight.azure.api_versions import api_version
from asr_preflight.azure.raw import dig, list_all

MANAGEMENT_GROUPS_API = api_version("Microsoft.Management/managementGroups/descendants")
_MG_PREFIX = "/providers/microsoft.management/managementgroups/"
# a subscription descendant's id: anything else (broken or hostile) is left out, so that no
# listing string reaches a URL or the plan init writes
_SUBSCRIPTION_ID = re.compile(
    r"/subscriptions/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)


@dataclass(frozen=True)
class Descendants:
    """What the listings of some management groups found below them."""

    subscriptions: tuple[str, ...] = ()  # lower-cased ids, in listing order
    # subscription -> the management groups above it, up to (and including) the named group
    ancestry: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def list_descendants(client: Any, group: str) -> list[dict[str, Any]]:
    """Every descendant of one management group (management groups and subscriptions)."""
    path = f"/providers/Microsoft.Management/managementGroups/{quote(group, safe='')}/descendants"
    return list(list_all(client, path, MANAGEMENT_GROUPS_API))


def subscriptions_under(listings: Mapping[str, Iterable[Mapping[str, Any]]]) -> Descendants:
    """The subscriptions of each named group's descendant listing, with the management groups
    between each subscription and the named group (from the ``parent`` links)."""
    subs: dict[str, tuple[str, ...]] = {}
    for group, items in listings.items():
        parents: dict[str, str] = {}  # lower-cased child id -> parent management group name
        found: list[str] = []
        for item in items:
            child = str(item.get("id") or "").lower().rstrip("/")
            parent = str(dig(item, "properties", "parent", "id") or "").rstrip("/")
            if not child:
                continue
            if parent.lower().startswith(_MG_PREFIX):
                parents[child] = parent.split("/")[-1]
            if _SUBSCRIPTION_ID.fullmatch(child):
                found.append(child)
        for child in found:
            chain: list[str] = []
            node = child
            while node in parents and len(chain) < 16:  # ARM allows six levels below the root
                name = parents[node]
                if name.lower() in (c.lower() for c in chain):
                    break  # a cycle: hostile or broken input
                chain.append(name)
                if name.lower() == group.lower():
                    break
                node = _MG_PREFIX + name.lower()
            if not chain or chain[-1].lower() != group.lower():
                chain.append(group)
            sub = child.split("/")[2]
            merged = dict.fromkeys((*subs.get(sub, ()), *chain))
            subs[sub] = tuple(merged)
    return Descendants(subscriptions=tuple(subs), ancestry=subs)
