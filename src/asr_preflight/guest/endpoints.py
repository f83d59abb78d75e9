"""The endpoints a guest must reach, by cloud, target region and the cache storage account of
the VM's own region.

Defaults (``[guest.endpoints]`` overrides any of them):

- ``login``: the cloud's Entra ID authority host;
- ``storage``: the blob endpoint of the cache storage account for the VM's region (``[target]
  cache_storage_accounts``, or the one ``cache_storage_account``), read from the gathered
  account facts, else ``<name>.blob.<suffix>``. Left out when the plan names no cache account
  and the snapshot has none (ASR then creates one whose name is not known yet), and when the
  plan names accounts per region but none for the VM's region (ASR210 judges that);
- ``site_recovery``: ``<geo code of the target region>.hypervrecoverymanager.<suffix>``; the pod
  names behind it are assigned by ASR, so this probes the regional name;
- ``service_bus``: ``servicebus.<suffix>``; the namespace the agent uses is assigned by ASR, so
  override it with the namespace shown in the agent's logs for an exact probe.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from asr_preflight.plan import Plan
from asr_preflight.snapshot import Snapshot, StorageAccount, VirtualMachine


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


def required_endpoints(
    plan: Plan, snapshot: Snapshot | None = None, vm: VirtualMachine | None = None
) -> tuple[Endpoint, ...]:
    """The endpoints ``vm``'s guest must reach. Without a VM, the storage endpoint is known only
    for a plan with one ``cache_storage_account`` (per-region accounts need the VM's region)."""
    cloud = snapshot.collection.cloud if snapshot is not None else plan.azure.cloud
    suffixes = CLOUDS.get(cloud) or CLOUDS.get(plan.azure.cloud) or CLOUDS["AzureCloud"]
    region = plan.target.region
    defaults: dict[str, str | None] = {
        "login": suffixes.login,
        "storage": _cache_blob_host(plan, snapshot, suffixes, vm),
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


def planned_cache_account(plan: Plan, vm: VirtualMachine | None) -> str | None:
    """The cache storage account id the plan names for ``vm``'s region (None: none named)."""
    target = plan.target
    if target.cache_storage_accounts:
        return target.cache_account_for(vm.location) if vm is not None else None
    return target.cache_storage_account


def _cache_blob_host(
    plan: Plan, snapshot: Snapshot | None, suffixes: CloudSuffixes, vm: VirtualMachine | None
) -> str | None:
    named = planned_cache_account(plan, vm)
    if named is None:
        if plan.target.cache_storage_accounts:
            return None  # none for this region: ASR210 fails the VM, there is nothing to probe
        account = snapshot.cache_storage if snapshot is not None else None
        return _blob_host(account, suffixes) if account is not None else None
    account = _gathered(snapshot, named)
    if account is not None:
        return _blob_host(account, suffixes)
    return f"{named.rstrip('/').rsplit('/', 1)[-1].lower()}.{suffixes.blob}"


def _gathered(snapshot: Snapshot | None, account_id: str) -> StorageAccount | None:
    if snapshot is None:
        return None
    wanted = account_id.lower()
    accounts = (snapshot.cache_storage, *snapshot.cache_storage_accounts)
    return next((a for a in accounts if a is not None and a.id.lower() == wanted), None)


def _blob_host(account: StorageAccount, suffixes: CloudSuffixes) -> str:
    """The account's blob endpoint host as ARM gave it, else ``<name>.blob.<suffix>``."""
    if account.blob_endpoint:
        host = account.blob_endpoint.split("://", 1)[-1].split("/", 1)[0]
        if not _HOST.match(host.partition(":")[0]):
            raise ValueError(
                f"cache storage account {account.name!r}: its blob endpoint"
                f" {account.blob_endpoint!r} is not a host name"
            )
        return host
    return f"{account.name.lower()}.{suffixes.blob}"
