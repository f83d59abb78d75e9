"""Fault injection: every fault ends as recovered facts or as `unknown` with a hint, never pass.

The fault matrix, by file:

- here: throttling, 5xx, resets, slow and malformed answers, refused scopes, an unreadable VM,
  credentials;
- ``test_faults_hostile.py``: a nextLink to another host (raw pager, SDK pager, redirect) that is
  never followed, nextLink loops, the page cap, oversized answers, an answer dripping in byte by
  byte, a hung ARM or token authority and a long Retry-After against the collection's deadline
  (``--timeout`` or the default one), eligibility errors that are not objects;
- ``test_faults_nsg.py``: malformed NSG rules and securityRules, NUL bytes in prefixes;
- ``test_cli_e2e.py``: ``check --timeout`` (and ``--timeout 0``, and none) against a hung ARM, a
  hostile token error text, a lone surrogate in a VM and an NSG rule name (``collect`` and
  ``check``);
- ``tests/network/test_netsec_hostile.py``: the evaluator's own guard for snapshot files;
- ``tests/guest/test_hostile_guests.py``: streaming, dripping and banner-less guests;
  ``tests/guest/test_winrm_bounds.py``: one endless or dripping WinRM answer;
- ``tests/cli/test_terminal_injection.py``: ESC sequences and newlines on a pty.
"""

from __future__ import annotations

import pytest

from arm.conftest import SUB_A, SUB_B, TARGET, options
from arm.helpers import assert_read_only, hints, outcomes, run
from arm.probes import PROBES
from asr_preflight.api import Outcome
from asr_preflight.collect import CredentialError, collect
from asr_preflight.engine import Verdict, evaluate
from asr_preflight.plan import Plan
from fakes.arm import FakeAzure

NICS = "/providers/microsoft.network/networkinterfaces"
VMS = "/providers/microsoft.compute/virtualmachines"
A_VMS = ["vm-web-01", "vm-web-02", "vm-db-01", "vm-eph-01"]
B_VMS = ["vm-sap-app-01", "vm-sap-db-01"]


@pytest.mark.parametrize(
    "headers",
    [{"Retry-After": "0.05"}, {"retry-after-ms": "50"}, {"x-ms-retry-after-ms": "50"}, {}],
    ids=["retry-after", "retry-after-ms", "x-ms-retry-after-ms", "no-retry-after"],
)
def test_throttling_is_retried(fake: FakeAzure, plan: Plan, headers: dict[str, str]) -> None:
    fault = fake.fail(NICS, status=429, headers=headers, times=1 if not headers else 2)
    snap = collect(plan, options(fake, eligibility=False))
    assert fault.hits == fault.times
    assert snap.errors == () and len(snap.network_interfaces) == 6


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_retried(fake: FakeAzure, plan: Plan, status: int) -> None:
    fake.fail("/providers/microsoft.compute/skus", status=status, headers={"Retry-After": "0.01"})
    snap = collect(plan, options(fake, eligibility=False))
    assert snap.errors == ()


def _only_a_unknown(fake: FakeAzure, plan: Plan, code: str, hint: str, **kw: object) -> None:
    snap = collect(plan, options(fake, eligibility=False, **kw))
    evaluation = run(snap, plan)
    got = outcomes(evaluation, code)
    assert {vm: got[vm] for vm in A_VMS} == dict.fromkeys(A_VMS, Outcome.UNKNOWN)
    assert {vm: got[vm] for vm in B_VMS} == dict.fromkeys(B_VMS, Outcome.PASS)
    assert all(hint in hints(evaluation, code)[vm] for vm in A_VMS), hints(evaluation, code)
    assert evaluation.verdict is not Verdict.READY
    assert_read_only(fake)


