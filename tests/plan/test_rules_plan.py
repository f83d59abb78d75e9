"""ASR001-ASR009: plan, regions, vault, policy and eligibility rules, through the real engine."""

from __future__ import annotations

from typing import Any

import pytest

from asr_preflight.api import Rule
from asr_preflight.engine import Result
from asr_preflight.snapshot import (
    CollectionInfo,
    Disk,
    Eligibility,
    EligibilityError,
    FactError,
    ResourceGroup,
    Snapshot,
    Vault,
    VirtualMachine,
)
from asr_preflight.testing import SUBSCRIPTION, evaluate_rule, make_plan, make_snapshot, make_vm
from asr_preflight_rules.plan.asr001_vault_not_in_source_region import vault_not_in_source_region
from asr_preflight_rules.plan.asr002_target_differs_from_source import target_differs_from_source
from asr_preflight_rules.plan.asr003_target_matches_vault_region import target_matches_vault_region
from asr_preflight_rules.plan.asr004_target_resource_group_region import (
    target_resource_group_region,
)
from asr_preflight_rules.plan.asr005_region_pair_allowed import region_pair_allowed
from asr_preflight_rules.plan.asr006_retention_in_range import retention_in_range
from asr_preflight_rules.plan.asr007_app_consistent_frequency import app_consistent_frequency
from asr_preflight_rules.plan.asr008_replication_group_size import replication_group_size
from asr_preflight_rules.plan.asr009_asr_eligibility import asr_eligibility

VAULT_ID = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/dr-rg"
    "/providers/Microsoft.RecoveryServices/vaults/dr-vault"
)
NO_VAULT_PLAN = make_plan(target={"region": "westus2"})


def vault(location: str = "westus2", rg_location: str | None = "westus2") -> Vault:
    return Vault(VAULT_ID, "dr-vault", location, "dr-rg", rg_location)


def target_rg(
    location: str | None = "westus2", exists: bool = True, name: str = "prod-rg-asr"
) -> ResourceGroup:
    rg_id = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{name}"
    return ResourceGroup(rg_id, name, SUBSCRIPTION, location, exists)


def run(rule: Rule, vm: VirtualMachine | None = None, **fields: Any) -> Result:
    fields.setdefault("vault", vault())
    snapshot: Snapshot = make_snapshot([vm or make_vm()], **fields)
    [result] = evaluate_rule(rule, snapshot)
    return result


def zonal_plan(zone: str = "2") -> Any:
    return make_plan(target={"region": "eastus", "zone": zone, "vault": VAULT_ID})


# -- ASR001 vault-not-in-source-region ---------------------------------------------------------


@pytest.mark.parametrize(
    ("the_vault", "outcome", "phrase"),
    [
        (vault("westus2", "westus2"), "pass", "outside"),
        (vault("eastus", "westus2"), "fail", "vault dr-vault is in eastus"),
        (vault("West US 2", "East US"), "fail", "resource group dr-rg is in East US"),
        (vault("westus2", None), "unknown", "location of resource group dr-rg"),
    ],
)
def test_asr001_vault_region(the_vault: Vault, outcome: str, phrase: str) -> None:
    result = run(vault_not_in_source_region, vault=the_vault)
    assert (result.outcome, result.target) == (outcome, VAULT_ID)
    assert phrase in result.message


def test_asr001_vault_not_collected_is_unknown_with_the_collectors_hint() -> None:
    err = FactError("vault", VAULT_ID, "403 AuthorizationFailed", "grant Reader on the vault")
    result = run(vault_not_in_source_region, vault=None, errors=(err,))
    assert result.outcome == "unknown"
    assert "403 AuthorizationFailed" in result.message
    assert result.hint == "grant Reader on the vault"


def test_asr001_skips_without_a_planned_vault_and_for_zone_to_zone() -> None:
    no_vault = run(vault_not_in_source_region, vault=None, plan=NO_VAULT_PLAN)
    assert no_vault.outcome == "skip"
    zonal = run(
        vault_not_in_source_region,
        make_vm(zone="1"),
        vault=vault("eastus", "eastus"),
        plan=zonal_plan(),
    )
    assert zonal.outcome == "skip"


