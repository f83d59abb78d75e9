"""Rule packs are loaded each on its own: a broken pack is named and left out, never fatal; the
declared contract (severity, outcome, signature, prefix, API version) is enforced."""

from __future__ import annotations

import re
import sys
import types
from collections.abc import Iterator
from datetime import date, timedelta
from importlib.metadata import EntryPoint

import pytest

from asr_preflight.api import (
    API_VERSION,
    Finding,
    Outcome,
    Rule,
    RuleContext,
    estate_rule,
    failed,
    pair_rule,
    passed,
    vm_rule,
)
from asr_preflight.engine import (
    BUILTIN_PACK,
    RuleLoadError,
    UnknownRuleError,
    Verdict,
    builtin_rules,
    evaluate,
    find_rule,
    load_rule_set,
    select_rules,
)
from asr_preflight.gate import Gates
from asr_preflight.plan import Group
from asr_preflight.snapshot import VirtualMachine
from asr_preflight.testing import make_plan, make_snapshot, make_vm

DOC = """{title}

## What it checks
Something.

## Why it matters
Because.

## How to fix
Fix it.

## References
- https://learn.microsoft.com/azure/site-recovery/
"""


def _documented(func):  # type: ignore[no-untyped-def]
    func.__doc__ = DOC.format(title=f"Test rule {func.__name__}.")
    return func


def _vm(
    code: str, name: str = "always-pass", severity: str = "fail", outcome: str = "pass"
) -> Rule:
    @_documented
    def check(ctx: RuleContext, vm: VirtualMachine) -> Finding:
        return Finding(vm, outcome, f"{vm.name}: {outcome}")  # type: ignore[arg-type]

    return vm_rule(code=code, name=name, severity=severity)(check)


def _pack(name: str, rules: object, **attributes: object) -> EntryPoint:
    module = types.ModuleType(f"tstpack_{name}")
    module.RULES = rules  # type: ignore[attr-defined]
    for key, value in attributes.items():
        setattr(module, key, value)
    sys.modules[module.__name__] = module
    return EntryPoint(name=name, value=f"{module.__name__}:RULES", group="asr_preflight.rules")


def _broken_import() -> EntryPoint:
    return EntryPoint(name="x", value="no_such_module_xyz:RULES", group="asr_preflight.rules")


# -- discovery ---------------------------------------------------------------------------------


def test_the_builtin_pack_loads_first_sorted_unique_and_declares_its_api() -> None:
    rules = builtin_rules()
    codes = [r.code for r in rules]
    assert "ASR505" in codes and codes == sorted(codes) and len(codes) == len(set(codes))
    assert all(
        r.distribution.startswith("asr-preflight ") and r.pack == BUILTIN_PACK for r in rules
    )
    installed = load_rule_set()
    builtin = next(p for p in installed.packs if p.name == BUILTIN_PACK)
    assert builtin.requires_api is not None and API_VERSION.startswith(builtin.requires_api)


