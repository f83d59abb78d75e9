"""`collect --record DIR`: a run against the fake is recorded, then replayed by a second fake that
knows nothing but the recording, to the same snapshot and results (pseudonymised or not)."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from arm.conftest import PLAN, SUB_A, SUB_B, options
from arm.helpers import assert_read_only, run
from asr_preflight import cli
from asr_preflight.azure.recording import REDACTED, Pseudonyms, Recorder, redact
from asr_preflight.collect import collect
from asr_preflight.engine import Evaluation
from asr_preflight.options import AzureOptions
from asr_preflight.plan import Plan
from asr_preflight.snapshot import Snapshot
from fakes.arm import TENANT, FakeAzure

VAULT_TENANT = "d676e86e-2206-4a7c-999c-ece52c144b5b"  # in the vault example's identity


@pytest.fixture
def replayer(
    fake: FakeAzure, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeAzure]:
    """A second fake ARM (another port, another CA) with an empty estate."""
    other = FakeAzure(tmp_path / "replayer", page_size=3)
    other.workdir.mkdir()
    other.start()
    bundle = tmp_path / "both-cas.pem"
    bundle.write_text(fake.ca_file.read_text() + other.ca_file.read_text())
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    try:
        yield other
    finally:
        other.stop()
    assert other.version_violations == []


def _record(fake: FakeAzure, plan: Plan, folder: Path, **kw: object) -> Snapshot:
    opts = options(fake)
    azure = dataclasses.replace(opts.azure, record=folder, **kw)  # type: ignore[arg-type]
    return collect(plan, dataclasses.replace(opts, azure=azure))


def _same(a: Snapshot, b: Snapshot) -> bool:
    return dataclasses.replace(a, created_at="") == dataclasses.replace(b, created_at="")


def test_a_recording_replays_to_the_same_results(
    fake: FakeAzure, replayer: FakeAzure, plan: Plan, tmp_path: Path
) -> None:
    folder = tmp_path / "recording"
    live = _record(fake, plan, folder)
    entries = [json.loads(x) for x in (folder / "responses.jsonl").read_text().splitlines()]
    # one entry per answer the run received (token requests are not ARM's)
    assert len(entries) == len(fake.arm_requests())
    assert {e["status"] for e in entries} == {200, 404}  # the missing resource group
    assert any("nextLink" in (e["body"] or {}) for e in entries)  # paged lists, page by page
    assert all(
        set(e) == {"method", "path", "query", "api_version", "status", "body"} for e in entries
    )
    text = "\n".join(p.read_text() for p in folder.iterdir())
    assert fake.token_value not in text and "Bearer" not in text and "x-ms-request-id" not in text

    fake.reset()
    replayer.replay(folder)
    replayed = collect(plan, options(replayer))
    assert fake.arm_requests() == []  # recorded nextLinks were pointed at the replayer
    assert _same(replayed, live)
    assert run(replayed, plan).results == run(live, plan).results
    assert_read_only(replayer)
    assert not replayer.estate.lists and not replayer.estate.items  # it served the recording


def _by_name(evaluation: Evaluation) -> list[tuple[str, str, str, str]]:
    def anonymous(text: str) -> str:
        return re.sub(r"/subscriptions/[^/]+", "/subscriptions/S", text)

    return sorted((r.rule, r.vm, anonymous(r.target), str(r.outcome)) for r in evaluation.results)


def test_a_pseudonymised_recording_hides_the_ids_and_replays(
    fake: FakeAzure, replayer: FakeAzure, plan: Plan, tmp_path: Path
) -> None:
    folder = tmp_path / "recording"
    live = _record(fake, plan, folder, record_pseudonymise=True)
    text = "\n".join(p.read_text() for p in folder.iterdir()).lower()
    for real in (SUB_A, SUB_B, VAULT_TENANT):
        assert real.lower() not in text
    manifest = json.loads((folder / "recording.json").read_text())
    assert manifest["pseudonymised"] is True and manifest["responses"] > 20
    recorded_plan = Plan.model_validate(json.loads((folder / "plan.json").read_text()))
    subs = recorded_plan.azure.subscriptions
    assert len(subs) == 2 and not {s.lower() for s in subs} & {SUB_A, SUB_B}
    # consistent: the plan's pseudonyms are the ones in the recorded paths
    assert all(f"/subscriptions/{s}/".lower() in text for s in subs)

    fake.reset()
    replayer.replay(folder)
    replayed = collect(recorded_plan, options(replayer))
    assert fake.arm_requests() == []
    assert replayed.errors == live.errors == ()
    assert _by_name(run(replayed, recorded_plan)) == _by_name(run(live, plan))


def test_a_request_the_recording_lacks_is_unknown_not_absent(
    fake: FakeAzure, replayer: FakeAzure, plan: Plan, tmp_path: Path
) -> None:
    folder = tmp_path / "recording"
    _record(fake, plan, folder)
    lines = (folder / "responses.jsonl").read_text().splitlines()
    kept = [x for x in lines if "resourcegroups/rg-erp-prod-asr" not in x.lower()]
    assert len(kept) == len(lines) - 1  # the 404 of the group ASR would create
    (folder / "responses.jsonl").write_text("".join(f"{x}\n" for x in kept))
    replayer.replay(folder)
    snap = collect(plan, options(replayer))
    assert [e.scope.rsplit("/", 1)[-1] for e in snap.errors] == ["rg-erp-prod-asr"]
    assert "rg-erp-prod-asr" not in {g.name for g in snap.resource_groups}


def test_collect_record_through_the_cli(fake: FakeAzure, tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN)
    folder = tmp_path / "rec"
    args = ["collect", "--plan", str(plan), "--out", str(tmp_path / "s.json")]
    cloud = ["--arm-endpoint", fake.url, "--authority-host", fake.url, "--no-guest"]
    result = CliRunner().invoke(
        cli.app, [*args, *cloud, "--record", str(folder), "--record-pseudonymise"]
    )
    assert result.exit_code == 0, result.output
    assert f"recorded the ARM answers in {folder}" in result.output
    assert SUB_A not in (folder / "responses.jsonl").read_text()
    alone = CliRunner().invoke(cli.app, [*args, *cloud, "--record-pseudonymise"])
    assert alone.exit_code == 2 and "--record-pseudonymise needs --record" in alone.output


def test_secrets_and_ids_units() -> None:
    body = {"properties": {"adminPassword": "p", "keys": [{"value": "k"}], "name": "x"}}
    assert redact(body) == {
        "properties": {"adminPassword": REDACTED, "keys": REDACTED, "name": "x"}
    }
    swap = Pseudonyms([SUB_A, TENANT])
    once = swap.text(f"/subscriptions/{SUB_A.upper()}/x {TENANT} {SUB_A}")
    assert SUB_A not in once.lower() and TENANT not in once
    first, second = once.split(" ")[0].split("/")[2], once.split(" ")[2]
    assert first == second  # consistent, whatever the case
    assert Pseudonyms([SUB_A]).text(SUB_A) != swap.text(SUB_A)  # a key per recording
    recorder = Recorder("https://arm")
    recorder.add("GET", "https://arm/p?api-version=1", 200, "not json")
    assert recorder.entries[0]["body"] == {"_text": "not json"}
    assert AzureOptions().record is None
