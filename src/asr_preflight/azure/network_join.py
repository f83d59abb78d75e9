"""Phase 3 of the Azure collection, network part: join the listed network resources locally.

From the per-subscription lists, keep the selected VMs' NICs and the subnets, VNets, NSGs and
route tables they use; GET the few that live in subscriptions the plan does not list (a hub VNet,
a shared NSG), once per distinct resource, never per VM.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from asr_preflight.azure import network
from asr_preflight.azure.clients import Clients
from asr_preflight.azure.errors import fact_error
from asr_preflight.azure.ids import ResourceId
from asr_preflight.azure.runner import READER, Runner, value
from asr_preflight.azure.subscription_lists import Listed
from asr_preflight.snapshot import (
    NetworkInterface,
    NetworkSecurityGroup,
    RouteTable,
    Subnet,
    VirtualMachine,
    VirtualNetwork,
)


@dataclass
class NetworkFacts:
    nics: dict[str, NetworkInterface] = field(default_factory=dict)
    nsgs: dict[str, NetworkSecurityGroup] = field(default_factory=dict)
    vnets: dict[str, VirtualNetwork] = field(default_factory=dict)
    subnets: dict[str, Subnet] = field(default_factory=dict)
    route_tables: dict[str, RouteTable] = field(default_factory=dict)


def join_network(
    runner: Runner, clients: Clients, vms: list[VirtualMachine], listed: Mapping[str, Listed]
) -> NetworkFacts:
    net = NetworkFacts()
    convert = partial(_convert, runner)
    nic_ids = {n.lower() for vm in vms for n in vm.nic_ids}
    raw: dict[str, dict[str, Any]] = {"nsgs": {}, "vnets": {}, "route_tables": {}}
    for f in listed.values():
        pips = network.public_ips(f.value("public_ips") or [])
        for model in f.value("nics") or ():
            if str(model.get("id")).lower() in nic_ids:
                convert(net.nics, network.to_nic, model, pips)
        for key in raw:
            for model in f.value(key) or ():
                if model.get("id"):
                    raw[key][str(model["id"]).lower()] = model
    # the subnets, VNets, NSGs and route tables the selected NICs use
    subnet_ids = {
        ipc.subnet_id.lower()
        for nic in net.nics.values()
        for ipc in nic.ip_configurations
        if ipc.subnet_id
    }
    listed_subs = {s.lower() for s in listed}
    fetch = partial(_fetch_foreign, runner, clients, listed=listed_subs)
    for _round in range(2):
        vnet_ids = {s.rsplit("/subnets/", 1)[0] for s in subnet_ids}
        fetch(raw["vnets"], vnet_ids)
        for vnet_id in vnet_ids:
            model = raw["vnets"].get(vnet_id)
            if model is not None and vnet_id not in net.vnets:
                try:
                    vnet, subnets, unreadable = network.to_vnet(model)
                except Exception as exc:  # noqa: BLE001
                    runner.record(fact_error(exc, "network", vnet_id, READER))
                    continue
                for subnet_id, problem in unreadable.items():  # that subnet only
                    runner.record(fact_error(problem, "network", subnet_id, READER))
                net.vnets[vnet_id] = vnet
                net.subnets.update({s.id.lower(): s for s in subnets})
        used = [net.subnets[s] for s in subnet_ids if s in net.subnets]
        nsg_ids = {s.nsg_id.lower() for s in used if s.nsg_id} | {
            n.nsg_id.lower() for n in net.nics.values() if n.nsg_id
        }
        rt_ids = {s.route_table_id.lower() for s in used if s.route_table_id}
        fetch(raw["nsgs"], nsg_ids)
        fetch(raw["route_tables"], rt_ids)
    for nsg_id in nsg_ids:
        if (model := raw["nsgs"].get(nsg_id)) is not None:
            convert(net.nsgs, network.to_nsg, model)
    for rt_id in rt_ids:
        if (model := raw["route_tables"].get(rt_id)) is not None:
            convert(net.route_tables, network.to_route_table, model)
    return net


def _convert(
    runner: Runner, into: dict[str, Any], fn: Callable[..., Any], model: Any, *args: Any
) -> None:
    try:
        fact = fn(model, *args)
    except Exception as exc:  # noqa: BLE001 - an unreadable item is that item's FactError
        runner.record(fact_error(exc, "network", str(model.get("id") or ""), READER))
        return
    into[fact.id.lower()] = fact


def _fetch_foreign(
    runner: Runner,
    clients: Clients,
    into: dict[str, Any],
    wanted: Iterable[str],
    *,
    listed: set[str],
) -> None:
    """GET the network resources that live in subscriptions the plan does not list (a hub
    VNet, a shared NSG): one GET per distinct resource, never per VM."""
    futures = []
    for rid in sorted(set(wanted) - set(into)):
        try:
            ref = ResourceId.parse(rid)
        except ValueError:
            continue
        if ref.subscription.lower() in listed:
            continue  # listed already: absent means it does not exist
        client = clients.network(ref.subscription)
        futures.append((rid, runner.submit(partial(network.get_item, client, rid), "network", rid)))
    for rid, future in futures:
        model = value(future)
        if model is not None:
            into[rid] = model