# -- ASR002 target-differs-from-source ---------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "vm_zone", "outcome", "phrase"),
    [
        ({"region": "westus2"}, None, "pass", "to another region, westus2"),
        ({"region": "eastus"}, None, "fail", "is vm-test-01's own region"),
        ({"region": "eastus", "zone": "2"}, "1", "pass", "from zone 1 to zone 2"),
        ({"region": "eastus", "zone": "2"}, None, "fail", "is not zonal"),
        ({"region": "eastus", "zone": "2"}, "2", "fail", "already runs in zone 2"),
    ],
)
def test_asr002(target: dict[str, str], vm_zone: str | None, outcome: str, phrase: str) -> None:
    result = run(target_differs_from_source, make_vm(zone=vm_zone), plan=make_plan(target=target))
    assert result.outcome == outcome
    assert phrase in result.message


def test_asr002_needs_only_the_plan_and_the_vm_location() -> None:
    # The rule cannot be unknown: a VM with no instance view at all still gets a verdict.
    bare = make_vm(power_state=None, provisioning_state=None, os_disk=None, extensions=None)
    assert run(target_differs_from_source, bare).outcome == "pass"


# -- ASR003 target-matches-vault-region --------------------------------------------------------


def test_asr003_outcomes() -> None:
    assert run(target_matches_vault_region, vault=vault("westus2")).outcome == "pass"
    warn = run(target_matches_vault_region, vault=vault("eastus2"))
    assert (warn.outcome, warn.target) == ("warn", VAULT_ID)
    assert "eastus2, not in the target region westus2" in warn.message
    assert run(target_matches_vault_region, vault=None).outcome == "unknown"
    assert run(target_matches_vault_region, vault=None, plan=NO_VAULT_PLAN).outcome == "skip"


# -- ASR004 target-resource-group-region -------------------------------------------------------


@pytest.mark.parametrize(
    ("rg", "outcome", "phrase"),
    [
        (target_rg("westus2"), "pass", "is in westus2, outside"),
        (target_rg("eastus"), "fail", "is in eastus, the region of vm-test-01"),
        (target_rg(None, exists=False), "pass", "creates it in the target region westus2"),
        (target_rg(None, exists=True), "unknown", "location of target resource group"),
    ],
)
def test_asr004_default_target_group(rg: ResourceGroup, outcome: str, phrase: str) -> None:
    result = run(target_resource_group_region, resource_groups=(rg,))
    assert (result.outcome, result.target) == (outcome, rg.id)
    assert phrase in result.message


def test_asr004_not_looked_up_is_unknown_with_cause() -> None:
    err = FactError("resource_groups", f"/subscriptions/{SUBSCRIPTION}", "timed out", "retry")
    result = run(target_resource_group_region, errors=(err,))
    assert result.outcome == "unknown"
    assert "target resource group prod-rg-asr could not be gathered: timed out" in result.message
    assert run(target_resource_group_region).outcome == "unknown"  # no error recorded either


def test_asr004_named_group_in_the_target_subscription() -> None:
    other = "00000000-0000-0000-0000-0000000000b2"
    plan = make_plan(
        target={"region": "westus2", "subscription": other, "resource_group": "DR-Targets"}
    )
    rg = ResourceGroup(
        f"/subscriptions/{other}/resourceGroups/dr-targets", "dr-targets", other, "eastus"
    )
    decoy = target_rg("westus2", name="DR-Targets")  # same name, source subscription
    result = run(target_resource_group_region, plan=plan, resource_groups=(decoy, rg))
    assert (result.outcome, result.target) == ("fail", rg.id)


def test_asr004_group_to_be_created_in_the_source_region_fails() -> None:
    plan = make_plan(target={"region": "eastus"})
    result = run(
        target_resource_group_region, plan=plan, resource_groups=(target_rg(None, exists=False),)
    )
    assert result.outcome == "fail"
    zonal = run(
        target_resource_group_region,
        make_vm(zone="1"),
        plan=zonal_plan(),
        resource_groups=(target_rg("eastus"),),
    )
    assert zonal.outcome == "pass"