def test_rules_from_several_packs_are_merged_in_code_order() -> None:
    loaded = load_rule_set([_pack("b", (_vm("TST002"),)), _pack("a", [_vm("TST001")])])
    assert [r.code for r in loaded.rules] == ["TST001", "TST002"]
    assert [p.name for p in loaded.packs] == ["tstpack-a", "tstpack-b"] and not loaded.errors


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (
            _broken_import,
            r"no-such-module-xyz \(no_such_module_xyz:RULES\) failed to load: ModuleNotFound",
        ),
        (
            lambda: _pack("junk", ("ASR999",)),
            r"tstpack-junk \(tstpack_junk:RULES\) contains 'ASR999'",
        ),
        (lambda: _pack("single", _vm("TST050")), r"tstpack-single .* is not a sequence of rules"),
        (
            lambda: _pack("dup", (_vm("TST001"),)),
            r"TST001 is defined twice: by tstpack-a and by tstpack-dup",
        ),
        (lambda: _pack("twice", (_vm("TST060"), _vm("TST060"))), r"TST060 is defined twice"),
        (lambda: _pack("asr", (_vm("ASR901"),)), r"ASR901 starts with a prefix reserved"),
        (lambda: _pack("asrx", (_vm("ASRX901"),)), r"ASRX901 starts with a prefix reserved"),
        (
            lambda: _pack("bad", (_vm("tst-1"),)),
            r"malformed rule code 'tst-1' in rule pack tstpack-bad",
        ),
        (lambda: _pack("api2", (_vm("TST070"),), REQUIRES_API="2.0"), r"needs the rule API 2.0"),
        (lambda: _pack("api19", (_vm("TST071"),), REQUIRES_API="1.99"), r"needs the rule API 1.99"),
        (
            lambda: _pack("apix", (_vm("TST072"),), REQUIRES_API="latest"),
            r"'latest' is not a version",
        ),
    ],
)
def test_a_broken_pack_is_named_and_left_out_and_the_others_still_load(
    broken: object, message: str
) -> None:
    good = _pack("a", (_vm("TST001"),))
    loaded = load_rule_set([good, broken()])  # type: ignore[operator]
    assert [r.code for r in loaded.rules] == ["TST001"]
    [error] = loaded.errors
    assert "\n" not in error
    assert re.search(message, error), error
    [note] = loaded.notes()
    assert error in note and "no VM can be called ready" in note


def test_rules_without_documentation_sections_are_a_pack_error() -> None:
    def undocumented(ctx: RuleContext, vm: VirtualMachine) -> Finding:
        """Only a title."""
        return passed(vm, "")

    rule = vm_rule(code="TST009", name="undocumented", severity="warn")(undocumented)
    [error] = load_rule_set([_pack("nodoc", (rule, _vm("TST010")))]).errors
    assert "TST009 in rule pack tstpack-nodoc" in error and "lacks What it checks" in error


@pytest.mark.parametrize("kind", ["vm", "pair", "estate"])
def test_a_signature_that_does_not_fit_is_rejected_at_load(kind: str) -> None:
    @_documented
    def three(ctx: RuleContext, vm: VirtualMachine, extra: int) -> Finding:
        return passed(vm, "")

    decorator = {"vm": vm_rule, "pair": pair_rule, "estate": estate_rule}[kind]
    rule = decorator(code="TST011", name="wrong-shape", severity="fail")(three)
    [error] = load_rule_set([_pack(f"sig{kind}", (rule,))]).errors
    assert f"{kind} rules are called as" in error and "takes (ctx, vm, extra)" in error


def test_a_generator_vm_rule_is_rejected_at_load() -> None:
    @_documented
    def many(ctx: RuleContext, vm: VirtualMachine) -> Iterator[Finding]:
        yield passed(vm, "")

    rule = vm_rule(code="TST012", name="generator", severity="fail")(many)
    [error] = load_rule_set([_pack("gen", (rule,))]).errors
    assert "generator" in error


def test_api_versions_within_the_major_load_and_are_shown() -> None:
    loaded = load_rule_set([_pack("api10", (_vm("TST080"),), REQUIRES_API="1.0")])
    assert not loaded.errors and loaded.packs[0].requires_api == "1.0"


def test_a_disabled_pack_is_not_even_imported() -> None:
    loaded = load_rule_set(
        [_pack("a", (_vm("TST001"),)), _broken_import()], disable=["No_Such_Module_XYZ"]
    )
    assert not loaded.errors and [r.code for r in loaded.rules] == ["TST001"]
    assert {p.name: p.disabled for p in loaded.packs} == {
        "tstpack-a": False,
        "no-such-module-xyz": True,
    }
    assert "no_such_module_xyz" not in sys.modules


def test_a_required_pack_that_failed_missing_or_disabled_is_a_usage_error() -> None:
    loaded = load_rule_set([_pack("a", (_vm("TST001"),)), _broken_import()])
    loaded.require(["tstpack-a", "TSTPACK_A"])  # loaded: fine, names compared as PEP 503 does
    with pytest.raises(RuleLoadError, match=r"required rule pack no-such-module-xyz .*failed"):
        loaded.require(["no-such-module-xyz"])
    with pytest.raises(RuleLoadError, match=r"'contoso' is not installed"):
        loaded.require(["contoso"])
    off = load_rule_set([_pack("a", (_vm("TST001"),))], disable=["tstpack-a"])
    with pytest.raises(RuleLoadError, match="disabled"):
        off.require(["tstpack-a"])


