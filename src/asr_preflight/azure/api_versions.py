"""The api-version of every ARM call asr-preflight makes: one table, enforced in every pipeline.

Every request to ARM, whether built by hand (``raw.py``) or by an azure-mgmt operation, passes
:class:`ApiVersionPolicy` in its client's pipeline. The policy derives the request's resource type
from its path (:func:`resource_type`), looks it up in :data:`PINS` and sets ``api-version`` to the
pinned version, so the version never depends on which SDK release is installed (the SDKs default
to their newest versions, which sovereign clouds and Azure Stack Hub may not serve, and some SDK
releases re-add their own default to ``nextLink`` requests). A request whose type is not in the
table is refused before it is sent (:class:`UnpinnedApiVersion`), so it becomes that fact's
``unknown`` and a failing test, never a call with an unchosen version.

The test fake (tests/fakes/arm.py) checks every request it receives against the same table, and
``docs/azure.md`` carries the table generated from it (a test compares them).

To add a call: add one :class:`Pin` to :data:`PINS` with the resource type as
:func:`resource_type` derives it from the URL (``python -c "from asr_preflight.azure.api_versions
import resource_type as t; print(t('/subscriptions/s/providers/Microsoft.X/y'))"``), a stable
api-version that exists for that resource provider in Azure/azure-rest-api-specs, the spec file
that defines the operation in that version, and why that version; then regenerate the docs table:
``python -m asr_preflight.azure.api_versions --write docs/azure.md``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from azure.core.pipeline.policies import SansIOHTTPPolicy

SPECS = "specification"  # paths below are in the public repository Azure/azure-rest-api-specs
COMPUTE = "2024-07-01"
NETWORK = "2024-05-01"
AUTHORIZATION = "2022-04-01"
PRIVATE_DNS = "2020-06-01"
_NET = f"{SPECS}/network/resource-manager/Microsoft.Network/stable/{NETWORK}"
_CRP = f"{SPECS}/compute/resource-manager/Microsoft.Compute/ComputeRP/stable/{COMPUTE}"
_DNS = f"{SPECS}/privatedns/resource-manager/Microsoft.Network/stable/{PRIVATE_DNS}"
_AUTH = f"{SPECS}/authorization/resource-manager/Microsoft.Authorization/stable/{AUTHORIZATION}"
_NET_WHY = (
    "one Microsoft.Network version for every network read; served by every public and "
    "sovereign region since mid 2024"
)


@dataclass(frozen=True)
class Pin:
    resource_type: str  # as resource_type() derives it, e.g. Microsoft.Compute/virtualMachines
    api_version: str
    operations: tuple[str, ...]  # the REST operation ids asr-preflight calls
    spec: str  # the file in Azure/azure-rest-api-specs defining them in that version
    why: str


PINS: tuple[Pin, ...] = (
    Pin(
        "Microsoft.Compute/virtualMachines",
        COMPUTE,
        ("VirtualMachines_ListAll", "VirtualMachines_ListAll (statusOnly=true)"),
        f"{_CRP}/virtualMachine.json",
        "statusOnly lists (since 2020-06-01) and every field read, in a version all clouds serve",
    ),
    Pin(
        "Microsoft.Compute/virtualMachines/instanceView",
        COMPUTE,
        ("VirtualMachines_InstanceView",),
        f"{_CRP}/virtualMachine.json",
        "the same version as the VM list it completes",
    ),
    Pin(
        "Microsoft.Compute/disks",
        "2024-03-02",
        ("Disks_List",),
        f"{SPECS}/compute/resource-manager/Microsoft.Compute/DiskRP/stable/2024-03-02/disk.json",
        "DiskRP versions differ from ComputeRP's; encryption and encryptionSettingsCollection",
    ),
    Pin(
        "Microsoft.Compute/diskEncryptionSets",
        "2024-03-02",
        ("DiskEncryptionSets_List",),
        f"{SPECS}/compute/resource-manager/Microsoft.Compute/DiskRP/stable/2024-03-02/"
        "diskEncryptionSet.json",
        "the DiskRP version of the disk list; location and encryptionType (ASR512)",
    ),
    Pin(
        "Microsoft.Authorization/locks",
        "2016-09-01",
        ("ManagementLocks_ListAtSubscriptionLevel",),
        f"{SPECS}/resources/resource-manager/Microsoft.Authorization/stable/2016-09-01/locks.json",
        "the long-available locks version (all clouds), every lock of the subscription with its "
        "level (ASR513); the 2020-05-01 folder's locks.json describes the same shape",
    ),
    Pin(
        "Microsoft.Compute/skus",
        "2021-07-01",
        ("ResourceSkus_List",),
        f"{SPECS}/compute/resource-manager/Microsoft.Compute/Skus/stable/2021-07-01/skus.json",
        "the newest ResourceSkus version; $filter=location and restrictions with zones",
    ),
    Pin(
        "Microsoft.Compute/locations/usages",
        COMPUTE,
        ("Usage_List",),
        f"{_CRP}/computeRPCommon.json",
        "the ComputeRP version of the VM list",
    ),
    Pin(
        "Microsoft.Network/networkInterfaces",
        NETWORK,
        ("NetworkInterfaces_ListAll", "NetworkInterfaces_Get"),
        f"{_NET}/networkInterface.json",
        _NET_WHY,
    ),
    Pin(
        "Microsoft.Network/networkSecurityGroups",
        NETWORK,
        ("NetworkSecurityGroups_ListAll", "NetworkSecurityGroups_Get"),
        f"{_NET}/networkSecurityGroup.json",
        _NET_WHY,
    ),
    Pin(
        "Microsoft.Network/virtualNetworks",
        NETWORK,
        ("VirtualNetworks_ListAll", "VirtualNetworks_Get"),
        f"{_NET}/virtualNetwork.json",
        _NET_WHY + "; subnets and peerings inline",
    ),
    Pin(
        "Microsoft.Network/routeTables",
        NETWORK,
        ("RouteTables_ListAll", "RouteTables_Get"),
        f"{_NET}/routeTable.json",
        _NET_WHY,
    ),
    Pin(
        "Microsoft.Network/publicIPAddresses",
        NETWORK,
        ("PublicIPAddresses_ListAll",),
        f"{_NET}/publicIpAddress.json",
        _NET_WHY,
    ),
    Pin(
        "Microsoft.Network/loadBalancers",
        NETWORK,
        ("LoadBalancers_ListAll",),
        f"{_NET}/loadBalancer.json (example examples/LoadBalancerListAll.json)",
        _NET_WHY + "; backend pools with backendIPConfigurations, outboundRules (ASR211)",
    ),
    Pin(
        "Microsoft.Network/privateEndpoints",
        NETWORK,
        ("PrivateEndpoints_ListBySubscription", "PrivateEndpoints_Get"),
        f"{_NET}/privateEndpoint.json (example examples/PrivateEndpointList.json)",
        _NET_WHY + "; subnet, privateLinkServiceId and groupIds (ASR010, ASR210)",
    ),
    Pin(
        "Microsoft.Network/privateDnsZones",
        PRIVATE_DNS,
        ("PrivateZones_List",),
        f"{_DNS}/privatedns.json",
        "a long-lived stable Private DNS version (the provider versions apart from the rest of"
        " Microsoft.Network); only id and name are read (ASR010)",
    ),
    Pin(
        "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
        PRIVATE_DNS,
        ("VirtualNetworkLinks_List",),
        f"{_DNS}/privatedns.json",
        "the zones' version; virtualNetwork.id and virtualNetworkLinkState (ASR010)",
    ),
    Pin(
        "Microsoft.Network/locations/usages",
        NETWORK,
        ("Usages_List",),
        f"{_NET}/usage.json",
        _NET_WHY,
    ),
    Pin(
        "Microsoft.Network/locations/serviceTags",
        NETWORK,
        ("ServiceTags_List",),
        f"{_NET}/serviceTags.json (example examples/ServiceTagsList.json, with nextLink)",
        _NET_WHY + "; the answer may carry nextLink, which is followed",
    ),
    Pin(
        "Microsoft.RecoveryServices/replicationEligibilityResults",
        "2024-04-01",
        ("ReplicationEligibilityResults_Get",),
        f"{SPECS}/recoveryservicessiterecovery/resource-manager/Microsoft.RecoveryServices/"
        "stable/2024-04-01/service.json",
        "the Site Recovery version of the vault; errors with possibleCauses and status",
    ),
    Pin(
        "Microsoft.RecoveryServices/vaults",
        "2024-04-01",
        ("Vaults_Get", "Vaults_ListBySubscriptionId (init)"),
        f"{SPECS}/recoveryservices/resource-manager/Microsoft.RecoveryServices/stable/"
        "2024-04-01/vaults.json",
        "the Recovery Services version matching Site Recovery's",
    ),
    Pin(
        "Microsoft.RecoveryServices/vaults/replicationNetworkMappings",
        "2024-04-01",
        ("ReplicationNetworkMappings_List",),
        f"{SPECS}/recoveryservicessiterecovery/resource-manager/Microsoft.RecoveryServices/"
        "stable/2024-04-01/service.json (example examples/ReplicationNetworkMappings_List.json)",
        "the Site Recovery version of the eligibility results; the target VNet of each "
        "source VNet (ASR402)",
    ),
    Pin(
        "Microsoft.Resources/resourceGroups",
        "2021-04-01",
        ("ResourceGroups_Get",),
        f"{SPECS}/resources/resource-manager/Microsoft.Resources/stable/2021-04-01/resources.json",
        "long-lived stable version; only id, name and location are read",
    ),
    Pin(
        "Microsoft.Storage/storageAccounts",
        "2023-01-01",
        ("StorageAccounts_GetProperties", "StorageAccounts_List (init)"),
        f"{SPECS}/storage/resource-manager/Microsoft.Storage/stable/2023-01-01/storage.json",
        "networkAcls, allowSharedKeyAccess and publicNetworkAccess, in a version all clouds serve",
    ),
    Pin(
        "Microsoft.Storage/storageAccounts/blobServices",
        "2023-01-01",
        ("BlobServices_GetServiceProperties",),
        f"{SPECS}/storage/resource-manager/Microsoft.Storage/stable/2023-01-01/blob.json "
        "(example examples/BlobServicesGet.json)",
        "the storage account's version; deleteRetentionPolicy",
    ),
    Pin(
        "Microsoft.Authorization/roleAssignments",
        AUTHORIZATION,
        ("RoleAssignments_ListForScope ($filter=assignedTo)",),
        f"{_AUTH}/authorization-RoleAssignmentsCalls.json",
        "assignedTo() with group expansion and conditions",
    ),
    Pin(
        "Microsoft.Authorization/roleDefinitions",
        AUTHORIZATION,
        ("RoleDefinitions_GetById",),
        f"{_AUTH}/authorization-RoleDefinitionsCalls.json",
        "dataActions and notDataActions",
    ),
    Pin(
        "Microsoft.KeyVault/vaults",
        "2023-02-01",
        ("Vaults_ListBySubscription",),
        f"{SPECS}/keyvault/resource-manager/Microsoft.KeyVault/stable/2023-02-01/keyvault.json "
        "(example examples/listVaultBySubscription.json)",
        "whole vaults in the list: accessPolicies and enableRbacAuthorization (ASR404)",
    ),
    Pin(
        "Microsoft.Management/managementGroups/descendants",
        "2020-10-01",
        ("ManagementGroups_GetDescendants",),
        f"{SPECS}/managementgroups/resource-manager/Microsoft.Management/stable/2020-10-01/"
        "management.json (example examples/GetDescendants.json)",
        "paged descendants with their parent links; a stable version since 2020, the one "
        "whose example the test fake serves",
    ),
    Pin(
        "Microsoft.Authorization/denyAssignments",
        AUTHORIZATION,
        ("DenyAssignments_ListForScope",),
        f"{_AUTH}/authorization-DenyAssignmentCalls.json "
        "(example examples/GetDenyAssignmentsForResourceGroup.json)",
        "the version of the role assignments",
    ),
)

_BY_TYPE: dict[str, Pin] = {p.resource_type.lower(): p for p in PINS}


def resource_type(path: str) -> str:
    """The ARM resource type a request path addresses, names left out, e.g.
    ``/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/virtualMachines/vm/instanceView``
    -> ``Microsoft.Compute/virtualMachines/instanceView``. For a path with several providers
    (an extension resource) the last provider counts. Lower-cased."""
    lower = re.sub("/+", "/", urlsplit(path).path.lower()).strip("/")
    _, sep, tail = f"/{lower}".rpartition("/providers/")
    if sep:
        segments = tail.split("/")
        return "/".join([segments[0], *segments[1::2]])
    segments = lower.split("/") if lower else []
    types = segments[0::2]
    if types[:2] == ["subscriptions", "resourcegroups"]:
        types = types[1:]
    return "/".join(["microsoft.resources", *types])


def pin_for(path: str) -> Pin | None:
    """The table row for a request path, or None when the call is not pinned."""
    return _BY_TYPE.get(resource_type(path))


def api_version(kind: str) -> str:
    """The pinned api-version of a resource type written as in :data:`PINS`."""
    return _BY_TYPE[kind.lower()].api_version


class UnpinnedApiVersion(RuntimeError):
    """A request to an ARM resource type that has no row in the api-version table; never sent."""

    def __init__(self, kind: str, path: str) -> None:
        super().__init__(
            f"asr-preflight has no pinned api-version for {kind} (request {path}); "
            "this is a bug: add it to asr_preflight/azure/api_versions.py"
        )
        self.kind = kind


_API_VERSION = re.compile(r"([?&])api-version=[^&#]*", re.IGNORECASE)


def with_api_version(url: str, version: str) -> str:
    """``url`` with its ``api-version`` query parameter set to ``version`` (added if absent);
    every other parameter is left byte for byte as it was."""
    if _API_VERSION.search(url):
        return _API_VERSION.sub(lambda m: f"{m.group(1)}api-version={version}", url)
    return f"{url}{'&' if '?' in url else '?'}api-version={version}"


class ApiVersionPolicy(SansIOHTTPPolicy):  # type: ignore[type-arg]
    """Sets the pinned api-version on every request (and refuses an unpinned one)."""

    def on_request(self, request: Any) -> None:
        http = request.http_request
        path = urlsplit(http.url).path
        pin = pin_for(path)
        if pin is None:
            raise UnpinnedApiVersion(resource_type(path), path)
        http.url = with_api_version(http.url, pin.api_version)


# -- the docs table ------------------------------------------------------------------------------

BEGIN = "<!-- api-versions:begin -->"
END = "<!-- api-versions:end -->"


def markdown_table() -> str:
    lines = [
        "| resource type | api-version | operations | why "
        "| spec file (Azure/azure-rest-api-specs) |",
        "|---|---|---|---|---|",
    ]
    for p in PINS:
        spec = p.spec.removeprefix(f"{SPECS}/")
        lines.append(
            f"| {p.resource_type} | {p.api_version} | {', '.join(p.operations)} | {p.why} | "
            f"`{spec}` |"
        )
    return "\n".join(lines) + "\n"


def with_table(text: str) -> str:
    """``text`` (docs/azure.md) with the generated table between the markers."""
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return f"{text[:start]}\n{markdown_table()}{text[end:]}"


def main(argv: Sequence[str]) -> int:
    if len(argv) == 3 and argv[1] == "--write":
        from pathlib import Path

        from asr_preflight import fsutil

        path = Path(argv[2])
        fsutil.write_text(path, with_table(path.read_text(encoding="utf-8")))
        return 0
    sys.stdout.write(markdown_table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