# -- ASR005 region-pair-allowed ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "target", "vault_region", "outcome", "phrase"),
    [
        ("eastus", "westus2", "westus2", "pass", "may replicate from eastus to westus2"),
        ("eastus", "brazilsouth", "westus2", "fail", "brazilsouth can only be a source"),
        ("brazilsouth", "westeurope", "westeurope", "fail", "can replicate only to"),
        ("brazilsouth", "eastus2", "eastus2", "pass", "may replicate"),
        ("brazilsoutheast", "brazilsouth", "eastus", "fail", "can only be a target region"),
        ("eastus", "westus2", "newzealandnorth", "fail", "vault cannot be created"),
        ("eastus", "usgovvirginia", "usgovvirginia", "fail", "different clouds"),
        ("jioindiawest", "centralindia", "centralindia", "fail", "JIO and non-JIO"),
        ("switzerlandnorth", "switzerlandwest", "switzerlandwest", "warn", "access-restricted"),
        ("eastus", "marsnorth", "westus2", "unknown", "'marsnorth' is not in"),
    ],
)
def test_asr005(source: str, target: str, vault_region: str, outcome: str, phrase: str) -> None:
    plan = make_plan(target={"region": target, "vault": VAULT_ID})
    result = run(
        region_pair_allowed, make_vm(location=source), plan=plan, vault=vault(vault_region)
    )
    assert result.outcome == outcome
    assert phrase in result.message


def test_asr005_fail_outranks_unknown_and_plan_cloud_counts() -> None:
    plan = make_plan(target={"region": "marsnorth", "vault": VAULT_ID})
    result = run(region_pair_allowed, plan=plan, vault=vault("newzealandnorth"))
    assert result.outcome == "fail"
    gov = make_plan(azure={"cloud": "AzureUSGovernment"}, target={"region": "westus2"})
    assert "the plan's cloud is AzureUSGovernment" in run(region_pair_allowed, plan=gov).message


def test_asr005_vault_not_collected_is_unknown() -> None:
    assert run(region_pair_allowed, vault=None).outcome == "unknown"


# -- ASR006 retention-in-range -----------------------------------------------------------------

UNMANAGED = Disk("legacy-data", lun=0, size_gb=512, managed=False)


@pytest.mark.parametrize(
    ("hours", "vm", "outcome"),
    [
        (0, make_vm(), "pass"),
        (360, make_vm(), "pass"),
        (361, make_vm(), "fail"),
        (72, make_vm(data_disks=(UNMANAGED,)), "pass"),
        (96, make_vm(data_disks=(UNMANAGED,)), "fail"),
        (96, make_vm(os_disk=Disk("os", size_gb=30, managed=False)), "fail"),
        (48, make_vm(os_disk=None), "pass"),  # within both limits: disks do not matter
        (96, make_vm(os_disk=None), "unknown"),
    ],
)
def test_asr006(hours: int, vm: VirtualMachine, outcome: str) -> None:
    plan = make_plan(policy={"retention_hours": hours})
    result = run(retention_in_range, vm, plan=plan)
    assert result.outcome == outcome
    if outcome == "fail" and hours < 360:
        assert "3-day maximum" in result.message


# -- ASR007 app-consistent-frequency -----------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "outcome"), [(0, "pass"), (1, "pass"), (12, "pass"), (13, "fail"), (24, "fail")]
)
def test_asr007(hours: int, outcome: str) -> None:
    plan = make_plan(policy={"app_consistent_frequency_hours": hours})
    assert run(app_consistent_frequency, plan=plan).outcome == outcome


def test_asr007_needs_no_gathered_fact() -> None:
    bare = make_vm(os_disk=None, extensions=None, power_state=None)
    assert run(app_consistent_frequency, bare).outcome == "pass"


# -- ASR008 replication-group-size -------------------------------------------------------------


def _group_results(members: list[str], selected: int) -> list[Result]:
    plan = make_plan(groups=[{"name": "big", "vms": members}])
    vms = [make_vm(name) for name in members[:selected]] + [make_vm("loner")]
    return evaluate_rule(replication_group_size, make_snapshot(vms, plan=plan))