def test_permanent_throttling_is_unknown_with_a_hint(fake: FakeAzure, plan: Plan) -> None:
    fake.fail(
        f"/subscriptions/{SUB_A}{NICS}", status=429, headers={"Retry-After": "0.01"}, times=None
    )
    _only_a_unknown(fake, plan, "TST902", "lower --concurrency", retry_total=2)
    assert (
        len([r for r in fake.arm_requests() if r.path.lower().endswith(NICS) and SUB_A in r.path])
        == 3
    )


def test_permanent_server_error_is_unknown(fake: FakeAzure, plan: Plan) -> None:
    fake.fail(
        f"/subscriptions/{SUB_A}/providers/microsoft.compute/disks",
        status=500,
        times=None,
        headers={"Retry-After": "0.01"},
    )
    _only_a_unknown(fake, plan, "TST903", "re-run", retry_total=1)


def test_connection_reset_is_unknown(fake: FakeAzure, plan: Plan) -> None:
    fake.fail(
        f"/subscriptions/{SUB_A}/providers/microsoft.network/virtualnetworks",
        kind="reset",
        times=None,
    )
    _only_a_unknown(fake, plan, "TST902", "network path", retry_total=1)


def test_a_single_reset_is_retried(fake: FakeAzure, plan: Plan) -> None:
    fault = fake.fail(NICS, kind="reset", times=1)
    snap = collect(plan, options(fake, eligibility=False))
    assert fault.hits == 1 and snap.errors == ()


def test_slow_response_times_out_to_unknown(fake: FakeAzure, plan: Plan) -> None:
    fake.fail(
        f"/subscriptions/{SUB_A}/providers/microsoft.compute/skus",
        kind="slow",
        delay=0.6,
        times=None,
    )
    snap = collect(plan, options(fake, eligibility=False, read_timeout=0.2, retry_total=1))
    evaluation = run(snap, plan)
    got = outcomes(evaluation, "TST904")
    assert {got[vm] for vm in A_VMS} == {Outcome.UNKNOWN}
    assert {got[vm] for vm in B_VMS} == {Outcome.PASS}
    [err] = [e for e in snap.errors if e.kind == "skus" and e.scope == f"{SUB_A}/{TARGET}"]
    assert "connection to ARM failed" in err.cause


def test_slow_response_within_the_timeout_succeeds(fake: FakeAzure, plan: Plan) -> None:
    fake.fail("/providers/microsoft.compute/skus", kind="slow", delay=0.2, times=2)
    snap = collect(plan, options(fake, eligibility=False))
    assert snap.errors == ()


def test_malformed_json_is_unknown(fake: FakeAzure, plan: Plan) -> None:
    fake.fail(
        f"/subscriptions/{SUB_A}/providers/microsoft.network/networksecuritygroups",
        kind="malformed",
        times=None,
    )
    _only_a_unknown(fake, plan, "TST902", "re-run", retry_total=0)


def test_missing_instance_view_is_unknown_per_vm(fake: FakeAzure, plan: Plan) -> None:
    fake.fail("statusonly=true", status=403, times=None)  # only the status list is refused
    snap = collect(plan, options(fake, eligibility=False))
    evaluation = run(snap, plan)
    got = outcomes(evaluation, "TST901")
    assert set(got.values()) == {Outcome.UNKNOWN}
    assert "needs Reader on /subscriptions/" in hints(evaluation, "TST901")["vm-web-01"]
    assert set(outcomes(evaluation, "ASR502").values()) == {Outcome.UNKNOWN}
    assert "needs Reader on /subscriptions/" in hints(evaluation, "ASR502")["vm-web-01"]
    assert outcomes(evaluation, "ASR501")["vm-web-01"] is Outcome.PASS  # from the VM model
    assert outcomes(evaluation, "ASR505")["vm-eph-01"] is Outcome.FAIL  # the model was listed
    assert evaluation.notes == ()  # every VM is still in the report


