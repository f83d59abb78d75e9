"""Rule pack discovery and rule selection: entry points in, a :class:`RuleSet` out.

Discovery follows flake8's finder: find the entry points of group ``asr_preflight.rules``, group
them by distribution, and load each distribution (a *pack*) on its own: import it, check the API
version it requires, validate every rule (code and name well-formed, code prefix allowed,
documentation sections present, a signature that fits its kind, codes unique across packs). A pack
that fails any of this is reported in one line naming the distribution and its rules are left
out; the other packs are unaffected. The built-in pack loads first, so a third-party pack can
never displace one of its codes. ``[plugins] disable`` turns a pack off without importing it;
``[plugins] require`` (or ``--require-pack``) makes a failed pack a usage error (exit 2), and any
other failed pack makes the run incomplete (:meth:`RuleSet.notes`): a note in every report, and a
verdict at best ``unknown``.

Selection (``--select``/``--ignore``, ``[rules]``) is ruff's: codes or prefixes, the more specific
selector wins; a selector that matches no rule is an error.
"""

from __future__ import annotations

import contextlib
import inspect
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING

from asr_preflight.api import (
    API_VERSION,
    CODE_PATTERN,
    DOC_SECTIONS,
    NAME_PATTERN,
    RESERVED_PREFIXES,
    Rule,
    RuleKind,
    Severity,
    doc_sections,
)
from asr_preflight.plan import normalize_pack

if TYPE_CHECKING:
    from asr_preflight.plan import Plan

ENTRY_POINT_GROUP = "asr_preflight.rules"
BUILTIN_PACK = "asr-preflight"  # the distribution whose pack may use the reserved prefixes


class RuleLoadError(Exception):
    """A rule pack that cannot be used; the message names the distribution."""


class UnknownRuleError(KeyError):
    """A rule code that no installed pack provides."""


class SelectionError(ValueError):
    """``--select``/``--ignore`` (or ``[rules]``) names a code or prefix that matches no rule."""


# ---------------------------------------------------------------------------------------------
# Discovery
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pack:
    """One distribution's rules, or why they are left out."""

    name: str  # normalised distribution name: "asr-preflight", "contoso-asr-rules"
    version: str
    entry_points: tuple[str, ...]  # "builtin = asr_preflight_rules.catalogue:RULES"
    requires_api: str | None = None  # the pack's REQUIRES_API, None when it declares none
    rules: tuple[Rule, ...] = ()
    error: str = ""  # one line naming the distribution; its rules are then left out
    disabled: bool = False  # [plugins] disable: not even imported

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}".strip()

    @property
    def failed(self) -> bool:
        return bool(self.error)


@dataclass(frozen=True)
class RuleSet:
    """Every pack found, and the rules of those that loaded and are enabled, sorted by code."""

    packs: tuple[Pack, ...] = ()
    rules: tuple[Rule, ...] = ()

    @property
    def errors(self) -> tuple[str, ...]:
        return tuple(pack.error for pack in self.packs if pack.failed)

    def require(self, names: Iterable[str]) -> None:
        """Raise :class:`RuleLoadError` (exit 2) if a required pack failed, is disabled or is not
        installed: a run without the rules it was told to need checks nothing it was meant to."""
        by_name = {pack.name: pack for pack in self.packs}
        for raw in dict.fromkeys(names):
            pack = by_name.get(normalize_pack(raw))
            if pack is None:
                known = ", ".join(sorted(by_name)) or "none"
                raise RuleLoadError(
                    f"required rule pack {raw!r} is not installed (installed packs: {known})"
                )
            if pack.failed:
                raise RuleLoadError(f"required {pack.error}")
            if pack.disabled:
                raise RuleLoadError(f"required rule pack {raw!r} is disabled in [plugins] disable")

    def notes(self) -> tuple[str, ...]:
        """One note per failed pack, for every report: the run is incomplete."""
        return tuple(
            f"{pack.error}; its rules were not run, so no VM can be called ready "
            "(`asr-preflight rules list` shows the load errors)"
            for pack in self.packs
            if pack.failed
        )


