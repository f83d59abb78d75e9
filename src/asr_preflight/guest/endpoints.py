"""The endpoints a guest must reach, by cloud, target region and cache storage account.

Defaults (``[guest.endpoints]`` overrides any of them):

- ``login``: the cloud's Entra ID authority host;
- ``storage``: the cache storage account's blob endpoint (left out when the plan names no cache
  account and the snapshot has none: ASR then creates one whose name is not known yet);
- ``site_recovery``: ``<geo code of the target region>.hypervrecoverymanager.<suffix>``; the pod
  names behind it are assigned by ASR, so this probes the regional name;
- ``service_bus``: ``servicebus.<suffix>``; the namespace the agent uses is assigned by ASR, so
  override it with the namespace shown in the agent's logs for an exact probe.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from asr_preflight.plan import Plan
from asr_preflight.snapshot import Snapshot


@dataclass(frozen=True)
class CloudSuffixes:
    login: str
    blob: str
    site_recovery: str
    service_bus: str


CLOUDS: dict[str, CloudSuffixes] = {
    "AzureCloud": CloudSuffixes(
        "login.microsoftonline.com",
        "blob.core.windows.net",
        "hypervrecoverymanager.windowsazure.com",
        "servicebus.windows.net",
    ),
    "AzureUSGovernment": CloudSuffixes(
        "login.microsoftonline.us",
        "blob.core.usgovcloudapi.net",
        "hypervrecoverymanager.windowsazure.us",
        "servicebus.usgovcloudapi.net",
    ),
    "AzureChinaCloud": CloudSuffixes(
        "login.chinacloudapi.cn",
        "blob.core.chinacloudapi.cn",
        "hypervrecoverymanager.windowsazure.cn",
        "servicebus.chinacloudapi.cn",
    ),
}

#: Recovery Services geo codes (learn.microsoft.com/azure/backup/scripts/geo-code-list); a
#: region not listed uses its own name.
GEO_CODES: dict[str, str] = {
    "eastus": "eus", "eastus2": "eus2", "westus": "wus", "westus2": "wus2", "westus3": "wus3",
    "centralus": "cus", "northcentralus": "ncus", "southcentralus": "scus",
    "westcentralus": "wcus", "northeurope": "ne", "westeurope": "we", "uksouth": "uks",
    "ukwest": "ukw", "francecentral": "frc", "germanywestcentral": "gwc",
    "swedencentral": "sdc", "switzerlandnorth": "szn", "norwayeast": "nwe",
    "eastasia": "ea", "southeastasia": "sea", "japaneast": "jpe", "japanwest": "jpw",
    "australiaeast": "ae", "australiasoutheast": "ase", "centralindia": "inc",
    "southindia": "ins", "canadacentral": "cnc", "canadaeast": "cne", "brazilsouth": "brs",
    "koreacentral": "krc", "koreasouth": "krs", "usgovvirginia": "ugv", "usgoviowa": "ugi",
    "usgovarizona": "uga", "usgovtexas": "ugt", "chinanorth": "bjb", "chinaeast": "sha",
    "chinanorth2": "bjb2", "chinaeast2": "sha2",
}  # fmt: skip

_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")


@dataclass(frozen=True)
class Endpoint:
    name: str  # login, storage, site_recovery, service_bus
    host: str
    port: int = 443

    @property
    def spec(self) -> str:
        """``name=host:port``, the form the probe scripts take."""
        return f"{self.name}={self.host}:{self.port}"


def parse_endpoint(name: str, value: str) -> Endpoint:
    """``host[:port]`` or ``https://host[:port]/`` -> Endpoint; a malformed host is an error."""
    text = value.strip()
    text = text.split("://", 1)[1] if "://" in text else text
    text = text.split("/", 1)[0]
    host, _, port = text.partition(":")
    if not _HOST.match(host):
        raise ValueError(f"[guest.endpoints] {name}: {value!r} is not a host name")
    try:
        number = int(port) if port else 443
    except ValueError:
        raise ValueError(f"[guest.endpoints] {name}: port {port!r} is not a number") from None
    if not 0 < number < 65536:
        raise ValueError(f"[guest.endpoints] {name}: port {number} is out of range")
    return Endpoint(name, host.lower(), number)


def required_endpoints(plan: Plan, snapshot: Snapshot | None = None) -> tuple[Endpoint, ...]:
    cloud = snapshot.collection.cloud if snapshot is not None else plan.azure.cloud
    suffixes = CLOUDS.get(cloud) or CLOUDS.get(plan.azure.cloud) or CLOUDS["AzureCloud"]
    region = plan.target.region
    defaults: dict[str, str | None] = {
        "login": suffixes.login,
        "storage": _cache_blob_host(plan, snapshot, suffixes),
        "site_recovery": f"{GEO_CODES.get(region, region)}.{suffixes.site_recovery}",
        "service_bus": suffixes.service_bus,
    }
    overrides = plan.guest.endpoints if plan.guest is not None else None
    out: list[Endpoint] = []
    for name, default in defaults.items():
        value = getattr(overrides, name, None) if overrides is not None else None
        value = value or default
        if value:
            out.append(parse_endpoint(name, value))
    return tuple(out)


def _cache_blob_host(plan: Plan, snapshot: Snapshot | None, suffixes: CloudSuffixes) -> str | None:
    if snapshot is not None and snapshot.cache_storage is not None:
        endpoint = snapshot.cache_storage.blob_endpoint
        if endpoint:
            return endpoint.split("://", 1)[-1].split("/", 1)[0]
        return f"{snapshot.cache_storage.name}.{suffixes.blob}"
    account = plan.target.cache_storage_account
    if account:
        return f"{account.rstrip('/').rsplit('/', 1)[-1].lower()}.{suffixes.blob}"
    return None
