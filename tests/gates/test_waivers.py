"""Waivers: matching, verdict recomputation, expiry, reporting, and file errors with lines."""

from __future__ import annotations

from datetime import date

import pytest
from gatekit import RULES, build

from asr_preflight.api import Outcome
from asr_preflight.engine import Verdict
from asr_preflight.plan import PlanError, Waiver
from asr_preflight.testing import make_plan, vm_id
from asr_preflight.waivers import apply_waivers, lint_waivers, parse_waivers

TODAY = date(2026, 11, 25)


def waiver(rule: str = "TST201", target: str = "vm-bad", expires: str = "2027-01-31") -> Waiver:
    return Waiver(
        rule=rule,
        target=target,
        justification="egress via Azure Firewall, NetOps ticket 4711",
        owner="netops@contoso.com",
        expires=date.fromisoformat(expires),
    )


def outcome(evaluation, rule, vm):  # type: ignore[no-untyped-def]
    [r] = [r for r in evaluation.results if r.rule == rule and r.vm == vm]
    return r


def test_a_waived_failure_is_waived_and_no_longer_decides_the_verdict() -> None:
    before = build(["vm-ok", "vm-bad"])
    assert before.verdict is Verdict.NOT_READY
    after, report = apply_waivers(before, [waiver()], TODAY)
    r = outcome(after, "TST201", "vm-bad")
    assert r.outcome is Outcome.WAIVED
    assert r.original is Outcome.FAIL
    assert r.waiver == "egress via Azure Firewall, NetOps ticket 4711"
    assert after.verdict is Verdict.READY
    assert {v.name: v.verdict for v in after.vms} == {
        "vm-ok": Verdict.READY,
        "vm-bad": Verdict.READY,
    }
    assert after.vms[1].counts[Outcome.WAIVED] == 1
    assert [s.waived for s in report.applied] == [1]
    assert not report.expired and not report.unused


def test_other_rules_of_a_waived_vm_still_count() -> None:
    after, _ = apply_waivers(build(["vm-bad-old"]), [waiver(target="vm-bad-old")], TODAY)
    assert outcome(after, "TST201", "vm-bad-old").outcome is Outcome.WAIVED
    assert outcome(after, "TST501", "vm-bad-old").outcome is Outcome.FAIL
    assert after.verdict is Verdict.NOT_READY


@pytest.mark.parametrize(
    ("rule", "target"),
    [
        ("TST2*", "vm-bad"),
        ("tst201", "VM-BAD"),
        ("TST201", "vm-b*"),
        ("TST201", vm_id("vm-bad")),
        ("TST201", "/subscriptions/*/resourcegroups/prod-rg/*"),
        ("*", "*"),
    ],
)
def test_rule_and_target_globs_and_ids_match_case_insensitively(rule: str, target: str) -> None:
    after, _ = apply_waivers(build(["vm-bad"]), [waiver(rule, target)], TODAY)
    assert outcome(after, "TST201", "vm-bad").outcome is Outcome.WAIVED


def test_warn_and_unknown_are_waivable_but_passes_are_untouched() -> None:
    ev = build(["vm-warn", "vm-unk", "vm-ok"])
    after, report = apply_waivers(ev, [waiver(target="*")], TODAY)
    assert outcome(after, "TST201", "vm-warn").original is Outcome.WARN
    assert outcome(after, "TST201", "vm-unk").original is Outcome.UNKNOWN
    assert outcome(after, "TST201", "vm-ok").outcome is Outcome.PASS
    assert after.verdict is Verdict.READY
    assert report.applied[0].matched == 2 and report.applied[0].waived == 2


def test_an_expired_waiver_stops_applying_and_is_reported() -> None:
    ev = build(["vm-bad"])
    after, report = apply_waivers(ev, [waiver(expires="2026-11-24")], TODAY)
    assert outcome(after, "TST201", "vm-bad").outcome is Outcome.FAIL
    assert after.verdict is Verdict.NOT_READY
    [s] = report.expired
    assert s.would_waive == 1 and s.waived == 0
    assert "expired" in report.lines()[0] and "1 result(s) count again" in report.lines()[0]


def test_the_expiry_day_itself_still_applies_and_is_flagged_as_expiring() -> None:
    after, report = apply_waivers(build(["vm-bad"]), [waiver(expires="2026-11-25")], TODAY)
    assert outcome(after, "TST201", "vm-bad").outcome is Outcome.WAIVED
    assert len(report.expiring) == 1


def test_waivers_expiring_within_14_days_are_listed_and_later_ones_are_not() -> None:
    ws = [waiver(expires="2026-12-09"), waiver(target="vm-x", expires="2026-12-10")]
    _, report = apply_waivers(build(["vm-bad"]), ws, TODAY)
    assert [s.waiver.waiver.expires.isoformat() for s in report.expiring] == ["2026-12-09"]


