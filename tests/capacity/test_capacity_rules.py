"""ASR101–ASR107 through the real engine, over ARM-shaped SKU and usage lists."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pytest
from arm_shapes import (
    catalogue_skus,
    example_body,
    location_restriction,
    network_usages,
    quota_usages,
    region_capacity,
)

from asr_preflight.api import Rule
from asr_preflight.engine import Result, evaluate, validate_rule
from asr_preflight.snapshot import (
    Disk,
    FactError,
    IpConfiguration,
    NetworkInterface,
    RegionCapacity,
    VirtualMachine,
)
from asr_preflight.testing import SUBSCRIPTION, make_plan, make_snapshot, make_vm
from asr_preflight_rules.capacity.asr101_size_available_in_target import size_available_in_target
from asr_preflight_rules.capacity.asr102_family_vcpu_quota import family_vcpu_quota
from asr_preflight_rules.capacity.asr103_regional_vcpu_quota import regional_vcpu_quota
from asr_preflight_rules.capacity.asr104_vm_count_quota import vm_count_quota
from asr_preflight_rules.capacity.asr105_target_size_fits_nics import target_size_fits_nics
from asr_preflight_rules.capacity.asr106_target_size_fits_data_disks import (
    target_size_fits_data_disks,
)
from asr_preflight_rules.capacity.asr107_network_quota import network_quota

SUB2 = "00000000-0000-0000-0000-0000000000b2"
NA = location_restriction()
ALL = (
    size_available_in_target,
    family_vcpu_quota,
    regional_vcpu_quota,
    vm_count_quota,
    target_size_fits_nics,
    target_size_fits_data_disks,
    network_quota,
)
ROOMY = quota_usages({"standardDSv3Family": (0, 100), "standardDSv5Family": (0, 100)})


def run(
    rules: Rule | Sequence[Rule],
    vms: Iterable[VirtualMachine],
    regions: Iterable[RegionCapacity],
    *,
    target: dict[str, Any] | None = None,
    **fields: Any,
) -> dict[tuple[str, str], Result]:
    """Evaluate ``rules``; results by (rule code, VM name)."""
    plan = make_plan(target={"region": "westus2", **(target or {})})
    snapshot = make_snapshot(list(vms), plan=plan, regions=tuple(regions), **fields)
    chosen = [rules] if isinstance(rules, Rule) else list(rules)
    evaluation = evaluate(snapshot, plan, chosen)
    assert not evaluation.rule_errors, evaluation.rule_errors
    return {(r.rule, r.vm): r for r in evaluation.results}


def cap(
    subscription: str = SUBSCRIPTION,
    *,
    skus: Any = (),
    compute: Any = (),
    network: Any = (),
    region: str = "westus2",
) -> RegionCapacity:
    return region_capacity(
        subscription,
        region,
        skus=catalogue_skus(region=region) if skus == () else skus,
        compute=ROOMY if compute == () else compute,
        network=network_usages() if network == () else network,
    )


def vms(*sizes: str, **fields: Any) -> list[VirtualMachine]:
    return [make_vm(f"vm-{i}", size=size, **fields) for i, size in enumerate(sizes, start=1)]


# -- ASR101 ------------------------------------------------------------------------------------


def test_asr101_pass_warn_fail() -> None:
    skus = catalogue_skus(restricted={"Standard_D4s_v3": [NA], "Standard_M128ms": [NA]})
    out = run(
        size_available_in_target,
        vms("Standard_D8s_v3", "Standard_D4s_v3", "Standard_M128ms"),
        [cap(skus=skus)],
    )
    ok, sub, none = (out["ASR101", f"vm-{i}"] for i in (1, 2, 3))
    assert ok.outcome == "pass" and "Standard_D8s_v3 is offered in westus2" in ok.message
    assert sub.outcome == "warn"
    assert "restricted in westus2 (NotAvailableForSubscription)" in sub.message
    assert "closest size Standard_D8s_v3 (same VM family" in sub.message
    assert none.outcome == "fail" and "no available size can replace it" in none.message
    assert "≥ 128 vCPUs" in none.message


def test_asr101_zone_only_with_a_planned_zone() -> None:
    skus = catalogue_skus(zones={"Standard_D4s_v3": ["1", "2"]})
    vm = vms("Standard_D4s_v3")
    assert run(size_available_in_target, vm, [cap(skus=skus)])["ASR101", "vm-1"].outcome == "pass"
    zoned = run(size_available_in_target, vm, [cap(skus=skus)], target={"zone": "3"})
    result = zoned["ASR101", "vm-1"]
    assert result.outcome == "warn" and "not offered in westus2 zone 3" in result.message


def test_asr101_pinned() -> None:
    skus = catalogue_skus(restricted={"Standard_E8s_v5": [NA]})
    pins = {"sizes": {"vm-1": "Standard_D8s_v5", "vm-2": "Standard_E8s_v5"}}
    out = run(
        size_available_in_target,
        vms("Standard_D4s_v3", "Standard_D4s_v3"),
        [cap(skus=skus)],
        target=pins,
    )
    assert out["ASR101", "vm-1"].outcome == "pass"
    assert "pinned size Standard_D8s_v5" in out["ASR101", "vm-1"].message
    failed = out["ASR101", "vm-2"]
    assert failed.outcome == "fail" and "pinned target size Standard_E8s_v5" in failed.message
    assert "the source size Standard_D4s_v3 is offered" in failed.hint


def test_asr101_unknown_when_skus_could_not_be_fetched() -> None:
    error = FactError("skus", f"{SUBSCRIPTION}/westus2", "AuthorizationFailed", "needs Reader")
    out = run(
        ALL, vms("Standard_D4s_v3"), [cap(skus=None, compute=None, network=None)], errors=(error,)
    )
    for code in ("ASR101", "ASR102", "ASR105", "ASR106"):
        result = out[code, "vm-1"]
        assert result.outcome == "unknown", code
        assert "AuthorizationFailed" in result.message and result.hint == "needs Reader"
    # no RegionCapacity at all, and no error recorded: still unknown
    bare = run(size_available_in_target, vms("Standard_D4s_v3"), [])
    assert bare["ASR101", "vm-1"].outcome == "unknown"


def test_asr101_unknown_source_capabilities() -> None:
    out = run(size_available_in_target, vms("Standard_Q4_v9"), [cap()])
    result = out["ASR101", "vm-1"]
    assert result.outcome == "unknown" and "capabilities" in result.message
    assert "[target] sizes" in result.hint


def test_asr101_source_capabilities_from_the_source_region() -> None:
    target = catalogue_skus(only=["Standard_D4s_v5", "Standard_E8s_v5"])
    out = run(
        size_available_in_target,
        vms("Standard_D4s_v3"),
        [cap(skus=target), cap(skus=catalogue_skus(region="eastus"), region="eastus")],
    )
    result = out["ASR101", "vm-1"]
    assert (
        result.outcome == "warn" and "Standard_D4s_v3 is not offered in westus2" in result.message
    )
    assert "closest size Standard_D4s_v5" in result.message


def test_asr101_official_sku_example() -> None:
    """The published ResourceSkus_List example: A0 is offered in zones 1-2 of westus only."""
    body = example_body("ListAvailableResourceSkus.json")
    west = region_capacity(SUBSCRIPTION, "westus", skus=body["value"], compute=[], network=[])
    vm = vms("Standard_A0", os_disk=Disk(name="os", size_gb=30, sku="Standard_LRS"))
    plain = run(size_available_in_target, vm, [west], target={"region": "westus"})
    assert plain["ASR101", "vm-1"].outcome == "pass"
    zoned = run(size_available_in_target, vm, [west], target={"region": "westus", "zone": "3"})
    result = zoned["ASR101", "vm-1"]
    assert result.outcome == "warn" and "closest size Standard_A1" in result.message
    # with a Premium OS disk neither A size qualifies (no PremiumIO): no substitute
    premium = vms("Standard_A0")
    out = run(size_available_in_target, premium, [west], target={"region": "westus", "zone": "3"})
    assert out["ASR101", "vm-1"].outcome == "fail" and "Premium IO" in out["ASR101", "vm-1"].message


# -- ASR102–ASR104 -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "outcome"),
    [(2, "pass"), (3, "fail")],
    ids=["exactly at the limit", "one vCPU over"],
)
def test_asr102_family_boundary(current: int, outcome: str) -> None:
    usages = quota_usages({"standardDSv3Family": (current, 10)})
    out = run(family_vcpu_quota, vms("Standard_D4s_v3", "Standard_D4s_v3"), [cap(compute=usages)])
    for name in ("vm-1", "vm-2"):
        result = out["ASR102", name]
        assert result.outcome == outcome
        assert "needs 8 Standard DSv3 Family vCPUs for 2 VMs" in result.message
        assert f"{10 - current} of 10 free" in result.message
        assert result.target.endswith("/locations/westus2/usages/standardDSv3Family")
    if outcome == "fail":
        assert "(short by 1)" in out["ASR102", "vm-1"].message


def test_asr102_overflow_spread_over_several_vms() -> None:
    usages = quota_usages({"standardDSv3Family": (90, 100), "standardESv5Family": (0, 100)})
    sizes = ["Standard_D4s_v3"] * 3 + ["Standard_E8s_v5"]
    out = run(family_vcpu_quota, vms(*sizes), [cap(compute=usages)])
    assert [out["ASR102", f"vm-{i}"].outcome for i in (1, 2, 3, 4)] == ["fail"] * 3 + ["pass"]
    assert "needs 12 Standard DSv3 Family vCPUs for 3 VMs" in out["ASR102", "vm-2"].message
    assert "short by 2" in out["ASR102", "vm-3"].message


def test_asr102_substitute_and_pinned_charge_their_own_family() -> None:
    skus = catalogue_skus(restricted={"Standard_D4s_v3": [NA], "Standard_D8s_v3": [NA]})
    usages = quota_usages({"standardDSv3Family": (0, 0), "standardDSv5Family": (0, 8)})
    out = run(
        family_vcpu_quota,
        vms("Standard_D4s_v3", "Standard_D2s_v3"),
        [cap(skus=skus, compute=usages)],
        target={"sizes": {"vm-2": "Standard_D4s_v5"}},
    )
    for name in ("vm-1", "vm-2"):
        result = out["ASR102", name]
        assert result.outcome == "pass", result.message
        assert "needs 8 Standard DSv5 Family vCPUs for 2 VMs" in result.message


def test_no_target_size_skips_family_but_counts_in_total_and_vm_count() -> None:
    skus = catalogue_skus(restricted={"Standard_M128ms": [NA]})
    usages = quota_usages({"standardDSv3Family": (0, 100)}, cores=(0, 131), vms=(8, 10))
    out = run(ALL, vms("Standard_M128ms", "Standard_D4s_v3"), [cap(skus=skus, compute=usages)])
    assert out["ASR101", "vm-1"].outcome == "fail"
    assert out["ASR102", "vm-1"].outcome == "skip" and "ASR101" in out["ASR102", "vm-1"].message
    assert out["ASR102", "vm-2"].outcome == "pass"
    assert "needs 4 Standard DSv3 Family vCPUs for 1 VM " in out["ASR102", "vm-2"].message
    cores = out["ASR103", "vm-2"]
    assert cores.outcome == "fail" and "needs 132 Total Regional vCPUs for 2 VMs" in cores.message
    assert "131 of 131 free (short by 1)" in cores.message
    assert out["ASR104", "vm-1"].outcome == "pass"
    assert "needs 2 Virtual Machines for 2 VMs" in out["ASR104", "vm-1"].message
    assert out["ASR105", "vm-1"].outcome == "skip" and out["ASR106", "vm-1"].outcome == "skip"


@pytest.mark.parametrize(("current", "outcome"), [(6, "pass"), (7, "fail")])
def test_asr103_regional_boundary(current: int, outcome: str) -> None:
    usages = quota_usages({"standardDSv3Family": (0, 100)}, cores=(current, 14))
    out = run(regional_vcpu_quota, vms("Standard_D4s_v3", "Standard_D4s_v3"), [cap(compute=usages)])
    assert {out["ASR103", n].outcome for n in ("vm-1", "vm-2")} == {outcome}


@pytest.mark.parametrize(("current", "outcome"), [(23, "pass"), (24, "fail")])
def test_asr104_vm_count_boundary(current: int, outcome: str) -> None:
    usages = quota_usages({"standardDSv3Family": (0, 100)}, vms=(current, 25))
    out = run(vm_count_quota, vms("Standard_D4s_v3", "Standard_D8s_v3"), [cap(compute=usages)])
    assert {out["ASR104", n].outcome for n in ("vm-1", "vm-2")} == {outcome}


def test_quota_per_target_subscription() -> None:
    own = [
        make_vm("vm-a", size="Standard_D8s_v3"),
        make_vm("vm-b", size="Standard_D8s_v3", subscription_id=SUB2),
    ]
    tight = quota_usages({"standardDSv3Family": (95, 100)})
    regions = [cap(), cap(SUB2, compute=tight)]
    out = run(family_vcpu_quota, own, regions)
    assert out["ASR102", "vm-a"].outcome == "pass"
    assert out["ASR102", "vm-b"].outcome == "fail" and SUB2 in out["ASR102", "vm-b"].message
    assert SUB2 in out["ASR102", "vm-b"].target
    # one target subscription for both: both charge it, and both fail against SUB2's quota
    pinned = run(family_vcpu_quota, own, regions, target={"subscription": SUB2})
    assert {pinned["ASR102", n].outcome for n in ("vm-a", "vm-b")} == {"fail"}
    assert "needs 16 Standard DSv3 Family vCPUs for 2 VMs" in pinned["ASR102", "vm-a"].message


def test_quota_unknown_when_usages_could_not_be_fetched() -> None:
    error = FactError("compute_usages", f"{SUBSCRIPTION}/westus2", "throttled (429)", "retry")
    out = run(ALL, vms("Standard_D4s_v3"), [cap(compute=None)], errors=(error,))
    for code in ("ASR102", "ASR103", "ASR104"):
        result = out[code, "vm-1"]
        assert result.outcome == "unknown", code
        assert "throttled (429)" in result.message and result.hint == "retry"
    assert out["ASR101", "vm-1"].outcome == "pass"  # the SKUs were gathered


def test_quota_unknown_when_the_family_usage_is_absent() -> None:
    out = run(family_vcpu_quota, vms("Standard_E8s_v5"), [cap()])
    result = out["ASR102", "vm-1"]
    assert result.outcome == "unknown" and "no entry standardESv5Family" in result.message


def test_quota_with_a_vm_of_unknown_size_is_a_lower_bound() -> None:
    usages = quota_usages({"standardDSv3Family": (0, 100)}, cores=(0, 100))
    out = run(ALL, vms("Standard_D4s_v3", "Standard_Q4_v9"), [cap(compute=usages)])
    assert out["ASR101", "vm-2"].outcome == "unknown"
    for code in ("ASR102", "ASR103"):
        result = out[code, "vm-1"]
        assert result.outcome == "unknown" and "vm-2" in result.message, code
        assert "at least" in result.message
    assert out["ASR104", "vm-1"].outcome == "pass"
    # a floor that already overflows is a failure whatever the unknown VM adds
    tight = quota_usages({"standardDSv3Family": (0, 2)}, cores=(0, 100))
    out = run(family_vcpu_quota, vms("Standard_D4s_v3", "Standard_Q4_v9"), [cap(compute=tight)])
    assert out["ASR102", "vm-1"].outcome == "fail"


# -- ASR105, ASR106 ----------------------------------------------------------------------------


def nic_ids(name: str, count: int) -> tuple[str, ...]:
    base = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/prod-rg/providers/Microsoft.Network"
    return tuple(f"{base}/networkInterfaces/{name}-nic{i}" for i in range(count))


def test_asr105_nics() -> None:
    three = make_vm("vm-1", size="Standard_D8s_v3", nic_ids=nic_ids("vm-1", 3))
    small = make_vm("vm-2", size="Standard_D8s_v3", nic_ids=nic_ids("vm-2", 3))
    out = run(
        target_size_fits_nics,
        [three, small],
        [cap()],
        target={"sizes": {"vm-2": "Standard_D4s_v5"}},
    )
    assert out["ASR105", "vm-1"].outcome == "pass"
    result = out["ASR105", "vm-2"]
    assert result.outcome == "fail"
    assert result.message == "vm-2 has 3 NICs; target size Standard_D4s_v5 supports 2"


def test_asr105_unknown_without_nics_or_capability() -> None:
    no_nics = make_vm("vm-1", nic_ids=())
    out = run(target_size_fits_nics, [no_nics], [cap()])
    assert out["ASR105", "vm-1"].outcome == "unknown"
    from arm_shapes import arm_sku

    bare = arm_sku("Standard_D4s_v3", "standardDSv3Family", 4, 16, nics=None, disks=None)
    out = run(
        (target_size_fits_nics, target_size_fits_data_disks),
        vms("Standard_D4s_v3"),
        [cap(skus=[bare])],
    )
    assert (
        out["ASR105", "vm-1"].outcome == "unknown"
        and "MaxNetworkInterfaces" in out["ASR105", "vm-1"].message
    )
    assert (
        out["ASR106", "vm-1"].outcome == "unknown"
        and "MaxDataDiskCount" in out["ASR106", "vm-1"].message
    )


def test_asr106_data_disks() -> None:
    disks = tuple(Disk(name=f"d{i}", lun=i, size_gb=256, sku="Premium_LRS") for i in range(6))
    out = run(
        target_size_fits_data_disks,
        vms("Standard_D4s_v3", "Standard_D4s_v3", data_disks=disks),
        [cap()],
        target={"sizes": {"vm-2": "Standard_D2s_v3"}},
    )
    assert out["ASR106", "vm-1"].outcome == "pass"
    result = out["ASR106", "vm-2"]
    assert result.outcome == "fail"
    assert result.message == "vm-2 has 6 data disks; target size Standard_D2s_v3 supports 4"


# -- ASR107 ------------------------------------------------------------------------------------


def nic_for(vm: VirtualMachine, vnet: str, public: bool = False) -> NetworkInterface:
    subnet = (
        f"/subscriptions/{SUBSCRIPTION}/resourceGroups/net-rg/providers/Microsoft.Network"
        f"/virtualNetworks/{vnet}/subnets/default"
    )
    pip = (
        f"{subnet.split('/virtualNetworks')[0]}/publicIPAddresses/{vm.name}-pip" if public else None
    )
    ipc = IpConfiguration(name="ipconfig1", primary=True, subnet_id=subnet, public_ip_id=pip)
    return NetworkInterface(id=vm.nic_ids[0], name=f"{vm.name}-nic", ip_configurations=(ipc,))


def test_asr107_network_quota() -> None:
    a, b, c = vms("Standard_D4s_v3", "Standard_D4s_v3", "Standard_D4s_v3")
    nics = (nic_for(a, "vnet-1", public=True), nic_for(b, "vnet-1"), nic_for(c, "vnet-2"))
    roomy = run(network_quota, [a, b, c], [cap()], network_interfaces=nics)
    assert {roomy["ASR107", n].outcome for n in ("vm-1", "vm-2", "vm-3")} == {"pass"}
    assert "needs 3 Network Interfaces for 3 VMs" in roomy["ASR107", "vm-1"].message
    assert "needs 2 Virtual Networks for 3 VMs" in roomy["ASR107", "vm-1"].message
    assert "Public IP" not in roomy["ASR107", "vm-2"].message  # vm-2 has none
    # public IPs full: only the VM with a public IP warns
    full = network_usages(pips=(1000, 1000))
    out = run(network_quota, [a, b, c], [cap(network=full)], network_interfaces=nics)
    assert (
        out["ASR107", "vm-1"].outcome == "warn" and "(short by 1)" in out["ASR107", "vm-1"].message
    )
    assert out["ASR107", "vm-2"].outcome == "pass"
    # NICs one short: every VM warns
    nic_full = network_usages(nics=(98, 100))
    out = run(network_quota, [a, b, c], [cap(network=nic_full)], network_interfaces=nics)
    assert {out["ASR107", n].outcome for n in ("vm-1", "vm-2", "vm-3")} == {"warn"}


def test_asr107_official_network_usage_example() -> None:
    body = example_body("UsageList.json")
    [vm] = vms("Standard_D4s_v3")
    out = run(
        network_quota, [vm], [cap(network=body["value"])], network_interfaces=(nic_for(vm, "v"),)
    )
    result = out["ASR107", "vm-1"]
    assert result.outcome == "pass"
    assert "in westus2 (subscription" in result.message
    assert "needs 1 Network Interfaces for 1 VM" in result.message
    assert "348 of 350 free" in result.message and "42 of 50 free" in result.message


def test_asr107_unknown() -> None:
    [vm] = vms("Standard_D4s_v3")
    error = FactError("network_usages", SUBSCRIPTION, "AuthorizationFailed", "needs Reader")
    out = run(
        network_quota,
        [vm],
        [cap(network=None)],
        errors=(error,),
        network_interfaces=(nic_for(vm, "v"),),
    )
    result = out["ASR107", "vm-1"]
    assert result.outcome == "unknown" and "AuthorizationFailed" in result.message
    # the VM's NIC is not in the snapshot: public IPs and networks cannot be counted
    out = run(network_quota, [vm], [cap()])
    assert out["ASR107", "vm-1"].outcome == "unknown"


def test_official_compute_usage_example() -> None:
    """The generated Usage_List example has one placeholder usage: no `virtualMachines` entry."""
    body = example_body("Usage_List_MaximumSet_Gen.json")
    out = run(vm_count_quota, vms("Standard_D4s_v3"), [cap(compute=body["value"])])
    result = out["ASR104", "vm-1"]
    assert result.outcome == "unknown" and "no entry virtualMachines" in result.message


@pytest.mark.parametrize("rule", ALL, ids=[r.code for r in ALL])
def test_rule_metadata_is_valid(rule: Rule) -> None:
    validate_rule(rule)
    assert rule.area == "capacity"
    assert "learn.microsoft.com" in rule.section("References")