def load_rules(points: Iterable[EntryPoint] | None = None) -> tuple[Rule, ...]:
    """The rules of every installed pack that loads, sorted by code (failed packs left out:
    :func:`load_rule_set` says which and why)."""
    return load_rule_set(points).rules


def builtin_rules() -> tuple[Rule, ...]:
    """The built-in pack's rules only (what the project's own docs and tests count)."""
    rule_set = load_rule_set(
        [p for p in entry_points(group=ENTRY_POINT_GROUP) if _dist_name(p) == BUILTIN_PACK]
    )
    if rule_set.errors:
        raise RuleLoadError(rule_set.errors[0])
    return rule_set.rules


def load_rule_set(
    points: Iterable[EntryPoint] | None = None, *, disable: Iterable[str] = ()
) -> RuleSet:
    """Find and load every installed rule pack, each on its own (see the module docstring)."""
    if points is None:
        points = entry_points(group=ENTRY_POINT_GROUP)
    grouped: dict[str, list[EntryPoint]] = {}
    for point in points:
        grouped.setdefault(_dist_name(point), []).append(point)
    off = {normalize_pack(name) for name in disable}
    order = sorted(grouped, key=lambda name: (name != BUILTIN_PACK, name))
    taken: dict[str, str] = {}  # code -> the pack label that has it
    packs: list[Pack] = []
    for name in order:
        group = sorted(grouped[name], key=lambda p: p.name)
        version = group[0].dist.version if group[0].dist is not None else ""
        described = tuple(f"{p.name} = {p.value}" for p in group)
        if name in off:
            packs.append(Pack(name, version, described, disabled=True))
            continue
        pack = _load_pack(name, version, group, taken)
        if not pack.failed:
            taken.update((rule.code, pack.label) for rule in pack.rules)
        packs.append(pack)
    rules = sorted(
        (r for p in packs if not p.failed and not p.disabled for r in p.rules), key=lambda r: r.code
    )
    return RuleSet(tuple(packs), tuple(rules))


def _dist_name(point: EntryPoint) -> str:
    if point.dist is not None:
        return normalize_pack(point.dist.name)
    return normalize_pack(point.module.split(".")[0])  # an entry point made by hand (tests)


def _load_pack(name: str, version: str, points: list[EntryPoint], taken: dict[str, str]) -> Pack:
    label = f"{name} {version}".strip()
    described = tuple(f"{p.name} = {p.value}" for p in points)
    requires: str | None = None
    rules: list[Rule] = []
    for point in points:
        where = f"rule pack {label} ({point.value})"
        try:
            with contextlib.redirect_stdout(sys.stderr):  # a chatty import never corrupts --json
                loaded = point.load()
            declared = getattr(sys.modules.get(point.module), "REQUIRES_API", None)
            if declared is not None:
                requires = str(declared)
                _check_api(requires, where)
            pack = loaded() if callable(loaded) and not isinstance(loaded, Rule) else loaded
            if isinstance(pack, Rule | str | bytes) or not isinstance(pack, Iterable):
                raise RuleLoadError(f"{where} is not a sequence of rules")
            for item in list(pack):
                if not isinstance(item, Rule):
                    raise RuleLoadError(f"{where} contains {item!r:.80}, not a Rule")
                rules.append(_adopt(item, name, label, where, taken, rules))
        except RuleLoadError as exc:
            return Pack(name, version, described, requires, error=str(exc))
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - a broken pack is reported, not fatal
            error = f"{where} failed to load: {_one_line(repr(exc))}"
            return Pack(name, version, described, requires, error=error)
    return Pack(name, version, described, requires, tuple(rules))