def test_waivers_that_matched_nothing_or_only_passes_are_listed() -> None:
    ws = [waiver(target="vm-typo"), waiver(target="vm-ok")]
    _, report = apply_waivers(build(["vm-ok"]), ws, TODAY)
    assert [s.waiver.waiver.target for s in report.unused] == ["vm-typo", "vm-ok"]
    lines = report.lines()
    assert "matched no result" in lines[0] and "matched only passing results" in lines[1]


def test_the_first_matching_waiver_wins() -> None:
    first, second = waiver(target="vm-bad"), waiver(rule="TST*", target="*")
    after, report = apply_waivers(build(["vm-bad"]), [first, second], TODAY)
    assert [s.waiver.waiver for s in report.applied] == [first]
    assert [s.waiver.waiver for s in report.unused] == [second]
    assert "an earlier waiver took every problem it matches" in report.lines()[0]
    assert outcome(after, "TST201", "vm-bad").waiver == first.justification


def test_plan_waivers_use_the_same_model() -> None:
    plan = make_plan(waivers=[waiver().model_dump()])
    after, _ = apply_waivers(build(["vm-bad"]), plan.waivers, TODAY)
    assert after.verdict is Verdict.READY


# -- the file ---------------------------------------------------------------------------------

GOOD = """\
# waivers for the shop estate
[[waivers]]
rule = "ASR201"
target = "vm-web-01"
justification = "egress via Azure Firewall, verified by NetOps ticket 4711"
owner = "netops@contoso.com"
expires = 2027-01-31

[[waivers]]
rule = "ASR3*"
target = "vm-sap-*"
justification = "no guest access to SAP hosts; checked by the Basis team"
owner = "basis@contoso.com"
expires = 2026-12-01
"""


def test_a_waiver_file_parses_with_where_each_waiver_is() -> None:
    loaded = parse_waivers(GOOD, "w.toml")
    assert [w.where for w in loaded] == ["w.toml:2", "w.toml:9"]
    assert loaded[1].waiver.expires == date(2026, 12, 1)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            ('owner = "basis@contoso.com"\n', ""),
            "w.toml:9: [waivers[1]] owner: required key is missing",
        ),
        (
            ('owner = "basis', 'ownr = "basis'),
            "w.toml:13: [waivers[1]] ownr: unknown key (did you mean 'owner'?)",
        ),
        (("expires = 2026-12-01", 'expires = "soon"'), "w.toml:14: [waivers[1]] expires:"),
        (
            ('justification = "no', 'justification = "  "\n#"no'),
            "w.toml:12: [waivers[1]] justification: must not be blank",
        ),
        (('rule = "ASR3*"', 'rule = "ASR 3"'), "w.toml:10: [waivers[1]] rule: 'ASR 3' is neither"),
        (
            ('rule = "ASR3*"', 'rule = "firewall"'),
            "w.toml:10: [waivers[1]] rule: 'firewall' is not a rule code",
        ),
        (
            ('[[waivers]]\nrule = "ASR3', '[[waiver]]\nrule = "ASR3'),
            "w.toml:9: waiver: unknown key (did you mean 'waivers'?)",
        ),
        (("expires = 2026-12-01", "expires = 2026-13-01"), "w.toml: not valid TOML"),
    ],
)
def test_a_malformed_waiver_file_names_line_and_key(edit: tuple[str, str], expected: str) -> None:
    text = GOOD.replace(*edit)
    assert text != GOOD
    with pytest.raises(PlanError) as err:
        parse_waivers(text, "w.toml")
    assert str(err.value).startswith(expected), str(err.value)


def test_lint_reports_expired_expiring_unknown_rules_and_blanket_waivers() -> None:
    text = GOOD.replace('rule = "ASR201"', 'rule = "TST9*"').replace('"vm-sap-*"', '"*"')
    findings = lint_waivers(parse_waivers(text, "w.toml"), RULES, date(2026, 11, 20))
    got = [(f.level, f.message.split(":")[0]) for f in findings]
    assert got == [
        ("error", "rule 'TST9*' matches no installed rule"),
        ("warning", "expires in 11 day(s)"),
        ("error", "rule 'ASR3*' matches no installed rule"),
        ("warning", "waives every target"),
    ]
    late = lint_waivers(parse_waivers(GOOD, "w.toml"), (), date(2027, 2, 1))
    assert [f.level for f in late] == ["error", "error"]
    assert late[0].message.startswith("expired on 2027-01-31: w.toml:2: ASR201 for vm-web-01")
