"""Per (subscription, region): VM resource SKUs, compute and network usages; service tags."""

from __future__ import annotations

from typing import Any

from asr_preflight.azure.ids import text
from asr_preflight.regions import normalize
from asr_preflight.snapshot import ServiceTag, ServiceTags, SkuRestriction, Usage, VmSku


def vm_skus(client: Any, region: str) -> tuple[VmSku, ...]:
    """The ``virtualMachines`` SKUs offered in ``region`` (one filtered list, not per size)."""
    out: list[VmSku] = []
    for sku in client.resource_skus.list(filter=f"location eq '{region}'"):
        if (text(sku.resource_type) or "").lower() != "virtualmachines":
            continue
        locations = [normalize(x) for x in (sku.locations or ())]
        if locations and region not in locations:
            continue
        zones: list[str] = []
        for info in sku.location_info or ():
            if normalize(info.location) == region:
                zones.extend(str(z) for z in (info.zones or ()))
        restrictions = []
        for r in sku.restrictions or ():
            info = getattr(r, "restriction_info", None)
            kind = text(r.type)
            if kind not in ("Location", "Zone"):
                continue
            restrictions.append(
                SkuRestriction(
                    type=kind,  # type: ignore[arg-type]
                    reason_code=text(r.reason_code) or "",
                    locations=tuple(normalize(x) for x in (getattr(info, "locations", None) or ())),
                    zones=tuple(str(z) for z in (getattr(info, "zones", None) or ())),
                )
            )
        out.append(
            VmSku(
                name=str(sku.name),
                family=text(sku.family),
                tier=text(sku.tier),
                zones=tuple(sorted(set(zones))),
                capabilities={str(c.name): str(c.value) for c in (sku.capabilities or ())},
                restrictions=tuple(restrictions),
            )
        )
    return tuple(sorted(out, key=lambda s: s.name))


def _usage(item: Any) -> Usage:
    name = item.name
    return Usage(
        name=str(name.value),
        current_value=int(item.current_value),
        limit=int(item.limit),
        localized_name=text(getattr(name, "localized_value", None)),
        unit=text(getattr(item, "unit", None)),
    )


def compute_usages(client: Any, region: str) -> tuple[Usage, ...]:
    return tuple(_usage(u) for u in client.usage.list(region))


def network_usages(client: Any, region: str) -> tuple[Usage, ...]:
    return tuple(_usage(u) for u in client.usages.list(region))


def service_tags(client: Any, region: str, cloud: str) -> ServiceTags:
    result = client.service_tags.list(region)
    values = getattr(result, "values_property", None)
    if values is None:
        raise ValueError("service tags answer without 'values'")
    tags = []
    for tag in values:
        props = tag.properties
        tags.append(
            ServiceTag(
                name=str(tag.name),
                region=text(getattr(props, "region", None)) or "",
                system_service=text(getattr(props, "system_service", None)) or "",
                address_prefixes=tuple(getattr(props, "address_prefixes", None) or ()),
            )
        )
    return ServiceTags(cloud=cloud, change_number=text(result.change_number), tags=tuple(tags))
