"""Per (subscription, region): VM resource SKUs, compute and network usages; service tags."""

from __future__ import annotations

from typing import Any

from asr_preflight.azure.guard import sdk_items
from asr_preflight.azure.ids import text
from asr_preflight.regions import normalize
from asr_preflight.snapshot import ServiceTag, ServiceTags, SkuRestriction, Usage, VmSku


def vm_skus(client: Any, region: str) -> tuple[VmSku, ...]:
    """The ``virtualMachines`` SKUs offered in ``region`` (one filtered list, not per size)."""
    out: list[VmSku] = []
    for sku in sdk_items(client.resource_skus.list(filter=f"location eq '{region}'"), "SKUs"):
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
    return tuple(_usage(u) for u in sdk_items(client.usage.list(region), "usages"))


def network_usages(client: Any, region: str) -> tuple[Usage, ...]:
    return tuple(_usage(u) for u in sdk_items(client.usages.list(region), "usages"))


#: More pages than any real service-tag list has (about 3,000 tags): a longer chain is a loop.
MAX_TAG_PAGES = 200


def service_tags(client: Any, region: str, cloud: str) -> ServiceTags:
    """ServiceTags_List, read as JSON (spec: specification/network/resource-manager/
    Microsoft.Network/stable/2024-05-01/serviceTags.json; example ServiceTagsList.json).

    The answer is one object whose ``values`` may continue at ``nextLink`` (the spec's
    ServiceTagsListResult has one): every page is read through the same client pipeline. A page
    that cannot be read, a loop, or pages of different ``changeNumber`` (the list changed while it
    was read) raise, so the service tags are not gathered, never silently partial."""
    from asr_preflight.azure.raw import get_json

    body = client.service_tags.list(region, cls=lambda response, _model, _headers: response)
    page: Any = body.http_response.json()
    values: list[Any] = []
    seen: set[str] = set()
    change = page.get("changeNumber") if isinstance(page, dict) else None
    for _ in range(MAX_TAG_PAGES):
        if not isinstance(page, dict) or not isinstance(page.get("values"), list):
            raise ValueError("service tags answer without a 'values' array")
        if page.get("changeNumber") != change:
            raise ValueError("service tags changed while their pages were read; run again")
        values.extend(page["values"])
        link = page.get("nextLink")
        if not link:
            break
        if not isinstance(link, str) or link in seen:
            raise ValueError("service tags nextLink repeats or is not a URL")
        seen.add(link)
        page = get_json(client, link)
    else:
        raise ValueError(f"service tags answer has more than {MAX_TAG_PAGES} pages")
    tags = []
    for tag in values:
        props = tag.get("properties") if isinstance(tag, dict) else None
        if not isinstance(props, dict) or not tag.get("name"):
            raise ValueError("service tag without name or properties")
        prefixes = props.get("addressPrefixes") or ()
        if not isinstance(prefixes, list | tuple):
            raise ValueError(f"service tag {tag['name']}: addressPrefixes is not a list")
        tags.append(
            ServiceTag(
                name=str(tag["name"]),
                region=text(props.get("region")) or "",
                system_service=text(props.get("systemService")) or "",
                address_prefixes=tuple(str(p) for p in prefixes),
            )
        )
    return ServiceTags(cloud=cloud, change_number=text(change), tags=tuple(tags))
