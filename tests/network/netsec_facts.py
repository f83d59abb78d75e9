"""Builders for network facts in tests: a VNet, subnets, NICs and NSGs around testing.make_vm."""

from __future__ import annotations

import json
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

from asr_preflight.netsec import service_tags_from_document
from asr_preflight.snapshot import (
    IpConfiguration,
    NetworkInterface,
    NetworkSecurityGroup,
    SecurityRule,
    ServiceTag,
    ServiceTags,
    Snapshot,
    Subnet,
    VirtualMachine,
    VirtualNetwork,
)
from asr_preflight.testing import SUBSCRIPTION, make_snapshot, make_vm

DATA = Path(__file__).parent.parent / "data"
NET = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/net-rg/providers/Microsoft.Network"
VNET_ID = f"{NET}/virtualNetworks/vnet-prod"


def nsg_id(name: str) -> str:
    return f"{NET}/networkSecurityGroups/{name}"


def subnet_id(name: str) -> str:
    return f"{VNET_ID}/subnets/{name}"


def asg_id(name: str) -> str:
    return f"{NET}/applicationSecurityGroups/{name}"


def rule(
    name: str,
    priority: int,
    direction: str = "Outbound",
    access: str = "Allow",
    protocol: str = "Tcp",
    src: tuple[str, ...] = ("*",),
    dst: tuple[str, ...] = ("*",),
    ports: tuple[str, ...] = ("*",),
    **extra: Any,
) -> SecurityRule:
    return SecurityRule(
        name=name,
        priority=priority,
        direction=direction,  # type: ignore[arg-type]
        access=access,  # type: ignore[arg-type]
        protocol=protocol,
        source_address_prefixes=src,
        destination_address_prefixes=dst,
        destination_port_ranges=ports,
        **extra,
    )


def nsg(name: str, *rules: SecurityRule) -> NetworkSecurityGroup:
    return NetworkSecurityGroup(id=nsg_id(name), name=name, location="eastus", rules=rules)


def vnet(
    prefixes: tuple[str, ...] = ("10.1.0.0/16",), peered: tuple[str, ...] = ()
) -> VirtualNetwork:
    return VirtualNetwork(
        id=VNET_ID, name="vnet-prod", location="eastus", address_prefixes=prefixes,
        peered_address_prefixes=peered,
    )  # fmt: skip


def subnet(name: str = "snet-app", prefix: str = "10.1.1.0/24", **fields: Any) -> Subnet:
    return Subnet(
        id=subnet_id(name), name=name, vnet_id=VNET_ID, address_prefixes=(prefix,), **fields
    )


def nic_for(vm: VirtualMachine, ip: str, sub: Subnet, **fields: Any) -> NetworkInterface:
    asgs = tuple(fields.pop("asgs", ()))
    assert vm.primary_nic_id is not None
    return NetworkInterface(
        id=vm.primary_nic_id,
        name=vm.primary_nic_id.rsplit("/", 1)[-1],
        location="eastus",
        vm_id=vm.id,
        ip_configurations=(
            IpConfiguration(
                "ipconfig1", primary=True, private_ip=ip, subnet_id=sub.id, asg_ids=asgs
            ),
        ),
        **fields,
    )


@cache
def real_tags() -> ServiceTags:
    document = json.loads((DATA / "ServiceTags_Public_20251028.json").read_text(encoding="utf-8"))
    return service_tags_from_document(document)


def small_tags() -> ServiceTags:
    """A few real tags (a subset of the published file), enough for the ASR rules."""
    wanted = {
        "Storage.EastUS",
        "AzureActiveDirectory",
        "AzureSiteRecovery",
        "EventHub.WestUS2",
        "AzureKeyVault",
        "GuestAndHybridManagement",
    }
    full = real_tags()
    return replace(full, tags=tuple(t for t in full.tags if t.name in wanted))


def toy_tags() -> ServiceTags:
    return ServiceTags(
        cloud="Public",
        tags=(
            ServiceTag("Storage", "", "AzureStorage", ("20.0.0.0/16", "20.1.0.0/16")),
            ServiceTag("Storage.EastUS", "eastus", "AzureStorage", ("20.0.0.0/24", "20.0.1.0/24")),
            ServiceTag("AzureActiveDirectory", "", "AzureAD", ("40.0.0.0/24",)),
        ),
    )


def estate(
    vms: list[VirtualMachine] | None = None,
    *,
    nsgs: tuple[NetworkSecurityGroup, ...] = (),
    subnets: tuple[Subnet, ...] | None = None,
    nics: tuple[NetworkInterface, ...] | None = None,
    tags: ServiceTags | None = None,
    **fields: Any,
) -> Snapshot:
    """One VM (vm-test-01, 10.1.1.4) in snet-app unless told otherwise; small real tags."""
    if vms is None:
        vms = [make_vm()]
    sub = subnet()
    if subnets is None:
        subnets = (sub,)
    if nics is None:
        nics = tuple(nic_for(vm, f"10.1.1.{4 + i}", subnets[0]) for i, vm in enumerate(vms))
    return make_snapshot(
        vms,
        network_interfaces=nics,
        network_security_groups=nsgs,
        virtual_networks=fields.pop("virtual_networks", (vnet(),)),
        subnets=subnets,
        service_tags=tags if tags is not None else small_tags(),
        **fields,
    )
