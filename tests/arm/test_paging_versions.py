"""Every list paged, every api-version pinned: against the fake ARM, with the real SDK clients."""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path

import pytest
import requests

from arm.conftest import SUB_A, TARGET, options
from arm.helpers import run
from asr_preflight.azure import api_versions
from asr_preflight.azure.api_versions import (
    PINS,
    UnpinnedApiVersion,
    resource_type,
    with_api_version,
)
from asr_preflight.azure.clients import Clients
from asr_preflight.azure.clouds import resolve_cloud
from asr_preflight.azure.credential import make_credential
from asr_preflight.azure.raw import get_json
from asr_preflight.collect import collect
from asr_preflight.plan import Plan
from asr_preflight.snapshot import Snapshot
from fakes.arm import FakeAzure
from fakes.estate import EstateBuilder

ROOT = Path(__file__).parents[2]


def _comparable(snap: Snapshot) -> Snapshot:
    return dataclasses.replace(snap, created_at="")


def _paged_types(fake: FakeAzure) -> Counter[str]:
    return Counter(resource_type(r.path) for r in fake.arm_requests() if "skiptoken" in r.query)


@pytest.mark.parametrize("size", [3, 1])
def test_every_list_paged_gives_the_unpaged_results(fake: FakeAzure, plan: Plan, size: int) -> None:
    # a second assignment for the principal, so that its assignedTo() list has two items too
    EstateBuilder(fake.estate).rbac(SUB_A, fake.oid, f"/subscriptions/{SUB_A}/resourceGroups/rg-dr")
    fake.page_size = 10**6
    unpaged = collect(plan, options(fake))
    assert _paged_types(fake) == Counter()
    fake.reset()
    fake.page_size = size
    paged = collect(plan, options(fake))
    assert paged.errors == ()
    assert _comparable(paged) == _comparable(unpaged)
    assert run(paged, plan).results == run(unpaged, plan).results
    # every family with more than 3 items came in several pages, through SDK pagers and raw lists
    assert set(_paged_types(fake)) >= {
        "microsoft.compute/virtualmachines",
        "microsoft.compute/disks",
        "microsoft.network/networkinterfaces",
        "microsoft.compute/locations/usages",
        "microsoft.network/locations/usages",
        "microsoft.network/locations/servicetags",
    }
    if size == 1:  # then every list of two or more items, the SDK pagers' ones included
        assert set(_paged_types(fake)) >= {
            "microsoft.compute/skus",
            "microsoft.authorization/roleassignments",
            "microsoft.network/networksecuritygroups",
            "microsoft.network/virtualnetworks",
        }


def test_service_tags_follow_next_link(fake: FakeAzure, plan: Plan) -> None:
    fake.page_size = 2
    snap = collect(plan, options(fake))
    assert snap.service_tags is not None
    assert len(snap.service_tags.tags) == 6  # the example's 5 and Storage.EastUS, over 3 pages
    assert "Storage.EastUS" in {t.name for t in snap.service_tags.tags}
    assert _paged_types(fake)["microsoft.network/locations/servicetags"] == 2


def test_service_tags_page_that_fails_is_not_gathered(fake: FakeAzure, plan: Plan) -> None:
    fake.fail("servicetags?api-version=2024-05-01&%24skiptoken=3", status=403, times=None)
    snap = collect(plan, options(fake))
    assert snap.service_tags is None  # never the first page alone
    assert [e.kind for e in snap.errors] == ["service_tags"]


def test_service_tags_that_change_between_pages_are_not_gathered(
    fake: FakeAzure, plan: Plan
) -> None:
    key = f"/subscriptions/{SUB_A}/providers/microsoft.network/locations/{TARGET}/servicetags"
    tags = fake.estate.items[key]
    fake.fail(
        "servicetags?api-version=2024-05-01&%24skiptoken=3",
        status=200,
        body={**tags, "changeNumber": "64", "values": tags["values"][3:], "nextLink": None},
    )
    snap = collect(plan, options(fake))
    assert snap.service_tags is None
    assert "changed while" in next(e.cause for e in snap.errors if e.kind == "service_tags")


# -- api-versions ------------------------------------------------------------------------------------


def _clients(fake: FakeAzure) -> Clients:
    cloud = resolve_cloud("custom", fake.url, fake.url)
    return Clients(make_credential(cloud), cloud, retry_total=0)


