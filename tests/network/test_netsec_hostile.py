"""Fault matrix, the evaluator's own guard (a snapshot file is not checked by the collector):
an unknown protocol or a NUL in a prefix is `unknown`, never a pass and never a rule bug."""

from __future__ import annotations

from netsec_facts import estate, nsg, rule, subnet

from asr_preflight.netsec.addresses import parse_range
from asr_preflight.snapshot import SecurityRule, Snapshot
from asr_preflight.testing import evaluate_rule
from asr_preflight_rules.network.asr201_outbound_storage import outbound_storage

DENY_HTTPS = rule("DenyHttps", 100, access="Deny", protocol="*", ports=("443",))


def _with(*rules: SecurityRule) -> Snapshot:
    group = nsg("nsg-app", *rules)
    return estate(nsgs=(group,), subnets=(subnet(nsg_id=group.id),))


def test_the_control_fails() -> None:
    [result] = evaluate_rule(outbound_storage, _with(DENY_HTTPS))
    assert result.outcome == "fail"


def test_an_unknown_protocol_is_unknown_not_ignored() -> None:
    quic = rule("DenyHttps", 100, access="Deny", protocol="Quic", ports=("443",))
    [result] = evaluate_rule(outbound_storage, _with(quic))
    assert result.outcome == "unknown", result.message  # ignored, it would pass
    assert "Quic" in result.message


def test_an_empty_protocol_is_unknown_not_any() -> None:
    blank = rule("AllowAll", 100, protocol="", ports=("443",))
    [result] = evaluate_rule(outbound_storage, _with(blank, DENY_HTTPS))
    assert result.outcome == "unknown", result.message


def test_a_nul_in_a_prefix_is_no_address() -> None:
    assert parse_range("10.0.0.0\x00/8") is None
    assert parse_range("10.0.0.0/8") == (0x0A000000, 0x0AFFFFFF)
    nul = rule("DenyHttps", 100, access="Deny", protocol="*", dst=("10.0.0.0\x00/8",))
    [result] = evaluate_rule(outbound_storage, _with(nul))
    assert result.outcome == "unknown", result.message