def test_forbidden_subscription(fake: FakeAzure, plan: Plan) -> None:
    fake.fail(f"/subscriptions/{SUB_B}/", status=403, times=None)
    snap = collect(plan, options(fake))
    assert sorted(vm.name for vm in snap.vms) == sorted(A_VMS)
    vm_errors = [e for e in snap.errors if e.kind == "vms"]
    assert [e.scope for e in vm_errors] == [f"/subscriptions/{SUB_B}"]
    assert vm_errors[0].hint == f"needs Reader on /subscriptions/{SUB_B}"
    rbac = [e for e in snap.errors if e.kind == "rbac"]
    assert rbac and "roleAssignments/read" in rbac[0].hint
    evaluation = run(snap, plan)
    assert evaluation.verdict is not Verdict.READY
    assert any(SUB_B in note and "needs Reader" in note for note in evaluation.notes)
    assert {outcomes(evaluation, "TST904")[vm] for vm in A_VMS} == {Outcome.PASS}
    assert snap.identity is not None and snap.identity.scopes == (f"/subscriptions/{SUB_A}",)
    # healthy VMs of subscription A alone would be ready: the unlisted ones make it unknown
    healthy = plan.model_copy(
        update={"select": plan.select.model_copy(update={"vms": ["vm-web-01"]}), "groups": []}
    )
    snap = collect(healthy, options(fake, eligibility=False))
    evaluation = evaluate(snap, healthy, [PROBES["TST901"]])
    assert [v.verdict for v in evaluation.vms] == [Verdict.READY]
    assert evaluation.verdict is Verdict.UNKNOWN


def test_missing_registration_is_never_fixed_by_us(
    fake: FakeAzure, plan: Plan, caplog: pytest.LogCaptureFixture
) -> None:
    body = {
        "error": {
            "code": "MissingSubscriptionRegistration",
            "message": "The subscription is not registered to use namespace 'Microsoft.Compute'.",
        }
    }
    fake.fail(f"/subscriptions/{SUB_B}{VMS}", status=409, body=body, times=None)
    snap = collect(plan, options(fake, eligibility=False))
    assert_read_only(fake)
    assert not [r for r in fake.requests() if "/register" in r.path.lower()]
    assert "registering for you" not in caplog.text  # the SDK's claim would be false here
    [err] = [e for e in snap.errors if e.kind == "vms"]
    assert err.scope == f"/subscriptions/{SUB_B}"
    assert "az provider register --namespace Microsoft.Compute" in err.hint
    evaluation = run(snap, plan)
    assert evaluation.verdict is not Verdict.READY and evaluation.notes


@pytest.mark.parametrize("mutation", ["no-hardware-profile", "properties-null"])
def test_one_unreadable_vm_is_unknown_alone(fake: FakeAzure, plan: Plan, mutation: str) -> None:
    vms = fake.estate.lists[f"/subscriptions/{SUB_B}{VMS}".lower()]
    bad = vms[0]
    if mutation == "properties-null":
        bad["properties"] = None
    else:
        del bad["properties"]["hardwareProfile"]
    snap = collect(plan, options(fake, eligibility=False))
    [err] = [e for e in snap.errors if e.kind == "vms"]
    assert (
        "hardwareProfile" in err.cause and err.scope == bad["id"]
    )  # that VM, not its subscription
    others = [vm for vm in A_VMS + B_VMS if vm != bad["name"]]
    assert sorted(vm.name for vm in snap.vms) == sorted(others)  # its neighbours are all read
    evaluation = run(snap, plan)
    got = outcomes(evaluation, "TST901")
    assert {got[vm] for vm in others} == {Outcome.PASS}
    [note] = evaluation.notes
    assert bad["id"] in note and "could not be read" in note
    assert evaluation.verdict is not Verdict.READY  # never Ready with a VM missing