def test_asr008_sixteen_pass_seventeen_fail_and_loners_skip() -> None:
    names = [f"vm-{i:02d}" for i in range(17)]
    ok = _group_results(names[:16], selected=16)
    assert [r.outcome for r in ok] == ["pass"] * 16 + ["skip"]
    too_big = _group_results(names, selected=2)  # counted from the plan, not the selection
    assert [r.outcome for r in too_big] == ["fail", "fail", "skip"]
    assert "has 17 VMs" in too_big[0].message


def test_asr008_name_and_id_of_one_vm_count_once() -> None:
    vm = make_vm("vm-a")
    plan = make_plan(groups=[{"name": "g", "vms": ["vm-a", vm.id, "vm-b"]}])
    [result] = evaluate_rule(replication_group_size, make_snapshot([vm], plan=plan))
    assert "has 2 VMs" in result.message


# -- ASR009 asr-eligibility --------------------------------------------------------------------


def test_asr009_outcomes() -> None:
    vm = make_vm()
    assert run(asr_eligibility, vm, eligibility=(Eligibility(vm.id),)).outcome == "pass"
    errors = (
        EligibilityError(
            "A2AOperatingSystemNotSupported",
            "The VM is running OS 'ubuntu' with version '18.04' which is not supported.",
            recommended_action="Upgrade the operating system.",
        ),
        EligibilityError("A2AVmAlreadyProtected", "The VM is already protected."),
    )
    failed = run(asr_eligibility, vm, eligibility=(Eligibility(vm.id.upper(), errors),))
    assert failed.outcome == "fail"
    assert "A2AOperatingSystemNotSupported: The VM is running OS 'ubuntu'" in failed.message
    assert "A2AVmAlreadyProtected" in failed.message
    assert failed.hint == "Upgrade the operating system."


def test_asr009_missing_is_unknown_and_skipped_collection_skips() -> None:
    vm = make_vm()
    err = FactError("eligibility", vm.id, "403 AuthorizationFailed", "needs Reader on the VM")
    unknown = run(asr_eligibility, vm, errors=(err,))
    assert (unknown.outcome, unknown.hint) == ("unknown", "needs Reader on the VM")
    assert run(asr_eligibility, vm).outcome == "unknown"
    skipped = CollectionInfo(eligibility_skipped=True, source="test")
    assert run(asr_eligibility, vm, collection=skipped).outcome == "skip"


WARNING = EligibilityError(
    "A2AVmDiskCountHigh",
    "The VM has many disks; replication may take longer.",
    recommended_action="Review the disk count.",
    status="Warning",
)


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (("Warning",), "warn"),
        (("warning", "WARNING"), "warn"),
        (("Error",), "fail"),
        (("Warning", "Error"), "fail"),  # one error makes it fail whatever the warnings
        ((None,), "fail"),  # no status: an error (the spec does not enumerate status)
        (("Informational",), "fail"),  # an unknown status is never read as harmless
    ],
)
def test_asr009_warning_entries_warn(statuses: tuple[str | None, ...], expected: str) -> None:
    vm = make_vm()
    errors = tuple(
        EligibilityError(f"Code{i}", f"message {i}", status=s) for i, s in enumerate(statuses)
    )
    assert run(asr_eligibility, vm, eligibility=(Eligibility(vm.id, errors),)).outcome == expected


def test_asr009_warn_names_the_warning_and_a_fail_lists_only_errors() -> None:
    vm = make_vm()
    warn = run(asr_eligibility, vm, eligibility=(Eligibility(vm.id, (WARNING,)),))
    assert "warns about vm-test-01: A2AVmDiskCountHigh" in warn.message
    assert warn.hint == "Review the disk count."
    error = EligibilityError(
        "A2AVmAlreadyProtected", "The VM is already protected.", status="Error"
    )
    failed = run(asr_eligibility, vm, eligibility=(Eligibility(vm.id, (WARNING, error)),))
    assert "A2AVmAlreadyProtected" in failed.message
    assert "A2AVmDiskCountHigh" not in failed.message