def _adopt(
    item: Rule, name: str, label: str, where: str, taken: dict[str, str], mine: list[Rule]
) -> Rule:
    validate_rule(item, label)
    if name != BUILTIN_PACK and item.code.startswith(RESERVED_PREFIXES):
        raise RuleLoadError(
            f"{where}: rule code {item.code} starts with a prefix reserved for asr-preflight's own "
            f"rules ({', '.join(RESERVED_PREFIXES)}); choose a prefix of your own (docs/plugins.md)"
        )
    if item.code in taken or any(r.code == item.code for r in mine):
        other = taken.get(item.code, label)
        raise RuleLoadError(
            f"{where}: rule code {item.code} is defined twice: by {other} and by {label}"
        )
    return replace(
        item,
        severity=Severity(item.severity),
        kind=RuleKind(item.kind),
        distribution=label,
        pack=name,
    )


_API = re.compile(r"^(\d+)\.(\d+)(?:\.\d+)?$")


def _check_api(required: str, where: str) -> None:
    """``REQUIRES_API = "1.0"``: the same major version, a minor version not newer than ours."""
    wanted, ours = _API.match(required), _API.match(API_VERSION)
    assert ours is not None
    if wanted is None:
        raise RuleLoadError(f"{where}: REQUIRES_API {required!r} is not a version like '1.0'")
    w_major, w_minor = int(wanted[1]), int(wanted[2])
    o_major, o_minor = int(ours[1]), int(ours[2])
    if w_major != o_major or w_minor > o_minor:
        raise RuleLoadError(
            f"{where} needs the rule API {required}; this asr-preflight provides {API_VERSION}"
        )


#: How each kind of rule is called (the engine passes these positionally).
CALLED_AS = {
    RuleKind.VM: ("ctx", "vm"),
    RuleKind.PAIR: ("ctx", "group", "vm", "peer"),
    RuleKind.ESTATE: ("ctx",),
}


def validate_rule(rule: Rule, dist: str = "") -> None:
    where = f" in rule pack {dist}" if dist else ""
    if not isinstance(rule.code, str) or not CODE_PATTERN.match(rule.code):
        raise RuleLoadError(f"malformed rule code {rule.code!r}{where} (expected e.g. ASR201)")
    if not isinstance(rule.name, str) or not NAME_PATTERN.match(rule.name):
        raise RuleLoadError(f"rule {rule.code}{where}: name {rule.name!r} is not kebab-case")
    if rule.severity not in tuple(Severity) or rule.kind not in tuple(RuleKind):
        raise RuleLoadError(
            f"rule {rule.code}{where}: severity {rule.severity!r} / kind {rule.kind!r} unknown"
        )
    sections = doc_sections(rule.doc)
    absent = [s for s in DOC_SECTIONS if not sections.get(s)]
    if not rule.title or absent:
        raise RuleLoadError(
            f"rule {rule.code}{where}: docstring lacks {', '.join(absent) or 'a title line'}"
        )
    _check_signature(rule, where)


def _check_signature(rule: Rule, where: str) -> None:
    """A rule whose function cannot be called as its kind is called fails here, once, not as a
    TypeError for every VM."""
    args = CALLED_AS[RuleKind(rule.kind)]
    shape = f"({', '.join(args)})"
    if not callable(rule.func):
        raise RuleLoadError(f"rule {rule.code}{where}: its function is not callable")
    try:
        signature = inspect.signature(rule.func)
    except (TypeError, ValueError):
        return  # a builtin or C callable without a signature: nothing to check
    try:
        signature.bind(*args)
    except TypeError:
        takes = f"({', '.join(signature.parameters)})"
        raise RuleLoadError(
            f"rule {rule.code}{where}: {RuleKind(rule.kind).value} rules are called as {shape}, "
            f"but its function takes {takes}"
        ) from None
    if rule.kind is not RuleKind.ESTATE and (
        inspect.isgeneratorfunction(rule.func) or inspect.iscoroutinefunction(rule.func)
    ):
        raise RuleLoadError(
            f"rule {rule.code}{where}: {RuleKind(rule.kind).value} rules return one Finding; "
            "its function is a generator or coroutine"
        )


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]