def test_find_rule_is_case_insensitive_and_raises_for_unknown() -> None:
    rules = load_rule_set([_pack("f", (_vm("TST001"),))]).rules
    assert find_rule(rules, "tst001").name == "always-pass"
    with pytest.raises(UnknownRuleError):
        find_rule(rules, "TST404")


# -- selection ---------------------------------------------------------------------------------

CODES = ("ASR101", "ASR201", "ASR202", "ASR301", "ASR310", "ASR501")


@pytest.mark.parametrize(
    ("select", "ignore", "kept", "unmatched"),
    [
        ((), (), CODES, ()),
        (("ASR2",), (), ("ASR201", "ASR202"), ()),
        ((), ("ASR3", "ASR101"), ("ASR201", "ASR202", "ASR501"), ()),
        (("ASR201",), ("ASR2",), ("ASR201",), ()),  # the more specific selector wins
        (("ASR2",), ("ASR201",), ("ASR202",), ()),
        (("ASR2",), ("ASR2",), (), ()),  # the same selector: ignore wins
        (
            ("ALL",),
            ("ASR30",),
            ("ASR101", "ASR201", "ASR202", "ASR310", "ASR501"),
            (),
        ),
        (("asr5", "CTS1"), ("ASR9",), ("ASR501",), ("CTS1", "ASR9")),
    ],
)
def test_select_and_ignore_codes_and_prefixes(
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    kept: tuple[str, ...],
    unmatched: tuple[str, ...],
) -> None:
    rules = [_vm(code) for code in CODES]
    chosen = select_rules(rules, select, ignore)
    assert tuple(r.code for r in chosen.rules) == kept
    assert chosen.unmatched == unmatched


# -- the declared contract at evaluation --------------------------------------------------------


def test_a_warn_rule_cannot_make_a_vm_not_ready() -> None:
    rule = _vm("TST020", name="declared-warn", severity="warn", outcome="fail")
    ev = evaluate(make_snapshot(vms=[make_vm("a"), make_vm("b")]), make_plan(), [rule])
    assert {r.outcome for r in ev.results} == {Outcome.WARN}
    assert ev.verdict is Verdict.CONDITIONS
    [note] = ev.rule_errors
    assert "TST020" in note and "declared severity warn" in note and "2 targets" in note


def test_an_outcome_a_rule_may_not_give_is_unknown() -> None:
    waived = _vm("TST021", name="self-waiving", outcome="waived")
    junk = _vm("TST022", name="junk-outcome", outcome="great")
    ev = evaluate(make_snapshot(vms=[make_vm("a")]), make_plan(), [waived, junk])
    assert [r.outcome for r in ev.results] == [Outcome.UNKNOWN, Outcome.UNKNOWN]
    assert len(ev.rule_errors) == 2 and ev.verdict is Verdict.UNKNOWN


def test_an_estate_rule_yielding_a_non_finding_is_unknown_for_every_vm() -> None:
    @estate_rule(code="TST023", name="yields-junk", severity="fail")
    @_documented
    def yields_junk(ctx: RuleContext) -> Iterator[object]:
        a, b = ctx.vms
        yield failed(a, "a fails")
        yield passed(b, "b passes")
        yield (b, "fail")  # what it meant for b, in a shape the engine cannot read

    ev = evaluate(make_snapshot(vms=[make_vm("a"), make_vm("b")]), make_plan(), [yields_junk])
    assert [r.outcome for r in ev.results] == [Outcome.UNKNOWN, Outcome.UNKNOWN]
    assert "yielded tuple, not a Finding" in ev.results[1].message and ev.rule_errors


