"""Role definitions: action patterns compiled once (:class:`Permissions`) and the built-in roles
asr-preflight suggests ("which role would grant it")."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from functools import cache
from importlib.resources import files

from asr_preflight.snapshot import Permission, RoleDefinition


@cache
def _regex(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    """One case-insensitive regex for a set of action patterns (``*`` = any characters)."""
    if not patterns:
        return None
    alternatives = (
        ".*".join(re.escape(piece) for piece in pattern.strip().split("*")) for pattern in patterns
    )
    return re.compile("|".join(f"(?:{alt})" for alt in alternatives), re.IGNORECASE)


def action_matches(pattern: str, action: str) -> bool:
    """Does one ``actions`` pattern match ``action`` (case-insensitive, ``*`` anywhere)?"""
    regex = _regex((pattern,))
    return regex is not None and regex.fullmatch(action) is not None


class Permissions:
    """Compiled permission blocks; ``grants(action)`` answers once per action. ``data=True``
    compiles the ``dataActions``/``notDataActions`` instead of ``actions``/``notActions``."""

    def __init__(self, blocks: Iterable[Permission], *, data: bool = False) -> None:
        pairs = (
            (b.data_actions, b.not_data_actions) if data else (b.actions, b.not_actions)
            for b in blocks
        )
        self._blocks = [(_regex(tuple(a)), _regex(tuple(n))) for a, n in pairs if a]
        self._answers: dict[str, bool] = {}

    def grants(self, action: str) -> bool:
        key = action.lower()
        answer = self._answers.get(key)
        if answer is None:
            answer = any(
                allow is not None
                and allow.fullmatch(action) is not None
                and (deny is None or deny.fullmatch(action) is None)
                for allow, deny in self._blocks
            )
            self._answers[key] = answer
        return answer


@cache
def builtin_roles() -> tuple[RoleDefinition, ...]:
    """The built-in roles asr-preflight suggests, least privileged first (data/*.json)."""
    text = files("asr_preflight").joinpath("data/builtin_roles.json").read_text(encoding="utf-8")
    data = json.loads(text)
    return tuple(
        RoleDefinition(
            id=f"/providers/Microsoft.Authorization/roleDefinitions/{r['id']}",
            role_name=r["roleName"],
            permissions=tuple(
                Permission(
                    tuple(p["actions"]),
                    tuple(p.get("notActions", ())),
                    tuple(p.get("dataActions", ())),
                    tuple(p.get("notDataActions", ())),
                )
                for p in r["permissions"]
            ),
            assignable_scopes=("/",),
        )
        for r in data["roles"]
    )


def builtin_role(name: str) -> RoleDefinition:
    for role in builtin_roles():
        if role.role_name.lower() == name.lower():
            return role
    raise KeyError(name)


@cache
def smallest_roles(actions: frozenset[str], *, data: bool = False) -> tuple[str, ...]:
    """The least privileged built-in role granting every action, as ``(name,)``; or a pair of
    narrower roles that together do, followed by the smallest single role, as
    ``(a, b, single)``. Empty when no built-in role in the data file grants them.
    ``data=True``: the actions are data actions."""
    roles = builtin_roles()
    compiled = [(r.role_name, Permissions(r.permissions, data=data)) for r in roles]
    wanted = sorted(actions)
    single = next(
        (i for i, (_, perms) in enumerate(compiled) if all(perms.grants(a) for a in wanted)), None
    )
    limit = single if single is not None else len(compiled)
    # a pair of roles ranked below the single role: narrower together than the single one
    for i in range(limit):
        for j in range(i + 1, limit):
            if all(compiled[i][1].grants(a) or compiled[j][1].grants(a) for a in wanted):
                pair = (compiled[j][0], compiled[i][0])  # the broader of the two first
                return (*pair, compiled[single][0]) if single is not None else pair
    return (compiled[single][0],) if single is not None else ()


def describe_roles(names: Sequence[str]) -> str:
    """``("A",)`` -> ``A``; ``("A", "B", "C")`` -> ``A together with B (or C)``."""
    if not names:
        return "a custom role with these actions"
    if len(names) == 1:
        return names[0]
    text = f"{names[0]} together with {names[1]}"
    return f"{text} (or {names[2]})" if len(names) > 2 else text
