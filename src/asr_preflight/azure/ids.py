"""ARM resource id helpers."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


@dataclass(frozen=True)
class ResourceId:
    subscription: str
    resource_group: str
    name: str

    @classmethod
    def parse(cls, resource_id: str) -> ResourceId:
        parts = resource_id.strip("/").split("/")
        lower = [p.lower() for p in parts]
        try:
            sub = parts[lower.index("subscriptions") + 1]
            rg = parts[lower.index("resourcegroups") + 1]
        except (ValueError, IndexError):
            raise ValueError(f"not an ARM resource id: {resource_id!r}") from None
        return cls(sub, rg, parts[-1])


def leaf(resource_id: str) -> str:
    """The last segment of an ARM id (the resource's name): the one ``leaf`` everyone uses."""
    return resource_id.rstrip("/").rsplit("/", 1)[-1]


def sub_scope(subscription: str) -> str:
    return f"/subscriptions/{subscription}"


def subscription_of(resource_id: str | None) -> str:
    """The subscription an ARM id names ("" when it names none)."""
    if not resource_id:
        return ""
    parts = resource_id.strip("/").split("/")
    lower = [p.lower() for p in parts]
    if "subscriptions" in lower and lower.index("subscriptions") + 1 < len(parts):
        return parts[lower.index("subscriptions") + 1]
    return ""


def resource_group_id(resource_id: str) -> str:
    """The id of the resource group a resource lives in (ValueError if it names none)."""
    ref = ResourceId.parse(resource_id)
    return f"/subscriptions/{ref.subscription}/resourceGroups/{ref.resource_group}"


def text(value: object) -> str | None:
    """A model field as text: SDK enums by value ("Info", not "StatusLevelTypes.INFO")."""
    if value is None:
        return None
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)