def test_a_pair_rule_returning_a_non_finding_is_unknown_for_that_pair() -> None:
    @pair_rule(code="TST024", name="pair-junk", severity="fail")
    @_documented
    def pair_junk(
        ctx: RuleContext, group: Group, vm: VirtualMachine, peer: VirtualMachine
    ) -> Finding:
        return "fine"  # type: ignore[return-value]

    plan = make_plan(groups=[{"name": "g", "vms": ["a", "b"]}])
    ev = evaluate(make_snapshot(vms=[make_vm("a"), make_vm("b")], plan=plan), plan, [pair_junk])
    assert [r.outcome for r in ev.results] == [Outcome.UNKNOWN, Outcome.UNKNOWN]


def test_an_incomplete_run_is_at_best_unknown_through_waivers_and_the_gate() -> None:
    rule = _vm("TST025")
    note = "rule pack contoso 1.0 (contoso:RULES) failed to load: ImportError('x')"
    ev = evaluate(make_snapshot(vms=[make_vm("a")]), make_plan(), [rule], incomplete=[note])
    assert [r.outcome for r in ev.results] == [Outcome.PASS]
    assert ev.verdict is Verdict.UNKNOWN and note in ev.notes and ev.incomplete == (note,)
    plan = make_plan(
        waivers=[
            {
                "rule": "TST025",
                "target": "*",
                "justification": "j",
                "owner": "o",
                "expires": date.today() + timedelta(days=30),
            }
        ]
    )
    run = Gates.load(plan_waivers=plan.waivers).apply(ev)
    assert run.evaluation.verdict is Verdict.UNKNOWN and run.exit_code == 3


# -- per-pack context ----------------------------------------------------------------------------


def test_cached_values_are_per_pack_and_settings_come_from_the_plan_table() -> None:
    seen: list[tuple[str, object, object]] = []

    def recorder(code: str) -> Rule:
        @_documented
        def check(ctx: RuleContext, vm: VirtualMachine) -> Finding:
            value = ctx.cached("index", lambda: code)
            seen.append((code, value, dict(ctx.settings())))
            return passed(vm, "ok")

        return vm_rule(code=code, name="recorder", severity="fail")(check)

    loaded = load_rule_set(
        [
            _pack("one", (recorder("ONE001"), recorder("ONE002"))),
            _pack("two", (recorder("TWO001"),)),
        ]
    )
    plan = make_plan(plugins={"tstpack_one": {"threshold": 3}})
    evaluate(make_snapshot(vms=[make_vm("a")], plan=plan), plan, loaded.rules)
    assert seen == [
        ("ONE001", "ONE001", {"threshold": 3}),
        ("ONE002", "ONE001", {"threshold": 3}),  # shared within a pack
        ("TWO001", "TWO001", {}),  # never across packs
    ]


@pytest.mark.parametrize(
    "answer",
    [
        lambda vm: Finding(None, Outcome.PASS, "about nothing"),  # type: ignore[arg-type]
        lambda vm: Finding(vm, Outcome.PASS, 42),  # type: ignore[arg-type]
        lambda vm: Finding(vm, Outcome.PASS, "ok", target=("a", "b")),  # type: ignore[arg-type]
    ],
)
def test_a_malformed_finding_is_unknown_never_a_crash_or_a_pass(answer: object) -> None:
    @_documented
    def vm_check(ctx: RuleContext, vm: VirtualMachine) -> Finding:
        return answer(vm)  # type: ignore[operator,no-any-return]

    @_documented
    def estate_check(ctx: RuleContext) -> list[Finding]:
        return [answer(vm) for vm in ctx.vms]  # type: ignore[operator]

    rules = [
        vm_rule(code="TST030", name="malformed-vm", severity="fail")(vm_check),
        estate_rule(code="TST031", name="malformed-estate", severity="fail")(estate_check),
    ]
    ev = evaluate(make_snapshot(vms=[make_vm("a"), make_vm("b")]), make_plan(), rules)
    assert [r.outcome for r in ev.results] == [Outcome.UNKNOWN] * 4
    assert len(ev.rule_errors) == 3  # one per VM for the VM rule, one for the estate rule
