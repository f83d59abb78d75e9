"""Test-only probe rules: each depends on one fact family through the RuleContext accessors, so
the tests can show, through the real engine, that a collection fault makes exactly the
dependent rules unknown (with the collector's hint) and never pass."""

from __future__ import annotations

from asr_preflight.api import Finding, RuleContext, passed, vm_rule
from asr_preflight.snapshot import VirtualMachine

DOC = """
## What it checks
A test probe.

## Why it matters
Tests.

## How to fix
Nothing.

## References
- https://learn.microsoft.com/azure/site-recovery/azure-to-azure-support-matrix
"""


def _doc(func: object, title: str) -> object:
    func.__doc__ = title + "\n" + DOC  # type: ignore[attr-defined]
    return func


def instance_view(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    if vm.power_state is None or vm.agent_status is None:
        raise ctx.missing("vms", vm.id, f"{vm.name}'s instance view")
    return passed(vm, f"{vm.name} is {vm.power_state}")


def network(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    nic = ctx.primary_nic(vm)
    ipc = nic.primary_ip_configuration
    assert ipc is not None and ipc.subnet_id is not None
    subnet = ctx.subnet(ipc.subnet_id)
    assert subnet.nsg_id is not None
    ctx.nsg(subnet.nsg_id)
    return passed(vm, f"{vm.name}'s network was read")


def disks(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    if vm.os_disk is None or vm.os_disk.encryption_type is None:  # only the disk resource has it
        raise ctx.missing("disks", vm.id, f"{vm.name}'s OS disk")
    return passed(vm, f"{vm.name}'s disks were read")


def capacity(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    sub = ctx.target_subscription(vm)
    region = ctx.region(sub, ctx.plan.target.region)
    if region.skus is None:
        raise ctx.missing("skus", region.scope, "target SKUs")
    if region.compute_usages is None:
        raise ctx.missing("compute_usages", region.scope, "target compute usages")
    return passed(vm, "capacity read")


def eligibility(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    ctx.eligibility(vm)
    return passed(vm, "eligibility read")


PROBES = {
    "TST901": vm_rule(code="TST901", name="probe-instance-view", severity="fail")(
        _doc(instance_view, "Probe: instance view.")
    ),
    "TST902": vm_rule(code="TST902", name="probe-network", severity="fail")(
        _doc(network, "Probe: network.")
    ),
    "TST903": vm_rule(code="TST903", name="probe-disks", severity="fail")(
        _doc(disks, "Probe: disks.")
    ),
    "TST904": vm_rule(code="TST904", name="probe-capacity", severity="fail")(
        _doc(capacity, "Probe: capacity.")
    ),
    "TST905": vm_rule(code="TST905", name="probe-eligibility", severity="fail")(
        _doc(eligibility, "Probe: eligibility.")
    ),
}
