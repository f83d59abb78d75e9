"""The fake ARM + token authority, an estate built from official examples, and a plan for it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from asr_preflight.options import CollectOptions
from asr_preflight.plan import Plan, parse_plan
from fakes.arm import CLIENT_ID, TENANT, FakeAzure
from fakes.estate import EstateBuilder, VmSpec

SUB_A = "11111111-1111-4111-8111-111111111111"
SUB_B = "22222222-2222-4222-8222-222222222222"
TARGET = "westus2"


def build_estate(fake: FakeAzure) -> EstateBuilder:
    b = EstateBuilder(fake.estate)
    b.vm(SUB_A, VmSpec("vm-web-01", "rg-shop-prod", tags={"dr": "true"}))
    b.vm(SUB_A, VmSpec("vm-web-02", "rg-shop-prod", tags={"dr": "true"}, os_type="Windows"))
    b.vm(SUB_A, VmSpec("vm-db-01", "rg-shop-prod", data_disks=3, provisioning="Failed"))
    b.vm(SUB_A, VmSpec("vm-eph-01", "rg-shop-prod", ephemeral=True, data_disks=0))
    b.vm(SUB_A, VmSpec("vm-other-01", "rg-other", tags={"dr": "false"}))
    b.vm(SUB_B, VmSpec("vm-sap-app-01", "rg-erp-prod", power="deallocated", agent="Not Ready"))
    b.vm(
        SUB_B,
        VmSpec(
            "vm-sap-db-01",
            "rg-erp-prod",
            failed_extension=True,
            eligibility_errors=(("150436", "The VM has a stale ASR extension."),),
        ),
    )
    for sub in (SUB_A, SUB_B):
        b.region(sub, TARGET)
        b.region(sub, "eastus")
        b.rbac(sub, fake.oid)
        b.resource_group(sub, "rg-shop-prod", "eastus")
    b.service_tags(SUB_A, TARGET)
    b.vault(SUB_A, "rg-dr", "rv-dr-westus2", TARGET)
    b.storage(SUB_A, "rg-dr", "asrcachewestus2", "eastus")
    b.resource_group(SUB_A, "rg-shop-prod-asr", TARGET)
    return b


VAULT = f"/subscriptions/{SUB_A}/resourceGroups/rg-dr/providers/Microsoft.RecoveryServices/vaults"
CACHE = f"/subscriptions/{SUB_A}/resourceGroups/rg-dr/providers/Microsoft.Storage/storageAccounts"
PLAN = f"""
[azure]
subscriptions = ["{SUB_A}", "{SUB_B}"]

[select]
resource_groups = ["rg-shop-prod", "rg-erp-prod"]

[target]
region = "{TARGET}"
vault = "{VAULT}/rv-dr-westus2"
cache_storage_account = "{CACHE}/asrcachewestus2"

[[groups]]
name = "sap"
vms = ["vm-sap-app-01", "vm-sap-db-01"]
"""


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAzure]:
    # page size 3: every list the collector reads arrives in several pages, as real ARM may send it
    fake = FakeAzure(tmp_path, page_size=3).start()
    build_estate(fake)
    # DefaultAzureCredential's environment path -> the real ClientSecretCredential
    monkeypatch.setenv("AZURE_TENANT_ID", TENANT)
    monkeypatch.setenv("AZURE_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("AZURE_CLIENT_SECRET", fake.secret)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(fake.ca_file))
    for var in (
        "AZURE_AUTHORITY_HOST",
        "AZURE_FEDERATED_TOKEN_FILE",
        "IDENTITY_ENDPOINT",
        "MSI_ENDPOINT",
    ):
        monkeypatch.delenv(var, raising=False)
    try:
        yield fake
    finally:
        fake.stop()
    # every request carried the api-version pinned in asr_preflight/azure/api_versions.py
    assert fake.version_violations == [], fake.version_violations


@pytest.fixture
def plan() -> Plan:
    return parse_plan(PLAN)


def options(fake: FakeAzure, **kw: object) -> CollectOptions:
    defaults: dict[str, object] = {
        "arm_endpoint": fake.url,
        "authority_host": fake.url,
        "guest": False,
        "concurrency": 4,
        "retry_total": 3,
    }
    defaults.update(kw)
    return CollectOptions.flat(**defaults)  # type: ignore[arg-type]
