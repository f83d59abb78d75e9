"""Phase 2 of the Azure collection: the selected VMs and their details.

From the per-subscription lists of phase 1 (:mod:`.subscription_lists`): keep the VMs the plan's
``[select]`` names, read one instance view for each running VM whose status-only listing left out
the VM agent or the extensions, build the :class:`VirtualMachine` facts (a VM that cannot be read
is a FactError naming it, not a dead run) and check that every VM the plan names by hand, in
``[select] vms`` or a ``[[groups]]`` entry, was found.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from asr_preflight.azure import compute
from asr_preflight.azure.clients import Clients
from asr_preflight.azure.errors import fact_error
from asr_preflight.azure.ids import ResourceId, sub_scope
from asr_preflight.azure.runner import READER, Failed, Runner, value
from asr_preflight.azure.subscription_lists import Listed
from asr_preflight.plan import Plan, PlanError
from asr_preflight.snapshot import FactError, VirtualMachine


def read_vms(
    plan: Plan,
    runner: Runner,
    clients: Clients,
    listed: dict[str, Listed],
    subscriptions: list[str],
) -> list[VirtualMachine]:
    """The selected VMs, sorted by subscription, resource group and name. Raises PlanError when a
    VM the plan names is not among them (and every VM list was read)."""
    vm_lists_failed = {s for s, f in listed.items() if f.value("vms") is None}
    models = [(s, m) for s, f in listed.items() for m in (f.value("vms") or ())]
    chosen = [(s, m) for s, m in models if selected(m, plan)]
    views: dict[str, Any] = {}
    statuses_failed: dict[str, FactError] = {}
    for sub, f in listed.items():
        got = f.result("statuses")
        if isinstance(got, Failed):
            statuses_failed[sub] = got.error
        else:
            views.update(got)
    fallback = {
        str(m["id"]).lower(): runner.submit(
            partial(compute.instance_view, clients.compute(s), str(m["id"])),
            "vms",
            str(m["id"]),
        )
        for s, m in chosen
        if compute.needs_full_view(views.get(str(m["id"]).lower()))
    }
    complete: set[str] = set()  # VMs whose view is their own instance view
    for vm_id, future in fallback.items():
        view = value(future)
        if view is not None:
            views[vm_id] = view
            complete.add(vm_id)
    vms: list[VirtualMachine] = []
    unreadable: list[Any] = []  # selected VM models to_vm could not read
    for sub, model in chosen:
        disks = listed[sub].value("disks")
        view = views.get(str(model.get("id")).lower())
        if view is None and sub in statuses_failed:
            err = statuses_failed[sub]
            runner.record(FactError("vms", str(model.get("id")), err.cause, err.hint))
        elif view is None:
            runner.record(
                FactError(
                    "vms",
                    str(model.get("id")),
                    "the VM was missing from ARM's status list (created or deleted meanwhile?)",
                    "re-run `asr-preflight collect`",
                )
            )
        try:
            vm_key = str(model.get("id")).lower()
            vms.append(compute.to_vm(model, view, disks, complete_view=vm_key in complete))
        except Exception as exc:  # noqa: BLE001 - that VM is unknown, the others are read
            vm_id = str(model.get("id") or "")
            # named by its id: only it is missing (the engine says so, the run is unknown)
            runner.record(fact_error(exc, "vms", vm_id or sub_scope(sub), READER))
            if vm_id:
                unreadable.append(model)
            else:
                vm_lists_failed.add(sub)
    vms.sort(key=lambda v: (v.subscription_id.lower(), v.resource_group.lower(), v.name.lower()))
    check_selection(plan, subscriptions, vms, vm_lists_failed, unreadable)
    return vms


def check_selection(
    plan: Plan,
    subscriptions: list[str],
    vms: list[VirtualMachine],
    lists_failed: set[str],
    unreadable: list[Any],
) -> None:
    """Raise PlanError for a VM named in ``[select] vms`` or a group that was not found."""
    if lists_failed:
        return  # some VMs could not be listed: the engine reports the run as unknown
    names = {v.name.lower() for v in vms} | {v.id.lower() for v in vms}
    names |= {str(m.get(k) or "").lower() for m in unreadable for k in ("id", "name")}
    absent = [ref for ref in plan.select.vms if ref.lower() not in names]
    if absent:
        raise PlanError(
            f"[select] vms: {', '.join(absent)} matched no VM in subscriptions "
            f"{', '.join(subscriptions)} (after the resource_groups and tags filters)"
        )
    for group in plan.groups:
        missing = [ref for ref in group.vms if ref.lower() not in names]
        if missing:
            raise PlanError(
                f"[[groups]] {group.name}: {', '.join(missing)} "  # noqa: S608 - not SQL
                f"{'is' if len(missing) == 1 else 'are'} not among the selected VMs; "
                "select them in [select] or remove them from the group"
            )


def selected(model: Any, plan: Plan) -> bool:
    """Whether a VM model (as listed) passes the plan's ``[select]`` filters."""
    select = plan.select
    vm_id = str(model.get("id") or "")
    name = str(model.get("name") or "")
    if select.resource_groups:
        try:
            rg = ResourceId.parse(vm_id).resource_group.lower()
        except ValueError:
            return False
        if rg not in {g.lower() for g in select.resource_groups}:
            return False
    if select.vms and not ({vm_id.lower(), name.lower()} & {v.lower() for v in select.vms}):
        return False
    tags = dict(model.get("tags") or {})
    return all(tags.get(k) == v for k, v in select.tags.items())
