"""Fault matrix, malformed network data: anything the evaluator cannot read exactly is a FactError
for that NSG (or VNet), and the rules that need it are `unknown`, never a pass."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from arm.conftest import SUB_A, options
from arm.helpers import outcomes, run
from asr_preflight.api import Outcome
from asr_preflight.collect import collect
from asr_preflight.plan import Plan
from fakes.arm import FakeAzure

NSGS = f"/subscriptions/{SUB_A}/providers/microsoft.network/networksecuritygroups"
VNETS = f"/subscriptions/{SUB_A}/providers/microsoft.network/virtualnetworks"
A_VMS = ["vm-web-01", "vm-web-02", "vm-db-01", "vm-eph-01"]
STORAGE = "ASR201"  # outbound HTTPS to the Storage tag: decided by the subnet's NSG


def _nsg(fake: FakeAzure) -> dict[str, Any]:
    [nsg] = [n for n in fake.estate.lists[NSGS] if n["name"] == "rg-shop-prod-nsg"]
    return nsg


def _deny_https(fake: FakeAzure) -> dict[str, Any]:
    """A deny of outbound HTTPS before the estate's allow rule: storage must fail."""
    nsg = _nsg(fake)
    rule = {
        "name": "deny-https-out",
        "id": f"{nsg['id']}/securityRules/deny-https-out",
        "properties": {
            "protocol": "Tcp",
            "sourcePortRange": "*",
            "destinationPortRange": "443",
            "sourceAddressPrefix": "*",
            "destinationAddressPrefix": "*",
            "access": "Deny",
            "priority": 100,
            "direction": "Outbound",
        },
    }
    nsg["properties"]["securityRules"].append(rule)
    props: dict[str, Any] = rule["properties"]
    return props


def test_the_deny_rule_fails_storage_when_well_formed(fake: FakeAzure, plan: Plan) -> None:
    """The control for the mutations below."""
    _deny_https(fake)
    snap = collect(plan, options(fake, eligibility=False))
    assert [e for e in snap.errors if e.kind == "network"] == []
    got = outcomes(run(snap, plan), STORAGE)
    assert {got[vm] for vm in A_VMS} == {Outcome.FAIL}


Mutation = Callable[[dict[str, Any], dict[str, Any]], None]
MUTATIONS: dict[str, tuple[Mutation, str]] = {
    "protocol-missing": (lambda r, n: r.pop("protocol"), "protocol None"),
    "protocol-null": (lambda r, n: r.update(protocol=None), "protocol None"),
    "protocol-unknown": (lambda r, n: r.update(protocol="Quic"), "protocol 'Quic'"),
    "no-destination": (
        lambda r, n: r.pop("destinationAddressPrefix"),
        "has no destination",
    ),
    "no-destination-port": (lambda r, n: r.pop("destinationPortRange"), "no destination port"),
    "nul-in-prefix": (
        lambda r, n: r.update(destinationAddressPrefix="10.0.0.0\x00/8"),
        "is not an address prefix",
    ),
    "prefixes-not-a-list": (
        lambda r, n: r.update(destinationAddressPrefixes="10.0.0.0/8"),
        "is not a list",
    ),
    "priority-null": (lambda r, n: r.update(priority=None), "priority None"),
    "security-rules-null": (
        lambda r, n: n["properties"].update(securityRules=None),
        "no securityRules list",
    ),
    "security-rules-absent": (
        lambda r, n: n["properties"].pop("securityRules"),
        "no securityRules list",
    ),
    "properties-null": (lambda r, n: n.update(properties=None), "no securityRules list"),
}


@pytest.mark.parametrize("mutation", list(MUTATIONS))
def test_malformed_nsg_is_unknown_never_pass(fake: FakeAzure, plan: Plan, mutation: str) -> None:
    change, words = MUTATIONS[mutation]
    change(_deny_https(fake), _nsg(fake))
    snap = collect(plan, options(fake, eligibility=False))
    nsg_id = _nsg(fake)["id"]
    [err] = [e for e in snap.errors if e.kind == "network" and e.scope == nsg_id]
    assert words in err.cause
    evaluation = run(snap, plan)
    got = outcomes(evaluation, STORAGE)
    assert {got[vm] for vm in A_VMS} == {Outcome.UNKNOWN}, got  # the control says FAIL
    assert evaluation.rule_errors == ()


def test_nul_in_a_subnet_prefix_is_a_fact_error_not_a_rule_bug(fake: FakeAzure, plan: Plan) -> None:
    [vnet] = [v for v in fake.estate.lists[VNETS] if v["name"] == "rg-shop-prod-vnet"]
    vnet["properties"]["addressSpace"]["addressPrefixes"] = ["10.1.0.0\x00/16"]
    snap = collect(plan, options(fake, eligibility=False))
    [err] = [e for e in snap.errors if e.kind == "network" and e.scope == vnet["id"].lower()]
    assert "is not an address prefix" in err.cause
    evaluation = run(snap, plan)
    assert evaluation.rule_errors == ()
    assert {outcomes(evaluation, STORAGE)[vm] for vm in A_VMS} == {Outcome.UNKNOWN}


def test_a_snapshot_file_with_nul_in_a_prefix_is_refused_at_load(
    fake: FakeAzure, plan: Plan
) -> None:
    """The same boundary for a saved snapshot: a clear SnapshotError, not a rule bug."""
    from asr_preflight.snapshot import SnapshotError, snapshot_from_json, snapshot_to_json

    text = snapshot_to_json(collect(plan, options(fake, eligibility=False)))
    assert snapshot_from_json(text).network_security_groups
    bad = text.replace('"10.1.0.0/16"', '"10.1.0.0\\u0000/16"', 1)
    assert bad != text
    with pytest.raises(SnapshotError, match=r"virtual_networks\.0\.address_prefixes"):
        snapshot_from_json(bad)
