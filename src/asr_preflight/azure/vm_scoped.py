"""Phase 3 of the Azure collection, the reads the selected VMs decide: VM SKUs per (subscription,
region) and usages in the target region, the target resource groups, the key vaults ADE disks
name, and ASR's eligibility per VM.

Each ``submit_*`` function submits its reads to the runner at once and returns a function that
gathers them, so that all of phase 3 runs concurrently.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from functools import partial
from typing import Any

from asr_preflight.azure import keyvaults, regional, resources
from asr_preflight.azure.clients import Clients
from asr_preflight.azure.eligibility import eligibility as get_eligibility
from asr_preflight.azure.ids import ResourceId, resource_group_id, sub_scope, subscription_of
from asr_preflight.azure.runner import Runner, value
from asr_preflight.plan import Plan
from asr_preflight.snapshot import KeyVault, RegionCapacity, ResourceGroup, VirtualMachine


def submit_key_vaults(
    runner: Runner, clients: Clients, vms: list[VirtualMachine]
) -> Callable[[], tuple[KeyVault, ...]]:
    """List the key vaults of every subscription holding a vault an ADE disk names: one list
    per such subscription, whatever the number of VMs; keep the named vaults only."""
    wanted = keyvaults.ade_vault_ids(
        d for vm in vms for d in (vm.os_disk, *vm.data_disks) if d is not None
    )
    subs = sorted({subscription_of(v).lower() for v in wanted if subscription_of(v)})
    futures = [
        runner.submit(
            partial(keyvaults.list_key_vaults, clients.raw(sub), sub),
            "key_vaults",
            sub_scope(sub),
        )
        for sub in subs
    ]
    names = {v.lower() for v in wanted}

    def gather() -> tuple[KeyVault, ...]:
        found = [kv for f in futures for kv in (value(f) or ()) if kv.id.lower() in names]
        return tuple(sorted(found, key=lambda kv: kv.id.lower()))

    return gather


def submit_eligibility(
    runner: Runner, clients: Clients, vms: list[VirtualMachine]
) -> dict[str, Future[Any]]:
    """ASR's replication eligibility, one read per VM (VM id -> its read)."""
    return {
        vm.id: runner.submit(
            partial(get_eligibility, clients.site_recovery(vm.subscription_id), vm),
            "eligibility",
            vm.id,
            "Reader on the VM (ASR reads its replication eligibility)",
        )
        for vm in vms
    }


def submit_resource_groups(
    runner: Runner, clients: Clients, plan: Plan, vms: list[VirtualMachine], with_vault: bool
) -> Callable[[], list[ResourceGroup]]:
    """The target resource groups of the VMs (the plan's, else ``<source group>-asr``) and, with
    ``with_vault``, the vault's resource group."""
    wanted: dict[str, tuple[str, str]] = {}
    for vm in vms:
        sub = plan.target.subscription or vm.subscription_id
        name = plan.target.resource_group or f"{vm.resource_group}-asr"
        wanted.setdefault(f"/subscriptions/{sub}/resourceGroups/{name}".lower(), (sub, name))
    if with_vault:
        ref = ResourceId.parse(str(plan.target.vault))
        wanted.setdefault(
            resource_group_id(str(plan.target.vault)).lower(),
            (ref.subscription, ref.resource_group),
        )
    futures = [
        runner.submit(
            partial(resources.resource_group, clients.resources(sub), sub, name),
            "resource_groups",
            f"/subscriptions/{sub}/resourceGroups/{name}",
        )
        for sub, name in wanted.values()
    ]

    def gather() -> list[ResourceGroup]:
        groups = [g for f in futures if (g := value(f)) is not None]
        return sorted(groups, key=lambda g: g.id.lower())

    return gather


def submit_regions(
    runner: Runner, clients: Clients, plan: Plan, vms: list[VirtualMachine]
) -> Callable[[], tuple[RegionCapacity, ...]]:
    """VM SKUs per (subscription, region) of the sources and the target, and compute and network
    usages per target subscription in the target region."""
    target_region = plan.target.region
    targets = {(plan.target.subscription or vm.subscription_id).lower() for vm in vms}
    sources = {(vm.subscription_id.lower(), vm.location) for vm in vms}
    pairs = sorted({(s, target_region) for s in targets} | sources)
    submit = runner.submit
    futures: dict[tuple[str, str], dict[str, Future[Any]]] = {}  # field -> future
    for sub, region in pairs:
        c = clients.compute(sub)
        scope = f"{sub}/{region}"
        entry: dict[str, Future[Any]] = {
            "skus": submit(partial(regional.vm_skus, c, region), "skus", scope)
        }
        if region == target_region and sub in targets:
            n = clients.network(sub)
            entry["compute_usages"] = submit(
                partial(regional.compute_usages, c, region), "compute_usages", scope
            )
            entry["network_usages"] = submit(
                partial(regional.network_usages, n, region), "network_usages", scope
            )
        futures[(sub, region)] = entry

    def gather() -> tuple[RegionCapacity, ...]:
        out = []
        for (sub, region), entry in futures.items():
            out.append(
                RegionCapacity(
                    subscription_id=sub,
                    region=region,
                    skus=value(entry["skus"]),
                    compute_usages=value(entry["compute_usages"])
                    if "compute_usages" in entry
                    else None,
                    network_usages=value(entry["network_usages"])
                    if "network_usages" in entry
                    else None,
                )
            )
        return tuple(out)

    return gather