def test_eligibility_failure_is_unknown_for_that_vm(fake: FakeAzure, plan: Plan) -> None:
    fake.fail(
        "/virtualmachines/vm-web-01/providers/microsoft.recoveryservices", status=403, times=None
    )
    snap = collect(plan, options(fake))
    evaluation = run(snap, plan)
    got = outcomes(evaluation, "TST905")
    assert got["vm-web-01"] is Outcome.UNKNOWN and got["vm-web-02"] is Outcome.PASS
    assert "needs Reader on the VM" in hints(evaluation, "TST905")["vm-web-01"]
    asr009 = outcomes(evaluation, "ASR009")
    assert asr009["vm-web-01"] is Outcome.UNKNOWN and asr009["vm-web-02"] is Outcome.PASS
    assert asr009["vm-sap-db-01"] is Outcome.FAIL  # its eligibility errors were read
    assert "needs Reader on the VM" in hints(evaluation, "ASR009")["vm-web-01"]


def test_wrong_secret_is_one_clear_line(
    fake: FakeAzure, plan: Plan, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "wrong-secret-value")
    with pytest.raises(CredentialError) as info:
        collect(plan, options(fake))
    message = str(info.value)
    assert "\n" not in message and "DefaultAzureCredential" in message and "az login" in message
    assert "AADSTS7000215" in message and "wrong-secret-value" not in message
    assert fake.arm_requests() == []
    assert "Attempted credentials" not in caplog.text  # the SDK's multi-line warning is muted


def test_no_credential_at_all_is_one_clear_line(
    fake: FakeAzure, plan: Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("AZURE_CLIENT_SECRET", "AZURE_CLIENT_ID", "AZURE_TENANT_ID"):
        monkeypatch.delenv(var)
    monkeypatch.setenv("AZURE_TOKEN_CREDENTIALS", "EnvironmentCredential")
    with pytest.raises(CredentialError, match="az login") as info:
        collect(plan, options(fake))
    assert "\n" not in str(info.value)


def test_unreadable_resource_groups_are_unknown(fake: FakeAzure, plan: Plan) -> None:
    fake.fail("/resourcegroups/rg-shop-prod-asr?", status=403, times=None)
    fake.fail("/resourcegroups/rg-dr?", status=403, times=None)
    snap = collect(plan, options(fake, eligibility=False))
    evaluation = run(snap, plan)
    asr004, asr001 = outcomes(evaluation, "ASR004"), outcomes(evaluation, "ASR001")
    assert {asr004[vm] for vm in A_VMS} == {Outcome.UNKNOWN}
    assert {asr004[vm] for vm in B_VMS} == {Outcome.PASS}
    assert set(asr001.values()) == {Outcome.UNKNOWN}
    rg_a = f"/subscriptions/{SUB_A}/resourceGroups"
    assert hints(evaluation, "ASR004")["vm-web-01"] == f"needs Reader on {rg_a}/rg-shop-prod-asr"
    assert hints(evaluation, "ASR001")["vm-sap-db-01"] == f"needs Reader on {rg_a}/rg-dr"


def test_service_tags_refused(fake: FakeAzure, plan: Plan) -> None:
    fake.fail("/servicetags", status=403, times=None)
    snap = collect(plan, options(fake, eligibility=False))
    assert snap.service_tags is None
    [err] = [e for e in snap.errors if e.kind == "service_tags"]
    assert err.hint == f"needs Reader on /subscriptions/{SUB_A}" and err.covers("service_tags", "x")


def test_the_cause_named_is_the_real_failure_not_a_developer_tool_notice() -> None:
    from asr_preflight.azure.clouds import resolve_cloud
    from asr_preflight.azure.credential import _one_line

    text = (
        "DefaultAzureCredential failed to retrieve a token from the included credentials.\n"
        "Attempted credentials:\n"
        "\tEnvironmentCredential: EnvironmentCredential authentication unavailable.\n"
        "\tVisualStudioCodeCredential: requires the 'azure-identity-broker' package.\n"
        "\tAzureCliCredential: ERROR: Please run 'az login' to setup account.\n"
    )
    line = _one_line(Exception(text), resolve_cloud("AzureCloud"))
    assert "Cause: AzureCliCredential: ERROR: Please run 'az login'" in line
    assert "broker" not in line and "\n" not in line
