"""The region table behind ASR005: names, clouds, and the combinations ASR refuses."""

from __future__ import annotations

import pytest

from asr_preflight.regions import REGIONS, check_regions, display, lookup, normalize


def test_names_normalise_and_display() -> None:
    assert normalize("East US 2") == "eastus2"
    region = lookup("West US 2")
    assert region is not None
    assert (region.name, region.cloud, region.geography) == (
        "westus2",
        "AzureCloud",
        "United States",
    )
    assert display("eastus") == "East US (eastus)"
    assert display("marsnorth") == "marsnorth"
    assert lookup("marsnorth") is None


def test_table_is_consistent() -> None:
    for region in REGIONS.values():
        assert region.name == normalize(region.display_name)
        if region.reserved_for is not None:
            assert REGIONS[region.reserved_for].cloud == region.cloud
        for target in region.allowed_targets or ():
            assert target in REGIONS


@pytest.mark.parametrize(
    ("source", "target", "vault", "levels"),
    [
        ("eastus", "westus2", "westus2", []),
        ("eastus", "eastus", "westus2", []),  # zone-to-zone: only cloud and vault are checked
        ("brazilsouth", "brazilsouth", None, []),
        ("brazilsouth", "brazilsoutheast", "brazilsoutheast", ["warn"]),
        ("germanywestcentral", "germanynorth", None, ["warn"]),
        ("francecentral", "northeurope", "northeurope", []),
        ("chinanorth2", "chinaeast", "chinaeast2", []),
        ("chinaeast", "chinanorth2", None, ["fail"]),
        ("westeurope", "chinanorth2", None, ["fail"]),
        ("eastus", "westus2", "newzealandnorth", ["fail"]),
        ("newzealandnorth", "australiaeast", "australiaeast", []),
        ("Mars North", "westus2", None, ["unknown"]),
    ],
)
def test_check_regions(source: str, target: str, vault: str | None, levels: list[str]) -> None:
    assert [i.level for i in check_regions(source, target, vault)] == levels


def test_plan_cloud_mismatch_is_reported_for_each_region() -> None:
    issues = check_regions("eastus", "westus2", "westus2", cloud="AzureChinaCloud")
    assert [i.level for i in issues] == ["fail", "fail", "fail"]
    assert check_regions("eastus", "westus2", "westus2", cloud="custom") == []
