"""ARM scopes for the RBAC evaluator: normalised, their chain of ancestors, and for people."""

from __future__ import annotations


def normalize_scope(scope: str) -> str:
    """Lower case, one leading slash, no trailing or doubled slashes; the tenant root is ``/``."""
    low = scope.strip().lower()
    if low.startswith("/") and not low.endswith("/") and "//" not in low:
        return low
    parts = [p for p in low.split("/") if p]
    return "/" + "/".join(parts)


def scope_chain(scope: str) -> tuple[str, ...]:
    """The normalized scope and every prefix of it, root (``/``) first."""
    parts = [p for p in normalize_scope(scope).split("/") if p]
    return ("/", *("/" + "/".join(parts[: i + 1]) for i in range(len(parts))))


def is_within(scope: str, ancestor: str) -> bool:
    """``scope`` is ``ancestor`` or below it (both normalized)."""
    return ancestor == "/" or scope == ancestor or scope.startswith(ancestor + "/")


def subscription_of(scope: str) -> str | None:
    parts = normalize_scope(scope).split("/")
    if len(parts) >= 3 and parts[1] == "subscriptions":
        return parts[2]
    return None


def _guid(definition_id: str) -> str:
    return definition_id.rstrip("/").rsplit("/", 1)[-1].lower()


def describe_scope(scope: str) -> str:
    """A scope for people: ``subscription S``, ``resource group RG``, ``management group M``,
    ``the tenant root``, or a resource's name (original case kept)."""
    parts = [p for p in scope.strip().split("/") if p]
    low = [p.lower() for p in parts]
    if not parts:
        return "the tenant root"
    if low[:3] == ["providers", "microsoft.management", "managementgroups"] and len(parts) >= 4:
        return f"management group {parts[3]}"
    if low[0] == "subscriptions" and len(parts) == 2:
        return f"subscription {parts[1]}"
    if low[0] == "subscriptions" and len(parts) == 4 and low[2] == "resourcegroups":
        return f"resource group {parts[3]}"
    return parts[-1]