def test_every_request_of_a_run_carries_its_pinned_version(fake: FakeAzure, plan: Plan) -> None:
    collect(plan, options(fake))
    seen = {resource_type(r.path) for r in fake.arm_requests()}
    pinned = {p.resource_type.lower() for p in PINS}
    assert seen <= pinned and len(seen) >= 15
    assert fake.version_violations == []


def test_a_request_with_an_unpinned_version_fails_the_check(fake: FakeAzure) -> None:
    url = f"{fake.url}/subscriptions/{SUB_A}/providers/Microsoft.Compute/virtualMachines"
    answer = requests.get(
        url,
        params={"api-version": "2025-04-01"},  # what a newer SDK would default to
        headers={"Authorization": f"Bearer {fake.token_value}"},
        verify=str(fake.ca_file),
        timeout=10,
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "NoRegisteredProviderFound"
    assert fake.version_violations == [
        (f"/subscriptions/{SUB_A}/providers/Microsoft.Compute/virtualMachines", "2025-04-01")
    ]
    fake.version_violations.clear()  # seen; the fixture checks the list is empty at the end


def test_the_pipeline_overrides_an_sdk_default_version(fake: FakeAzure) -> None:
    clients = _clients(fake)
    try:
        skus = list(
            clients.compute(SUB_A).resource_skus.list(
                filter=f"location eq '{TARGET}'", api_version="2099-01-01"
            )
        )
    finally:
        clients.close()
    assert len(skus) == 3  # over 1 page of 3 (2 VM sizes and a disk SKU)
    queries = [r.query for r in fake.arm_requests() if r.path.lower().endswith("/skus")]
    assert queries and all("api-version=2021-07-01" in q for q in queries)


def test_a_call_without_a_pin_is_refused_before_it_is_sent(fake: FakeAzure) -> None:
    clients = _clients(fake)
    path = f"/subscriptions/{SUB_A}/providers/Microsoft.Web/sites?api-version=2024-04-01"
    try:
        with pytest.raises(UnpinnedApiVersion, match="microsoft.web/sites"):
            get_json(clients.compute(SUB_A), path)
    finally:
        clients.close()
    assert not [r for r in fake.requests() if "microsoft.web" in r.path.lower()]


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/subscriptions/s/providers/Microsoft.Compute/virtualMachines", "virtualmachines"),
        (
            "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/virtualMachines/v/"
            "instanceView",
            "virtualmachines/instanceview",
        ),
        (
            "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/virtualMachines/v/"
            "providers/Microsoft.RecoveryServices/replicationEligibilityResults/default",
            "replicationeligibilityresults",
        ),
        ("/subscriptions/s/resourcegroups/rg", "microsoft.resources/resourcegroups"),
        ("/subscriptions", "microsoft.resources/subscriptions"),
        (
            "/providers/Microsoft.Management/managementGroups/mg/descendants",
            "microsoft.management/managementgroups/descendants",
        ),
        (
            "https://h/subscriptions/s/providers/Microsoft.Network/locations/x/serviceTags?a=b",
            "microsoft.network/locations/servicetags",
        ),
    ],
)
def test_resource_type_of_a_path(path: str, kind: str) -> None:
    assert resource_type(path).endswith(kind)


def test_with_api_version_changes_only_that_parameter() -> None:
    url = "https://h/p?$filter=location%20eq%20%27x%27&api-version=2020-01-01&$skiptoken=a+b"
    assert with_api_version(url, "2024-07-01") == (
        "https://h/p?$filter=location%20eq%20%27x%27&api-version=2024-07-01&$skiptoken=a+b"
    )
    assert with_api_version("https://h/p", "1") == "https://h/p?api-version=1"
    assert with_api_version("https://h/p?a=1", "1") == "https://h/p?a=1&api-version=1"


def test_each_pin_names_a_spec_of_its_provider_and_version() -> None:
    for pin in PINS:
        namespace = pin.resource_type.split("/")[0]
        assert pin.spec.startswith("specification/"), pin
        assert f"/{namespace}/" in pin.spec and f"/{pin.api_version}/" in pin.spec, pin
        assert pin.why and pin.operations


def test_docs_table_is_generated_from_the_pins() -> None:
    text = (ROOT / "docs" / "azure.md").read_text(encoding="utf-8")
    assert api_versions.with_table(text) == text, (
        "docs/azure.md api-version table is stale: run "
        "`python -m asr_preflight.azure.api_versions --write docs/azure.md`"
    )
    for pin in PINS:
        assert f"| {pin.resource_type} | {pin.api_version} |" in text
