"""ASR404 facts against the fake ARM: ADE disks name their key vault, the key vaults are listed
once per subscription that holds one (never per VM), and the verdicts follow."""

from __future__ import annotations

from arm.conftest import SUB_A, SUB_B, options
from arm.helpers import assert_read_only, outcomes, run
from asr_preflight.api import Outcome
from asr_preflight.collect import collect
from asr_preflight.plan import Plan
from asr_preflight.snapshot import snapshot_from_json, snapshot_to_json
from fakes.arm import FakeAzure
from fakes.estate import EstateBuilder, VmSpec, rid


def test_key_vaults_are_listed_per_subscription_and_judged(fake: FakeAzure, plan: Plan) -> None:
    b = EstateBuilder(fake.estate)
    good = b.key_vault(SUB_A, "rg-shop-prod", "kv-shop", "eastus", policy_for=(fake.oid,))
    bad = b.key_vault(SUB_A, "rg-sec", "kv-locked", "eastus", policy_for=())
    b.key_vault(SUB_A, "rg-other", "kv-unrelated", "eastus")
    b.vm(SUB_A, VmSpec("vm-ade-ok", "rg-shop-prod", ade_vault=good, data_disks=2))
    b.vm(SUB_A, VmSpec("vm-ade-locked", "rg-shop-prod", ade_vault=bad))
    snap = collect(plan, options(fake))
    assert snap.errors == ()
    # only the vaults ADE disks name are kept
    assert [kv.name for kv in snap.key_vaults] == ["kv-locked", "kv-shop"]
    shop = next(kv for kv in snap.key_vaults if kv.name == "kv-shop")
    assert shop.rbac_authorization is False
    assert shop.access_policies[0].object_id == fake.oid
    assert {"get", "list"} <= set(shop.access_policies[0].secrets)
    vm = next(v for v in snap.vms if v.name == "vm-ade-ok")
    assert vm.os_disk is not None and vm.os_disk.ade_key_vault_id == good
    assert all(d.ade_key_vault_id == good for d in vm.data_disks)
    # one list per subscription holding a named vault: SUB_A only, however many ADE VMs
    lists = [
        r for r in fake.requests("GET") if r.path.lower().endswith("/microsoft.keyvault/vaults")
    ]
    assert [r.path.split("/")[2] for r in lists] == [SUB_A]
    got = outcomes(run(snap, plan), "ASR404")
    assert got["vm-ade-ok"] is Outcome.PASS
    assert got["vm-ade-locked"] is Outcome.FAIL
    assert got["vm-web-01"] is Outcome.SKIP
    # the snapshot carries the facts: check --snapshot stays offline
    again = snapshot_from_json(snapshot_to_json(snap))
    assert outcomes(run(again, plan), "ASR404") == got
    assert_read_only(fake)


def test_key_vault_list_failure_is_unknown_not_pass(fake: FakeAzure, plan: Plan) -> None:
    b = EstateBuilder(fake.estate)
    kv = rid(SUB_B, "rg-erp-prod", "Microsoft.KeyVault", "vaults", "kv-erp")
    b.key_vault(SUB_B, "rg-erp-prod", "kv-erp", "eastus", policy_for=(fake.oid,))
    b.vm(SUB_B, VmSpec("vm-ade-erp", "rg-erp-prod", ade_vault=kv))
    fake.fail("/microsoft.keyvault/vaults", status=403, times=None)
    snap = collect(plan, options(fake, retry_total=0))
    assert [(e.kind, e.scope) for e in snap.errors if e.kind == "key_vaults"] == [
        ("key_vaults", f"/subscriptions/{SUB_B}")
    ]
    evaluation = run(snap, plan)
    assert outcomes(evaluation, "ASR404")["vm-ade-erp"] is Outcome.UNKNOWN
    message = next(
        r.message for r in evaluation.results if r.vm == "vm-ade-erp" and r.rule == "ASR404"
    )
    assert "kv-erp could not be read" in message
