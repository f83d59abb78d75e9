"""No token leaves ARM's host: a ``nextLink`` (or any URL) pointing elsewhere is never requested.

ARM answers are hostile input (developers' guide). azure-core's bearer-token policy adds the ARM
token to whatever https URL the pipeline sends, and the SDK pagers and ``raw.list_all`` follow a
``nextLink`` as given; so the pipeline itself must refuse a request to another host.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from arm.conftest import SUB_A, options
from asr_preflight.azure.clients import Clients
from asr_preflight.azure.clouds import resolve_cloud
from asr_preflight.azure.credential import make_credential
from asr_preflight.azure.raw import get_json
from asr_preflight.collect import collect
from asr_preflight.plan import Plan
from fakes.arm import FakeAzure

VMS = f"/subscriptions/{SUB_A}/providers/Microsoft.Compute/virtualMachines"


@pytest.fixture
def elsewhere(
    fake: FakeAzure, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeAzure]:
    """A second HTTPS server on another port, trusted like the fake (so only our check stops a
    request to it, not TLS)."""
    other_dir = tmp_path / "elsewhere"
    other_dir.mkdir()
    other = FakeAzure(other_dir).start()
    bundle = tmp_path / "both-cas.pem"
    bundle.write_text(fake.ca_file.read_text() + other.ca_file.read_text())
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    yield other
    other.stop()


def test_a_next_link_to_another_host_is_not_followed(
    fake: FakeAzure, elsewhere: FakeAzure, plan: Plan
) -> None:
    fake.fail(
        "microsoft.compute/virtualmachines?",
        status=200,
        body={"value": [], "nextLink": f"{elsewhere.url}{VMS}?api-version=2024-07-01&x=1"},
        times=None,
    )
    snap = collect(plan, options(fake))
    assert elsewhere.requests() == []  # the token never went there
    # the VM lists failed (so the run is unknown), rather than "no VMs" from the other host
    assert any("not the ARM endpoint" in e.cause for e in snap.errors), snap.errors


def test_the_pipeline_refuses_a_url_off_the_arm_host(fake: FakeAzure, elsewhere: FakeAzure) -> None:
    cloud = resolve_cloud(None, fake.url, fake.url)
    clients = Clients(make_credential(cloud), cloud, retry_total=0)
    try:
        with pytest.raises(PermissionError, match="not the ARM endpoint"):
            get_json(clients.compute(SUB_A), f"{elsewhere.url}{VMS}?api-version=2024-07-01")
        # the ARM host itself is still served
        assert "value" in get_json(clients.compute(SUB_A), f"{fake.url}{VMS}")
    finally:
        clients.close()
    assert elsewhere.requests() == []