# ---------------------------------------------------------------------------------------------
# Selection (--select / --ignore, [rules] select / ignore), ruff-style
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    rules: tuple[Rule, ...]
    unmatched: tuple[str, ...] = ()  # selectors that matched no rule


def select_rules(
    rules: Sequence[Rule], select: Iterable[str] = (), ignore: Iterable[str] = ()
) -> Selection:
    """The rules that ``select`` (codes or prefixes; empty or ``ALL`` = every rule) keeps and
    ``ignore`` does not remove. As in ruff, the more specific selector wins (``--ignore ASR2
    --select ASR201`` keeps ASR201); for the same selector in both, ignore wins."""
    chosen = [s.strip().upper() for s in select if s.strip()]
    dropped = [s.strip().upper() for s in ignore if s.strip()]
    matched: set[str] = set()

    def specificity(code: str, selectors: list[str]) -> int:
        best = -1
        for selector in selectors:
            if selector == "ALL":
                best = max(best, 0)
                matched.add(selector)
            elif code.startswith(selector):
                best = max(best, len(selector))
                matched.add(selector)
        return best

    kept = []
    for rule in rules:
        keep = specificity(rule.code, chosen) if chosen else 0
        drop = specificity(rule.code, dropped)
        if keep >= 0 and keep > drop:
            kept.append(rule)
    unmatched = tuple(dict.fromkeys(s for s in (*chosen, *dropped) if s not in matched))
    return Selection(tuple(kept), unmatched)


@dataclass(frozen=True)
class Chosen:
    """The rules a run evaluates, and why the run is incomplete (``evaluate(incomplete=…)``)."""

    rules: tuple[Rule, ...]
    incomplete: tuple[str, ...] = ()


def choose_rules(
    plan: Plan,
    *,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    require: Sequence[str] = (),
    points: Iterable[EntryPoint] | None = None,
) -> Chosen:
    """What ``check``, ``demo`` and ``collect`` run: the installed packs less ``[plugins]
    disable``; ``[plugins] require`` plus ``require`` must have loaded (else RuleLoadError);
    ``select`` replaces the plan's ``[rules] select`` and ``ignore`` adds to its ``[rules]
    ignore``. A selector matching no rule, or a selection that keeps no rule, is a
    SelectionError, unless a pack failed to load (the
    selector may be one of its codes): then it is one more note."""
    loaded = load_rule_set(points, disable=plan.plugins.disable)
    loaded.require([*plan.plugins.require, *require])
    chosen = select_rules(
        loaded.rules, list(select) or plan.rules.select, [*plan.rules.ignore, *ignore]
    )
    notes = list(loaded.notes())
    if chosen.unmatched:
        names = ", ".join(chosen.unmatched)
        if not loaded.errors:
            raise SelectionError(
                f"--select/--ignore (or the plan's [rules]): {names} "
                f"match{'es' if len(chosen.unmatched) == 1 else ''} no installed rule; "
                "`asr-preflight rules list` shows the codes"
            )
        notes.append(f"rule selector(s) {names} matched no rule loaded in this run")
    if not chosen.rules and not loaded.errors:  # nothing evaluated must never read as Ready
        raise SelectionError(
            "--select/--ignore (or the plan's [rules], or [plugins] disable) keeps no rule to "
            "evaluate; for the same code, ignore wins over select"
        )
    return Chosen(chosen.rules, tuple(notes))


def split_codes(values: Iterable[str]) -> list[str]:
    """``["ASR2,ASR301", "ASR5"]`` (repeated or comma-separated options) -> one code each."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def find_rule(rules: Sequence[Rule], code: str) -> Rule:
    for rule in rules:
        if rule.code == code.upper():
            return rule
    raise UnknownRuleError(code)
