"""Whole collections listed through a management client's own pipeline, as JSON.

The bulk lists (VMs, VM statuses, disks, NICs, NSGs, VNets, route tables, public IPs) go through
``client.send_request``: the same pipeline as every SDK operation (credential, retry policy with
Retry-After, the read-only policy, azure-mgmt-core's provider-registration policy) with ARM's
``nextLink`` paging, but without building SDK model objects, which costs about 10 ms per VM in
azure-mgmt-compute 39 and would dominate a 10,000-VM run. The facts are built from the JSON.

Paging is bounded (:mod:`guard`): a ``nextLink`` is followed only to the ARM endpoint's own
scheme, host and port (the pipeline refuses any other, too), never twice, and for at most
``MAX_PAGES`` pages.

The api-versions come from the one table in api_versions.py (long-available stable versions, so
sovereign clouds, which lag behind the public cloud, serve them too); every client's pipeline
enforces it, including on ``nextLink`` requests.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlencode

from asr_preflight.azure.api_versions import api_version
from asr_preflight.azure.guard import ARM_ENDPOINT_ATTR, ForeignHost, check_next_link, same_origin

COMPUTE_API = api_version("Microsoft.Compute/virtualMachines")  # statusOnly since 2020-06-01
DISKS_API = api_version("Microsoft.Compute/disks")
NETWORK_API = api_version("Microsoft.Network/networkInterfaces")


def get_json(client: Any, url: str) -> Any:
    """GET one ARM URL (relative to the client's endpoint, or a nextLink) and parse the body."""
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ResourceExistsError,
        ResourceNotFoundError,
        map_error,
    )
    from azure.core.rest import HttpRequest
    from azure.mgmt.core.exceptions import ARMErrorFormat

    response = client.send_request(HttpRequest("GET", url, headers={"Accept": "application/json"}))
    if response.status_code >= 400:
        error_map = {
            401: ClientAuthenticationError,
            404: ResourceNotFoundError,
            409: ResourceExistsError,
        }
        map_error(status_code=response.status_code, response=response, error_map=error_map)
        raise HttpResponseError(response=response, error_format=ARMErrorFormat)
    return response.json()


def list_all(client: Any, path: str, api_version: str, **params: str) -> Iterator[dict[str, Any]]:
    """Every item of an ARM collection, following ``nextLink`` page by page."""
    url: str | None = f"{path}?{urlencode({'api-version': api_version, **params})}"
    endpoint = _endpoint(client)
    seen: set[str] = set()
    pages = 0
    while url:
        body = get_json(client, url)
        pages += 1
        if not isinstance(body, Mapping) or not isinstance(body.get("value"), list):
            raise ValueError(f"ARM list answer for {path} has no 'value' array")
        for item in body["value"]:
            if not isinstance(item, Mapping):
                raise ValueError(f"ARM list answer for {path} holds a non-object item")
            yield dict(item)
        next_link = body.get("nextLink")
        url = str(next_link) if next_link else None
        if url is not None:
            if endpoint and not same_origin(url, endpoint):
                raise ForeignHost(url, endpoint)
            check_next_link(url, seen, pages, path.rsplit("/", 1)[-1])


def _endpoint(client: Any) -> str | None:
    """The ARM endpoint a management client sends to (set by :class:`Clients`; None for a client
    built elsewhere, whose pipeline may still carry the GuardPolicy)."""
    base = getattr(client, ARM_ENDPOINT_ATTR, None)
    return str(base) if base else None


def dig(obj: Any, *keys: str) -> Any:
    """``obj[k1][k2]…``, or None where a level is absent or not an object."""
    for key in keys:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(key)
    return obj


def ref(obj: Any, *keys: str) -> str | None:
    """The ``id`` of the sub-resource at ``keys``."""
    value = dig(obj, *keys, "id")
    return str(value) if value else None
