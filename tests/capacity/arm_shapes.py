"""ARM-shaped SKU and usage lists, and their conversion to our facts (a test helper).

The conversion mirrors what a collector does with ``ResourceSkus_List`` and ``Usage_List``
bodies (see ``tests/data/capacity``): only ``virtualMachines`` SKUs, zones from ``locationInfo``
of the region, restrictions with their ``restrictionInfo`` locations/zones. The builders write
crafted lists in the same shape, so every test goes through the real layout.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from asr_preflight.snapshot import RegionCapacity, SkuRestriction, Usage, VmSku

DATA = Path(__file__).resolve().parent.parent / "data" / "capacity"


def example_body(name: str) -> dict[str, Any]:
    """The 200 body of one of the official examples in tests/data/capacity."""
    doc = json.loads((DATA / name).read_text(encoding="utf-8"))
    body: dict[str, Any] = doc["responses"]["200"]["body"]
    return body


# -- ARM JSON -> facts ---------------------------------------------------------------------------


def sku_from_arm(item: Mapping[str, Any], region: str) -> VmSku | None:
    if item.get("resourceType") != "virtualMachines":
        return None
    zones: tuple[str, ...] = ()
    for info in item.get("locationInfo") or ():
        if str(info.get("location", "")).lower() == region.lower():
            zones = tuple(sorted(info.get("zones") or ()))
    restrictions = tuple(
        SkuRestriction(
            type=r["type"],
            reason_code=r.get("reasonCode", ""),
            locations=tuple(
                (r.get("restrictionInfo") or {}).get("locations") or r.get("values") or ()
            ),
            zones=tuple((r.get("restrictionInfo") or {}).get("zones") or ()),
        )
        for r in item.get("restrictions") or ()
    )
    return VmSku(
        name=item["name"],
        family=item.get("family"),
        tier=item.get("tier"),
        zones=zones,
        capabilities={c["name"]: c["value"] for c in item.get("capabilities") or ()},
        restrictions=restrictions,
    )


def skus_from_arm(body: Mapping[str, Any], region: str) -> tuple[VmSku, ...]:
    found = (sku_from_arm(item, region) for item in body["value"])
    return tuple(sku for sku in found if sku is not None)


def usages_from_arm(body: Mapping[str, Any]) -> tuple[Usage, ...]:
    return tuple(
        Usage(
            name=item["name"]["value"],
            current_value=int(item["currentValue"]),
            limit=int(item["limit"]),
            localized_name=item["name"].get("localizedValue"),
            unit=item.get("unit"),
        )
        for item in body["value"]
    )


# -- crafted lists in the ARM shape --------------------------------------------------------------


def arm_sku(
    name: str,
    family: str,
    vcpus: int,
    memory_gb: float,
    *,
    nics: int | None = 2,
    disks: int | None = 8,
    premium: bool = True,
    accelerated: bool = True,
    generations: str = "V1,V2",
    region: str = "westus2",
    zones: Iterable[str] = ("1", "2", "3"),
    restrictions: Iterable[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    caps = {
        "MaxResourceVolumeMB": str(vcpus * 8192),
        "OSVhdSizeMB": "1047552",
        "vCPUs": str(vcpus),
        "HyperVGenerations": generations,
        "MemoryGB": f"{memory_gb:g}",
        "MaxDataDiskCount": None if disks is None else str(disks),
        "LowPriorityCapable": "True",
        "PremiumIO": str(premium),
        "vCPUsAvailable": str(vcpus),
        "ACUs": "160",
        "vCPUsPerCore": "2",
        "EphemeralOSDiskSupported": "True",
        "AcceleratedNetworkingEnabled": str(accelerated),
        "RdmaEnabled": "False",
        "MaxNetworkInterfaces": None if nics is None else str(nics),
    }
    short = name.removeprefix("Standard_")
    return {
        "resourceType": "virtualMachines",
        "locations": [region],
        "capabilities": [{"name": k, "value": v} for k, v in caps.items() if v is not None],
        "locationInfo": [{"location": region, "zones": list(zones)}],
        "restrictions": list(restrictions),
        "name": name,
        "tier": "Standard",
        "size": short,
        "family": family,
    }


def location_restriction(
    region: str = "westus2", reason: str = "NotAvailableForSubscription"
) -> dict[str, Any]:
    return {
        "type": "Location",
        "values": [region],
        "restrictionInfo": {"locations": [region]},
        "reasonCode": reason,
    }


def zone_restriction(
    zones: Iterable[str], region: str = "westus2", reason: str = "NotAvailableForSubscription"
) -> dict[str, Any]:
    return {
        "type": "Zone",
        "values": [region],
        "restrictionInfo": {"locations": [region], "zones": list(zones)},
        "reasonCode": reason,
    }


def arm_usage(name: str, current: int, limit: int, localized: str | None = None) -> dict[str, Any]:
    return {
        "unit": "Count",
        "currentValue": current,
        "limit": limit,
        "name": {"value": name, "localizedValue": localized or name},
    }


def region_capacity(
    subscription: str,
    region: str = "westus2",
    *,
    skus: Iterable[Mapping[str, Any]] | None = (),
    compute: Iterable[Mapping[str, Any]] | None = (),
    network: Iterable[Mapping[str, Any]] | None = (),
) -> RegionCapacity:
    """A RegionCapacity from ARM-shaped lists (None = that list could not be fetched)."""
    return RegionCapacity(
        subscription_id=subscription,
        region=region,
        skus=None if skus is None else skus_from_arm({"value": list(skus)}, region),
        compute_usages=None if compute is None else usages_from_arm({"value": list(compute)}),
        network_usages=None if network is None else usages_from_arm({"value": list(network)}),
    )


# -- a small catalogue of real sizes (capabilities as Azure lists them, rounded) ----------------

CATALOGUE: dict[str, dict[str, Any]] = {
    "Standard_B2s": dict(
        family="standardBSFamily", vcpus=2, memory_gb=4, nics=3, disks=4, accelerated=False
    ),
    "Standard_D2s_v3": dict(family="standardDSv3Family", vcpus=2, memory_gb=8, nics=2, disks=4),
    "Standard_D4s_v3": dict(family="standardDSv3Family", vcpus=4, memory_gb=16, nics=2, disks=8),
    "Standard_D8s_v3": dict(family="standardDSv3Family", vcpus=8, memory_gb=32, nics=4, disks=16),
    "Standard_D4_v3": dict(
        family="standardDv3Family", vcpus=4, memory_gb=16, nics=2, disks=8, premium=False
    ),
    "Standard_D4s_v4": dict(family="standardDSv4Family", vcpus=4, memory_gb=16, nics=2, disks=8),
    "Standard_D4s_v5": dict(family="standardDSv5Family", vcpus=4, memory_gb=16, nics=2, disks=8),
    "Standard_D4ds_v5": dict(family="standardDDSv5Family", vcpus=4, memory_gb=16, nics=2, disks=8),
    "Standard_D4as_v5": dict(family="standardDASv5Family", vcpus=4, memory_gb=16, nics=2, disks=8),
    "Standard_D8s_v5": dict(family="standardDSv5Family", vcpus=8, memory_gb=32, nics=4, disks=16),
    "Standard_E4s_v3": dict(family="standardESv3Family", vcpus=4, memory_gb=32, nics=2, disks=8),
    "Standard_E8s_v5": dict(family="standardESv5Family", vcpus=8, memory_gb=64, nics=4, disks=16),
    "Standard_F4s_v2": dict(family="standardFSv2Family", vcpus=4, memory_gb=8, nics=2, disks=8),
    "Standard_D4pls_v6": dict(
        family="standardDPLSv6Family", vcpus=4, memory_gb=8, nics=2, disks=8, generations="V2"
    ),
    "Standard_M128ms": dict(family="standardMSFamily", vcpus=128, memory_gb=3892, nics=8, disks=64),
}


def catalogue_skus(
    *,
    only: Iterable[str] | None = None,
    restricted: Mapping[str, Iterable[Mapping[str, Any]]] | None = None,
    zones: Mapping[str, Iterable[str]] | None = None,
    region: str = "westus2",
) -> list[dict[str, Any]]:
    """The catalogue as an ARM SKU list; ``restricted`` adds restrictions, ``zones`` narrows."""
    restricted = restricted or {}
    zones = zones or {}
    names = list(only) if only is not None else list(CATALOGUE)
    return [
        arm_sku(
            name,
            region=region,
            restrictions=restricted.get(name, ()),
            zones=zones.get(name, ("1", "2", "3")),
            **CATALOGUE[name],
        )
        for name in names
    ]


def quota_usages(
    families: Mapping[str, tuple[int, int]],
    cores: tuple[int, int] = (0, 350),
    vms: tuple[int, int] = (0, 25000),
) -> list[dict[str, Any]]:
    """Compute usages: ``families`` maps a family to (current, limit)."""
    items = [
        arm_usage("availabilitySets", 0, 2500, "Availability Sets"),
        arm_usage("cores", *cores, "Total Regional vCPUs"),
        arm_usage("virtualMachines", *vms, "Virtual Machines"),
        arm_usage("virtualMachineScaleSets", 0, 2500, "Virtual Machine Scale Sets"),
    ]
    for family, (current, limit) in families.items():
        label = family.removeprefix("standard").removesuffix("Family")
        items.append(arm_usage(family, current, limit, f"Standard {label} Family vCPUs"))
    return items


def network_usages(
    nics: tuple[int, int] = (0, 65536),
    pips: tuple[int, int] = (0, 1000),
    vnets: tuple[int, int] = (0, 1000),
) -> list[dict[str, Any]]:
    return [
        arm_usage("VirtualNetworks", *vnets, "Virtual Networks"),
        arm_usage("PublicIPAddresses", *pips, "Public IP Addresses"),
        arm_usage("NetworkInterfaces", *nics, "Network Interfaces"),
        arm_usage("NetworkSecurityGroups", 0, 5000, "Network Security Groups"),
    ]
