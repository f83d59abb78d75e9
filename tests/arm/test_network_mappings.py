"""ASR402's target network from the vault's network mappings, against the fake ARM: one list
per vault, A2A mappings kept, the join judged on the mapped network."""

from __future__ import annotations

from arm.conftest import SUB_A, VAULT, options
from arm.helpers import assert_read_only, outcomes, run
from asr_preflight.api import Outcome
from asr_preflight.collect import collect
from asr_preflight.plan import Plan
from fakes.arm import FakeAzure
from fakes.estate import EstateBuilder, rid

HUB = "33333333-3333-4333-8333-333333333333"
TARGET_VNET = rid(HUB, "net-dr", "Microsoft.Network", "virtualNetworks", "vnet-dr")


def test_mapped_network_is_where_the_join_is_judged(fake: FakeAzure, plan: Plan) -> None:
    vault = f"{VAULT}/rv-dr-westus2"
    source = rid(SUB_A, "rg-shop-prod", "Microsoft.Network", "virtualNetworks", "rg-shop-prod-vnet")
    EstateBuilder(fake.estate).network_mapping(vault, source, TARGET_VNET)
    snap = collect(plan, options(fake))
    assert snap.vault is not None
    assert [(m.source_vnet_id, m.target_vnet_id) for m in snap.vault.network_mappings or ()] == [
        (source, TARGET_VNET)
    ]
    mapping_lists = [
        r for r in fake.requests("GET") if r.path.endswith("/replicationNetworkMappings")
    ]
    assert len(mapping_lists) == 1  # one list per vault, not per VM
    got = outcomes(run(snap, plan), "ASR402")
    by_sub = {vm.name: vm for vm in snap.vms}
    # Contributor on SUB_A does not reach the hub subscription's VNet: the mapped VMs fail
    for name, outcome in got.items():
        if by_sub[name].subscription_id == SUB_A:
            assert outcome is Outcome.FAIL, name
    message = next(
        r.message for r in run(snap, plan).results if r.rule == "ASR402" and r.vm == "vm-web-01"
    )
    assert "target virtual network vnet-dr" in message
    assert_read_only(fake)


def test_a_failed_mapping_list_is_not_a_vault_error(fake: FakeAzure, plan: Plan) -> None:
    fake.fail("/replicationnetworkmappings", status=403, times=None)
    snap = collect(plan, options(fake, retry_total=0))
    assert snap.vault is not None and snap.vault.network_mappings is None
    evaluation = run(snap, plan)
    assert set(outcomes(evaluation, "ASR001").values()) != {Outcome.UNKNOWN}
    assert Outcome.UNKNOWN in set(outcomes(evaluation, "ASR402").values())
