"""Phase 3 facts for the protection rules (ASR512-ASR514): management locks of the source
subscriptions, disk encryption sets of the target subscriptions, and the managed disks already in
the target resource groups.

Every family is listed once per subscription, never per VM; a target subscription that is also a
source subscription reuses phase 1's disk list. Each complete list is recorded as a
:class:`Listing`, so a rule can tell "none exists" from "not read".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Future
from functools import partial
from typing import Any

from asr_preflight.azure import compute
from asr_preflight.azure.clients import Clients
from asr_preflight.azure.disk_encryption_sets import list_disk_encryption_sets
from asr_preflight.azure.errors import fact_error
from asr_preflight.azure.ids import sub_scope, subscription_of
from asr_preflight.azure.runner import READER, Failed, Runner, value
from asr_preflight.azure.subscription_lists import Listed
from asr_preflight.plan import Plan
from asr_preflight.snapshot import (
    DiskEncryptionSet,
    FactError,
    Listing,
    ManagementLock,
    TargetDisk,
    VirtualMachine,
)


def target_groups(plan: Plan, vms: Iterable[VirtualMachine]) -> dict[str, tuple[str, str]]:
    """Lower-cased target resource group id -> (subscription, name), for each VM's target."""
    out: dict[str, tuple[str, str]] = {}
    for vm in vms:
        sub = plan.target.subscription or vm.subscription_id
        name = plan.target.resource_group or f"{vm.resource_group}-asr"
        out.setdefault(f"/subscriptions/{sub}/resourcegroups/{name}".lower(), (sub, name))
    return out


def submit_protection(
    runner: Runner,
    clients: Clients,
    plan: Plan,
    vms: list[VirtualMachine],
    listed: dict[str, Listed],
) -> Callable[[], dict[str, Any]]:
    """Submit the reads now; the returned function gathers them into snapshot fields."""
    groups = target_groups(plan, vms)
    target_subs = sorted({sub.lower() for sub, _ in groups.values()})
    des_subs = sorted(
        set(target_subs)
        | {subscription_of(d).lower() for d in plan.target.disk_encryption_sets.values()} - {""}
    )
    listed_lower = {s.lower(): f for s, f in listed.items()}
    des_f = {
        sub: runner.submit(
            partial(list_disk_encryption_sets, clients.compute(sub), sub),
            "disk_encryption_sets",
            sub_scope(sub),
        )
        for sub in des_subs
    }
    disks_f: dict[str, Future[Any]] = {
        sub: runner.submit(
            partial(compute.list_disks, clients.compute(sub), sub), "target_disks", sub_scope(sub)
        )
        for sub in target_subs
        if sub not in listed_lower
    }

    def gather() -> dict[str, Any]:
        listings: list[Listing] = []
        locks = _locks(vms, listed_lower, listings)
        sets: list[DiskEncryptionSet] = []
        for sub, future in des_f.items():
            got = value(future)
            if got is not None:
                sets.extend(got)
                listings.append(Listing("disk_encryption_sets", sub_scope(sub)))
        disks = _target_disks(runner, groups, listed_lower, disks_f, listings)
        return {
            "management_locks": tuple(sorted(locks, key=lambda lock: lock.id.lower())),
            "disk_encryption_sets": tuple(sorted(sets, key=lambda d: d.id.lower())),
            "target_disks": tuple(sorted(disks, key=lambda d: d.id.lower())),
            "listings": tuple(sorted(listings, key=lambda x: (x.kind, x.scope.lower()))),
        }

    return gather


def _locks(
    vms: list[VirtualMachine], listed: dict[str, Listed], listings: list[Listing]
) -> list[ManagementLock]:
    """The locks that cover a selected VM: on it, its resource group or its subscription."""
    scopes = set()
    for vm in vms:
        sub = sub_scope(vm.subscription_id).lower()
        scopes |= {vm.id.lower(), f"{sub}/resourcegroups/{vm.resource_group.lower()}", sub}
    out: list[ManagementLock] = []
    for sub, lists in listed.items():
        got = lists.value("locks")
        if got is None:
            continue
        listings.append(Listing("locks", sub_scope(sub)))
        out.extend(lock for lock in got if lock.scope.lower().rstrip("/") in scopes)
    return out


def _target_disks(
    runner: Runner,
    groups: dict[str, tuple[str, str]],
    listed: dict[str, Listed],
    own: dict[str, Future[Any]],
    listings: list[Listing],
) -> list[TargetDisk]:
    by_sub: dict[str, Any] = {}
    for sub in {s.lower() for s, _ in groups.values()}:
        if sub in listed:
            got = listed[sub].result("disks")
            if isinstance(got, Failed):  # phase 1 recorded it as "disks"; say it for ASR514 too
                err = got.error
                runner.record(FactError("target_disks", sub_scope(sub), err.cause, err.hint))
                continue
            by_sub[sub] = got
        elif (got := value(own[sub])) is not None:
            by_sub[sub] = got
    out: list[TargetDisk] = []
    for group_id, (sub, name) in groups.items():
        disks = by_sub.get(sub.lower())
        if disks is None:
            continue
        for disk_id, model in disks.items():
            if disk_id.startswith(group_id + "/"):
                try:
                    out.append(compute.to_target_disk(model))
                except ValueError as exc:
                    runner.record(fact_error(exc, "target_disks", disk_id, READER))
        listings.append(Listing("target_disks", f"/subscriptions/{sub}/resourceGroups/{name}"))
    return out
