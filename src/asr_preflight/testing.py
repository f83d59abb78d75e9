"""Builders for tests of rules and rule packs (a public helper, like ``typer.testing``).

    from asr_preflight.testing import make_plan, make_snapshot, make_vm, evaluate_rule
    vm = make_vm("vm-web-01", os_disk=Disk(name="os", ephemeral=True))
    [result] = evaluate_rule(no_ephemeral_os_disk, make_snapshot(vms=[vm]))
    assert result.outcome == "fail"

Everything here builds plain facts with sensible, *healthy* defaults, so a test states only the
fact it is about.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from asr_preflight.api import Rule
from asr_preflight.engine import Result, evaluate
from asr_preflight.plan import Plan
from asr_preflight.snapshot import CollectionInfo, Disk, Snapshot, VirtualMachine

SUBSCRIPTION = "00000000-0000-0000-0000-0000000000a1"
SOURCE_REGION = "eastus"
TARGET_REGION = "westus2"


def vm_id(name: str, resource_group: str = "prod-rg", subscription: str = SUBSCRIPTION) -> str:
    return (
        f"/subscriptions/{subscription}/resourceGroups/{resource_group}"
        f"/providers/Microsoft.Compute/virtualMachines/{name}"
    )


def make_vm(name: str = "vm-test-01", **fields: Any) -> VirtualMachine:
    """A healthy, running Linux VM in eastus with one managed OS disk and one NIC."""
    rg = fields.pop("resource_group", "prod-rg")
    sub = fields.pop("subscription_id", SUBSCRIPTION)
    base = VirtualMachine(
        id=vm_id(name, rg, sub),
        name=name,
        subscription_id=sub,
        resource_group=rg,
        location=SOURCE_REGION,
        size="Standard_D2s_v3",
        os_type="Linux",
        tags={},  # read, and none set
        power_state="running",
        provisioning_state="Succeeded",
        agent_status="Ready",
        agent_version="2.11.1.12",
        extensions=(),
        os_disk=Disk(
            name=f"{name}-osdisk",
            size_gb=64,
            sku="Premium_LRS",
            caching="ReadWrite",
            encryption_type="EncryptionAtRestWithPlatformKey",
            max_shares=1,
        ),
        nic_ids=(
            f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/networkInterfaces/{name}-nic",
        ),
    )
    return replace(base, **fields)


def make_plan(**sections: Mapping[str, Any] | list[Any]) -> Plan:
    """A valid plan (target westus2, a vault in westus2), with whole sections replaced."""
    data: dict[str, Any] = {
        "azure": {"subscriptions": [SUBSCRIPTION]},
        "target": {
            "region": TARGET_REGION,
            "vault": (
                f"/subscriptions/{SUBSCRIPTION}/resourceGroups/dr-rg"
                "/providers/Microsoft.RecoveryServices/vaults/dr-vault"
            ),
        },
    }
    data.update(sections)
    return Plan.model_validate(data)


def make_snapshot(
    vms: Iterable[VirtualMachine] = (), plan: Plan | None = None, **fields: Any
) -> Snapshot:
    return Snapshot(
        created_at="2026-11-25T00:00:00Z",
        tool_version="test",
        plan=plan or make_plan(),
        collection=fields.pop("collection", CollectionInfo(source="test")),
        vms=tuple(vms),
        **fields,
    )


def evaluate_rule(
    rule: Rule, snapshot: Snapshot, plan: Plan | None = None, *, pack: str | None = None
) -> list[Result]:
    """Run one rule through the real engine (so the fail-closed guarantees apply). ``pack``: the
    distribution name the rule runs as (``RuleContext.pack``: its ``[plugins.<pack>]`` settings
    and cache namespace), as when the loader found it."""
    use = plan or snapshot.plan or make_plan()
    if pack is not None:
        rule = replace(rule, pack=pack, distribution=rule.distribution or pack)
    return list(evaluate(snapshot, use, [rule]).results)
