"""The facts: our own frozen dataclasses, and their versioned JSON form.

Collectors build these; rules read them. They are plain data: no SDK model object, no secret and
no behaviour beyond lookups ever lives here. A value that could not be gathered is ``None`` (or
the collection is absent) and a :class:`FactError` next to the facts says why and what to do, so a
rule can never mistake "not gathered" for "fine". A fact gathered on its own defaults to
``None``, never to an empty value a rule would read as "none" (``tags``, ``os_release``); a
tuple with an empty default is part of a resource body read as a whole (a VM's ``data_disks``
come with its storage profile, whose absence is ``os_disk=None``). Snapshots written before a
default became ``None`` carry the field explicitly, so they read as before.

A snapshot is written by ``asr-preflight collect`` and read back by ``check --snapshot``; its JSON
carries ``"schema": "asr-preflight/snapshot/v1"``. (De)serialisation and the shipped JSON Schema
both come from pydantic's ``TypeAdapter`` over these dataclasses, so the models are the single
source of truth.

Why over 500 lines: this file is the snapshot v1 format, about fifty small fact dataclasses
(some 750 lines, with no logic beyond a few lookups such as ``primary_nic_id``) and the JSON
reader and writer that validates them (under 150 lines); keeping them in one module lets the
format be reviewed and versioned as one document (and the generated schema diffed against one
file). Moving the JSON part out would still leave the dataclasses over 500 lines.
"""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

from asr_preflight.fsutil import load_input
from asr_preflight.plan import Plan

SNAPSHOT_SCHEMA = "asr-preflight/snapshot/v1"
_SURROGATE = re.compile("[\ud800-\udfff]")


class SnapshotError(ValueError):
    """A snapshot file that cannot be used: wrong schema version, malformed JSON, bad fields."""


# ---------------------------------------------------------------------------------------------
# What could not be gathered
# ---------------------------------------------------------------------------------------------

#: Fact families a FactError can be about. Rules ask for errors by family and scope.
FactKind = Literal[
    "vms",  # VMs and their instance view
    "network",  # NICs, NSGs, VNets, subnets, route tables, ASGs
    "disks",
    "skus",  # target-region resource SKUs
    "compute_usages",
    "network_usages",
    "service_tags",
    "vault",
    "cache_storage",
    "resource_groups",
    "rbac",  # role assignments, role definitions, deny assignments
    "vault_rbac",  # the vault's managed identity's role assignments (ASR010)
    "outbound",  # load balancers (ASR211's outbound paths)
    "private_link",  # private endpoints and private DNS zones with their VNet links
    "key_vaults",  # the key vaults named by ADE disks (listed per subscription)
    "eligibility",  # ASR's replicationEligibilityResults
    "guest",  # in-guest probes
    "credential",
    "locks",  # management locks (Microsoft.Authorization/locks), listed per source subscription
    "disk_encryption_sets",  # listed per target subscription
    "target_disks",  # managed disks in the target resource groups (ASR replica leftovers)
]


@dataclass(frozen=True)
class FactError:
    """A fact that could not be gathered: which family, for which scope, why, and what to do.

    ``scope`` is an ARM id (``/subscriptions/…``), a ``<subscription>/<region>`` pair for regional
    facts, or a VM id for guest facts. An error on a scope covers everything below it: an error on
    ``/subscriptions/S`` explains a missing NIC in ``/subscriptions/S/resourceGroups/…``.
    """

    kind: FactKind
    scope: str
    cause: str
    hint: str = ""

    def covers(self, kind: str, scope: str) -> bool:
        if self.kind != kind:
            return False
        mine, theirs = self.scope.lower().rstrip("/"), scope.lower().rstrip("/")
        return theirs == mine or theirs.startswith(mine + "/") or mine == ""


# ---------------------------------------------------------------------------------------------
# Compute
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Extension:
    name: str
    publisher: str
    type: str
    version: str | None = None
    provisioning_state: str | None = None  # "Succeeded", "Failed", …
    status: str | None = None  # instance-view status display ("Provisioning failed", …)
    status_level: str | None = None  # "Info", "Warning", "Error"


@dataclass(frozen=True)
class Disk:
    """One OS or data disk as the VM sees it, joined with the managed disk resource."""

    name: str
    id: str | None = None  # managed disk id; None for unmanaged (VHD) disks
    lun: int | None = None  # None for the OS disk
    size_gb: int | None = None
    sku: str | None = (
        None  # Standard_LRS, Premium_LRS, StandardSSD_ZRS, UltraSSD_LRS, PremiumV2_LRS
    )
    managed: bool = True
    caching: str | None = None  # None, ReadOnly, ReadWrite
    write_accelerator: bool = False
    ephemeral: bool = False  # diffDiskSettings.option == Local (OS disk only)
    encryption_type: str | None = None  # EncryptionAtRestWithPlatformKey, …WithCustomerKey, …
    disk_encryption_set_id: str | None = None
    ade_encrypted: bool = False  # encryptionSettingsCollection enabled (Azure Disk Encryption)
    # ADE: the key vault holding the disk encryption secret (diskEncryptionKey.sourceVault) and
    # the one holding the key encryption key, when one wraps it (keyEncryptionKey.sourceVault)
    ade_key_vault_id: str | None = None
    ade_kek_vault_id: str | None = None
    # properties.maxShares of the managed disk resource (> 1: a shared disk); None = the disk
    # resource was not read (or an unmanaged disk)
    max_shares: int | None = None


@dataclass(frozen=True)
class VirtualMachine:
    id: str
    name: str
    subscription_id: str
    resource_group: str
    location: str
    size: str
    os_type: Literal["Linux", "Windows"] | None
    zone: str | None = None
    tags: Mapping[str, str] | None = None  # None = not read ({} = read, no tags)
    # instance view; None = not gathered
    power_state: str | None = None  # "running", "deallocated", "stopped", …
    provisioning_state: str | None = None  # "Succeeded", "Failed", "Updating", …
    agent_status: str | None = None  # "Ready", "Not Ready", …
    agent_version: str | None = None
    extensions: tuple[Extension, ...] | None = None
    # storage
    os_disk: Disk | None = None
    data_disks: tuple[Disk, ...] = ()
    disk_controller: str | None = None  # "SCSI", "NVMe"
    ultra_ssd_enabled: bool = False
    # placement and security
    dedicated_host_id: str | None = None
    dedicated_host_group_id: str | None = None
    availability_set_id: str | None = None
    proximity_placement_group_id: str | None = None
    security_type: str | None = None  # "TrustedLaunch", "ConfidentialVM"; None = Standard
    secure_boot_enabled: bool | None = None  # securityProfile.uefiSettings.secureBootEnabled
    vtpm_enabled: bool | None = None  # securityProfile.uefiSettings.vTpmEnabled
    encryption_at_host: bool = False  # securityProfile.encryptionAtHost
    time_created: str | None = None  # properties.timeCreated (ISO 8601); None = not reported
    # networking: NIC ids, primary first
    nic_ids: tuple[str, ...] = ()

    @property
    def primary_nic_id(self) -> str | None:
        return self.nic_ids[0] if self.nic_ids else None

    @property
    def ade_use(self) -> bool | None:
        """Whether the VM uses Azure Disk Encryption: True (a disk reports ADE or an ADE extension
        is installed), False (neither, extensions gathered), None (extensions not gathered)."""
        disks = (self.os_disk, *self.data_disks)
        if any(d is not None and d.ade_encrypted for d in disks):
            return True
        if self.extensions is None:
            return None
        return any(e.type.lower().startswith("azurediskencryption") for e in self.extensions)


@dataclass(frozen=True)
class SkuRestriction:
    type: Literal["Location", "Zone"]
    reason_code: str  # NotAvailableForSubscription, QuotaId
    locations: tuple[str, ...] = ()
    zones: tuple[str, ...] = ()


@dataclass(frozen=True)
class VmSku:
    """A ``virtualMachines`` resource SKU as offered in one region to one subscription."""

    name: str  # Standard_D4s_v3
    family: str | None  # standardDSv3Family (= the compute usage name)
    tier: str | None = None
    zones: tuple[str, ...] = ()
    capabilities: Mapping[str, str] = field(default_factory=dict)
    restrictions: tuple[SkuRestriction, ...] = ()


@dataclass(frozen=True)
class Usage:
    name: str  # cores, virtualMachines, standardDSv3Family, NetworkInterfaces, PublicIPAddresses…
    current_value: int
    limit: int
    localized_name: str | None = None
    unit: str | None = None


@dataclass(frozen=True)
class RegionCapacity:
    """What one (target subscription, target region) offers: SKUs and quota. None = not gathered."""

    subscription_id: str
    region: str
    skus: tuple[VmSku, ...] | None = None
    compute_usages: tuple[Usage, ...] | None = None
    network_usages: tuple[Usage, ...] | None = None

    @property
    def scope(self) -> str:
        return f"{self.subscription_id}/{self.region}"


# ---------------------------------------------------------------------------------------------
# Network
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IpConfiguration:
    name: str
    primary: bool = False
    private_ip: str | None = None
    public_ip_id: str | None = None
    public_ip: str | None = None
    subnet_id: str | None = None
    asg_ids: tuple[str, ...] = ()
    # loadBalancerBackendAddressPools: the load balancer backend pools this configuration is in
    load_balancer_pool_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class NetworkInterface:
    id: str
    name: str
    location: str | None = None
    vm_id: str | None = None
    nsg_id: str | None = None
    accelerated_networking: bool = False
    ip_configurations: tuple[IpConfiguration, ...] = ()

    @property
    def primary_ip_configuration(self) -> IpConfiguration | None:
        for ipc in self.ip_configurations:
            if ipc.primary:
                return ipc
        return self.ip_configurations[0] if self.ip_configurations else None


@dataclass(frozen=True)
class SecurityRule:
    """An NSG rule, with ARM's singular and plural fields merged into tuples by the collector."""

    name: str
    priority: int
    direction: Literal["Inbound", "Outbound"]
    access: Literal["Allow", "Deny"]
    protocol: str  # Tcp, Udp, Icmp, Esp, Ah, *
    source_address_prefixes: tuple[str, ...] = ()
    source_port_ranges: tuple[str, ...] = ("*",)
    destination_address_prefixes: tuple[str, ...] = ()
    destination_port_ranges: tuple[str, ...] = ("*",)
    source_asg_ids: tuple[str, ...] = ()
    destination_asg_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class NetworkSecurityGroup:
    id: str
    name: str
    location: str | None = None
    rules: tuple[SecurityRule, ...] = ()
    default_rules: tuple[SecurityRule, ...] = ()  # empty = the evaluator uses Azure's defaults


@dataclass(frozen=True)
class Subnet:
    id: str
    name: str
    vnet_id: str
    address_prefixes: tuple[str, ...] = ()
    nsg_id: str | None = None
    route_table_id: str | None = None
    service_endpoints: tuple[str, ...] = ()  # "Microsoft.Storage", …
    nat_gateway_id: str | None = None
    # ARM's defaultOutboundAccess; None = absent, which ARM documents as default outbound on
    default_outbound_access: bool | None = None


@dataclass(frozen=True)
class VirtualNetwork:
    id: str
    name: str
    location: str | None = None
    address_prefixes: tuple[str, ...] = ()
    peered_address_prefixes: tuple[str, ...] = ()  # remote address spaces of connected peerings
    peered_vnet_ids: tuple[str, ...] = ()  # remote VNets of connected peerings
    uses_remote_gateways: bool = False  # a connected peering with useRemoteGateways


@dataclass(frozen=True)
class Route:
    name: str
    address_prefix: str
    next_hop_type: str  # VirtualAppliance, VirtualNetworkGateway, Internet, None, VnetLocal
    next_hop_ip: str | None = None


@dataclass(frozen=True)
class RouteTable:
    id: str
    name: str
    routes: tuple[Route, ...] = ()


@dataclass(frozen=True)
class LoadBalancer:
    """A load balancer as far as outbound connectivity goes (ASR211): its SKU, whether it has a
    public frontend, and which backend pools an outbound rule or a load-balancing rule with
    outbound SNAT gives a way out."""

    id: str
    name: str
    sku: str | None = None  # Basic, Standard, Gateway
    public: bool = False  # a frontend with a public IP address or prefix
    pool_ids: tuple[str, ...] = ()
    outbound_rule_pool_ids: tuple[str, ...] = ()  # pools named by an outbound rule
    snat_rule_pool_ids: tuple[str, ...] = ()  # pools of LB rules without disableOutboundSnat
    # backendIPConfigurations of each pool (NIC IP configuration ids), as the LB lists them
    pool_members: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # IP-based members of each pool (loadBalancerBackendAddresses): (VNet id, private IP)
    pool_addresses: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    # pools with a member that could not be read exactly: the members' VNets (() = unknown)
    unresolved_pools: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class PrivateEndpoint:
    """A private endpoint: where it sits and what it connects to (group ids: ``blob``,
    ``AzureSiteRecovery``…)."""

    id: str
    name: str
    subnet_id: str | None = None
    target_ids: tuple[str, ...] = ()  # privateLinkServiceId of each connection
    group_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class PrivateEndpointConnection:
    """A private endpoint connection as the target resource (vault, storage account) lists it."""

    id: str
    private_endpoint_id: str | None = None
    status: str | None = None  # Approved, Pending, Rejected, Disconnected
    group_ids: tuple[str, ...] = ()  # the vault lists them; a storage account does not


@dataclass(frozen=True)
class PrivateDnsZone:
    """A private DNS zone Site Recovery needs and the VNets linked to it (link state Completed)."""

    id: str
    name: str
    linked_vnet_ids: tuple[str, ...] = ()
    pending_vnet_ids: tuple[str, ...] = ()  # links not (yet) Completed


@dataclass(frozen=True)
class ServiceTag:
    name: str  # Storage.EastUS
    region: str = ""  # "" for global tags
    system_service: str = ""
    address_prefixes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ServiceTags:
    cloud: str
    change_number: str | None = None
    tags: tuple[ServiceTag, ...] = ()


# ---------------------------------------------------------------------------------------------
# Recovery Services, storage, resource groups
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NetworkMapping:
    """An Azure-to-Azure network mapping of the vault: VMs in the source virtual network fail
    over into the target one (ReplicationNetworkMappings_List)."""

    source_vnet_id: str
    target_vnet_id: str


@dataclass(frozen=True)
class Vault:
    id: str
    name: str
    location: str
    resource_group: str
    resource_group_location: str | None = None
    public_network_access: str | None = None  # Enabled, Disabled (None: not read)
    # None = not read; Site Recovery connections only (groupIds AzureSiteRecovery, or none listed)
    private_endpoint_connections: tuple[PrivateEndpointConnection, ...] | None = None
    private_endpoint_state_for_site_recovery: str | None = None  # "None", "Enabled"
    identity_type: str | None = None  # SystemAssigned, UserAssigned, "SystemAssigned, UserAssigned"
    identity_principal_id: str | None = None  # the system-assigned identity's object id
    # the vault's network mappings (source VNet -> target VNet); None = not gathered
    network_mappings: tuple[NetworkMapping, ...] | None = None


@dataclass(frozen=True)
class KeyVaultAccessPolicy:
    """One entry of a key vault's ``accessPolicies`` (the access-policy permission model)."""

    object_id: str
    tenant_id: str | None = None
    application_id: str | None = None  # compound identity: applies to that app acting for it
    keys: tuple[str, ...] = ()  # lower-cased: get, list, decrypt, encrypt, all, …
    secrets: tuple[str, ...] = ()


@dataclass(frozen=True)
class KeyVault:
    """A key vault (Microsoft.KeyVault/vaults) as its subscription listing returns it."""

    id: str
    name: str
    location: str
    # properties.enableRbacAuthorization: True = data access by Azure RBAC (access policies
    # ignored); False = by access policies; None = absent from ARM's answer
    rbac_authorization: bool | None = None
    access_policies: tuple[KeyVaultAccessPolicy, ...] = ()


@dataclass(frozen=True)
class StorageAccount:
    id: str
    name: str
    location: str
    kind: str | None = None
    sku: str | None = None
    blob_soft_delete_enabled: bool | None = None
    allow_shared_key_access: bool | None = None  # ARM's null means allowed; collectors say True
    network_default_action: Literal["Allow", "Deny"] | None = None
    network_bypass: tuple[str, ...] = ()  # AzureServices, Logging, Metrics
    virtual_network_subnet_ids: tuple[str, ...] = ()
    ip_rules: tuple[str, ...] = ()
    blob_endpoint: str | None = None
    # Enabled, Disabled, SecuredByPerimeter; ARM omits it when never set (then: Enabled)
    public_network_access: str | None = None
    resource_access_rules: tuple[str, ...] = ()  # resource instance rules (resource ids)
    # None = not read (an older snapshot); the account's connections of any sub-resource
    private_endpoint_connections: tuple[PrivateEndpointConnection, ...] | None = None


@dataclass(frozen=True)
class ResourceGroup:
    """A resource group the plan names. ``exists=False``: looked up, not there (ASR creates it)."""

    id: str
    name: str
    subscription_id: str
    location: str | None = None
    exists: bool = True


@dataclass(frozen=True)
class EligibilityError:
    code: str
    message: str
    possible_causes: str | None = None
    recommended_action: str | None = None
    status: str | None = None  # "Error", "Warning" (not enumerated by the spec); None = absent


@dataclass(frozen=True)
class Eligibility:
    """ASR's own ``replicationEligibilityResults/default`` for one VM."""

    vm_id: str
    errors: tuple[EligibilityError, ...] = ()


@dataclass(frozen=True)
class ManagementLock:
    """A management lock (``Microsoft.Authorization/locks``) on a subscription, a resource group or
    a resource; ``scope`` is the locked thing's id (the lock id up to ``/providers/Microsoft.
    Authorization/locks/``)."""

    id: str
    name: str
    scope: str
    level: str  # "CanNotDelete", "ReadOnly", "NotSpecified"
    notes: str | None = None


@dataclass(frozen=True)
class DiskEncryptionSet:
    id: str
    name: str
    location: str
    # EncryptionAtRestWithCustomerKey, EncryptionAtRestWithPlatformAndCustomerKeys,
    # ConfidentialVmEncryptedWithCustomerKey
    encryption_type: str | None = None
    provisioning_state: str | None = None


@dataclass(frozen=True)
class TargetDisk:
    """A managed disk that already exists in a target resource group."""

    id: str
    name: str
    resource_group: str
    subscription_id: str
    location: str | None = None
    managed_by: str | None = None  # the VM it is attached to, if any


@dataclass(frozen=True)
class Listing:
    """A fact family the collector listed completely at ``scope`` (a subscription or resource
    group id): an item of that family absent from the snapshot at that scope does not exist.
    A rule that needs "there is none" asks for the listing; without it the answer is unknown."""

    kind: FactKind
    scope: str


# ---------------------------------------------------------------------------------------------
# Identity (Azure RBAC)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Permission:
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    data_actions: tuple[str, ...] = ()
    not_data_actions: tuple[str, ...] = ()


@dataclass(frozen=True)
class RoleDefinition:
    id: str
    role_name: str
    role_type: str = "BuiltInRole"
    permissions: tuple[Permission, ...] = ()
    assignable_scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RoleAssignment:
    id: str
    scope: str
    role_definition_id: str
    principal_id: str
    principal_type: str | None = None  # User, Group, ServicePrincipal
    condition: str | None = None


@dataclass(frozen=True)
class DenyAssignment:
    id: str
    name: str
    scope: str
    permissions: tuple[Permission, ...] = ()
    principal_ids: tuple[str, ...] = ()  # 00000000-0000-0000-0000-000000000000 = everyone
    exclude_principal_ids: tuple[str, ...] = ()
    do_not_apply_to_child_scopes: bool = False
    # principal id -> "User", "Group", "ServicePrincipal", "SystemDefined" (principals[].type)
    # for the principals and excluded principals; an id absent here may be a group
    principal_types: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class IdentityFacts:
    """What the operating principal may do: assignments from ``assignedTo(oid)`` (groups
    included), the definitions they reference, and deny assignments at the relevant scopes."""

    principal_id: str | None
    role_assignments: tuple[RoleAssignment, ...] = ()
    role_definitions: tuple[RoleDefinition, ...] = ()
    deny_assignments: tuple[DenyAssignment, ...] = ()
    scopes: tuple[str, ...] = ()  # the scopes the collector read assignments for
    # the principal's group object ids (transitive), None = membership not gathered; groups that
    # hold one of the role assignments above are known members either way
    group_ids: tuple[str, ...] | None = None
    # subscription id -> names of management groups known to be above it: those at whose scope
    # ARM listed an assignment or deny assignment for it (every one that can matter), and those
    # the management-group descendants listing placed it under; order not significant. A
    # subscription absent here: its management group ancestry was not gathered
    management_groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Inside the guests
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RootCertificate:
    sha256: str  # upper-case hex, no colons
    subject: str
    not_after: str  # ISO 8601 UTC


@dataclass(frozen=True)
class ProxySetting:
    source: str  # "env:https_proxy", "/etc/environment", "apt", "ProxyInfo.conf", "WinHTTP", …
    url: str  # credentials already replaced: http://***@proxy:3128
    has_credentials: bool = False
    bypass: tuple[str, ...] = ()


@dataclass(frozen=True)
class EndpointProbe:
    name: str  # login, storage, site_recovery, service_bus
    host: str
    port: int = 443
    resolved: bool | None = None
    addresses: tuple[str, ...] = ()
    tls_ok: bool | None = None
    via_proxy: str | None = None  # redacted proxy URL when one was used
    proxy_status: int | None = None  # HTTP status of the proxy's CONNECT answer (407 = auth)
    error: str | None = None


@dataclass(frozen=True)
class PortProbe:
    peer_vm_id: str
    address: str
    port: int = 20004
    result: Literal["connected", "refused", "timeout", "error"] = "error"
    detail: str | None = None


@dataclass(frozen=True)
class ServiceState:
    name: str  # COMSysApp, VSS
    start_type: str | None = None  # Automatic, Manual, Disabled
    status: str | None = None  # Running, Stopped


@dataclass(frozen=True)
class GuestDisk:
    """A data disk as the guest sees it, by the LUN Azure attached it at (storage probe).

    Linux: ``/dev/disk/azure/scsi1/lunN`` (or ``/dev/disk/azure/data/by-lun/N``) and what lsblk
    and blkid read from its device; Windows: ``Get-Disk``. ``partition_table`` and
    ``filesystem`` are ``""`` when they were read and there is none, None when they could not be
    read (no root, no udev database)."""

    lun: int
    device: str | None = None  # /dev/sdc, or "Disk 2" on Windows
    partitions: int | None = None  # partitions found on it
    partition_table: str | None = None  # gpt, dos / GPT, MBR, RAW
    filesystem: str | None = None  # a signature on the whole disk: ext4, xfs, LVM2_member…
    offline: bool | None = None  # Windows: IsOffline
    detail: str | None = None  # why its state could not be read


@dataclass(frozen=True)
class GuestFacts:
    """What the probe scripts reported from inside one VM. None = that probe did not report."""

    vm_id: str
    transport: Literal["ssh", "winrm"]
    os_release: Mapping[str, str] | None = None  # None = the basic probe did not report
    kernel: str | None = None
    root_certificates: tuple[RootCertificate, ...] | None = None
    proxies: tuple[ProxySetting, ...] | None = None
    endpoints: tuple[EndpointProbe, ...] | None = None
    port_probes: tuple[PortProbe, ...] | None = None
    root_free_bytes: int | None = None
    grub_device_names: tuple[str, ...] | None = None  # root=/resume= values found in GRUB files
    services: tuple[ServiceState, ...] | None = None
    clock_utc: str | None = None
    collected_at: str | None = None
    # why a probe reported nothing (probe name -> reason); its facts above are then None
    probe_errors: Mapping[str, str] = field(default_factory=dict)
    trust_store: str | None = None  # the bundle file (Linux) or store (Windows) that was read
    grub_files: tuple[str, ...] | None = None  # the GRUB files grub_device_names came from
    address: str | None = None  # the address the checker connected to
    hotfixes: tuple[str, ...] | None = None  # Windows: the installed updates ASR311 asks about
    # storage probe: the LVs GRUB's kernel line names (rd.lvm.lv=/rd_LVM_LV=, "vg/lv"), the LVs
    # lvs lists ("vg/lv"), and the data disks by LUN; None = not read (probe_errors "lvs",
    # "disks" or "storage" say why)
    grub_lvm_volumes: tuple[str, ...] | None = None
    logical_volumes: tuple[str, ...] | None = None
    data_disks: tuple[GuestDisk, ...] | None = None


# ---------------------------------------------------------------------------------------------
# The snapshot
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CollectionInfo:
    """How the snapshot was gathered: which optional parts were skipped on purpose."""

    cloud: str = "AzureCloud"
    eligibility_skipped: bool = False
    guest_skipped: bool = False
    source: Literal["azure", "demo", "test"] = "azure"


@dataclass(frozen=True)
class Snapshot:
    created_at: str
    tool_version: str
    plan: Plan | None = None
    collection: CollectionInfo = field(default_factory=CollectionInfo)
    vms: tuple[VirtualMachine, ...] = ()  # the selected VMs
    network_interfaces: tuple[NetworkInterface, ...] = ()
    network_security_groups: tuple[NetworkSecurityGroup, ...] = ()
    virtual_networks: tuple[VirtualNetwork, ...] = ()
    subnets: tuple[Subnet, ...] = ()
    route_tables: tuple[RouteTable, ...] = ()
    regions: tuple[RegionCapacity, ...] = ()  # per target (subscription, region)
    service_tags: ServiceTags | None = None
    vault: Vault | None = None
    cache_storage: StorageAccount | None = None
    # the accounts of ``[target] cache_storage_accounts`` (one per source region)
    cache_storage_accounts: tuple[StorageAccount, ...] = ()
    # None = not gathered (ASR211 and ASR210's private-endpoint path are then unknown)
    load_balancers: tuple[LoadBalancer, ...] | None = None
    private_endpoints: tuple[PrivateEndpoint, ...] | None = None
    private_dns_zones: tuple[PrivateDnsZone, ...] | None = None
    # the vault's managed identity: its role assignments, read with assignedTo(<its object id>)
    vault_identity: IdentityFacts | None = None
    resource_groups: tuple[ResourceGroup, ...] = ()
    identity: IdentityFacts | None = None
    key_vaults: tuple[KeyVault, ...] = ()  # the source key vaults ADE disks name
    eligibility: tuple[Eligibility, ...] = ()
    guests: tuple[GuestFacts, ...] = ()
    management_locks: tuple[ManagementLock, ...] = ()
    disk_encryption_sets: tuple[DiskEncryptionSet, ...] = ()
    target_disks: tuple[TargetDisk, ...] = ()
    listings: tuple[Listing, ...] = ()  # which of the three families above were listed where
    errors: tuple[FactError, ...] = ()
    schema: str = SNAPSHOT_SCHEMA


# ---------------------------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------------------------


@cache
def _adapter() -> Any:
    from pydantic import TypeAdapter  # imported lazily: no import-time cost for `rules list`

    return TypeAdapter(Snapshot)


def snapshot_to_json(snapshot: Snapshot) -> str:
    """The snapshot's JSON text. A lone surrogate (``"\\ud800"``: JSON can carry one, a hostile
    ARM answer or guest output may, and our readers accept it; UTF-8 cannot hold it) is written
    as U+FFFD, in values and keys, so the snapshot is written anyway. Only when the fast path
    refuses such a string: a snapshot without one is serialised once, as before."""
    from pydantic_core import PydanticSerializationError

    adapter = _adapter()
    try:
        data: bytes = adapter.dump_json(snapshot, indent=1)
    except PydanticSerializationError:
        clean = adapter.validate_python(_without_surrogates(adapter.dump_python(snapshot)))
        data = adapter.dump_json(clean, indent=1)
    return data.decode()


def _without_surrogates(value: Any) -> Any:
    """A dumped snapshot (dicts, tuples, lists, strings, numbers) with every lone surrogate in
    its strings and keys replaced by U+FFFD."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_without_surrogates(k): _without_surrogates(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_without_surrogates(v) for v in value]
    return value


def _loads(text: str) -> Any:
    """orjson (4x faster on 10,000 VMs); the json module for what orjson refuses but JSON
    readers here always accepted (a lone surrogate escape), or to raise its error."""
    import orjson

    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def snapshot_from_json(text: str) -> Snapshot:
    """Parse a snapshot; a wrong schema version or a malformed document is a SnapshotError."""
    # Parsing builds millions of small acyclic objects that live on; the cyclic collector would
    # rescan them again and again (0.9 of 1.4 s for 10,000 VMs): paused, as during evaluation.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _from_json(text)
    finally:
        if enabled:
            gc.enable()


def _from_json(text: str) -> Snapshot:
    from pydantic import ValidationError

    try:
        head = _loads(text)
    except json.JSONDecodeError as exc:
        raise SnapshotError(f"not a JSON document ({exc})") from None
    if not isinstance(head, dict):
        raise SnapshotError("not an asr-preflight snapshot (the document is not a JSON object)")
    schema = head.get("schema")
    if schema != SNAPSHOT_SCHEMA:
        raise SnapshotError(
            f"snapshot schema is {schema!r}; "
            f"this version of asr-preflight reads {SNAPSHOT_SCHEMA!r}"
        )
    try:
        snapshot: Snapshot = _adapter().validate_python(head)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise SnapshotError(f"invalid snapshot at {where}: {first['msg']}") from None
    _check_addresses(snapshot)
    return snapshot


def _check_addresses(snapshot: Snapshot) -> None:
    """Address prefixes are evaluated as addresses: one with a control character (a NUL, a
    newline) cannot be one and would reach the evaluator as text it cannot parse. The collector
    refuses such values (a FactError); a snapshot file carrying one is refused here."""
    fields: list[tuple[str, tuple[str, ...]]] = []
    for i, nsg in enumerate(snapshot.network_security_groups):
        for group in ("rules", "default_rules"):
            for j, rule in enumerate(getattr(nsg, group)):
                where = f"network_security_groups.{i}.{group}.{j}"
                fields.append((f"{where}.source_address_prefixes", rule.source_address_prefixes))
                fields.append(
                    (f"{where}.destination_address_prefixes", rule.destination_address_prefixes)
                )
    for i, vnet in enumerate(snapshot.virtual_networks):
        fields.append((f"virtual_networks.{i}.address_prefixes", vnet.address_prefixes))
        fields.append(
            (f"virtual_networks.{i}.peered_address_prefixes", vnet.peered_address_prefixes)
        )
    for i, subnet in enumerate(snapshot.subnets):
        fields.append((f"subnets.{i}.address_prefixes", subnet.address_prefixes))
    for i, table in enumerate(snapshot.route_tables):
        for j, route in enumerate(table.routes):
            fields.append((f"route_tables.{i}.routes.{j}.address_prefix", (route.address_prefix,)))
    if snapshot.service_tags is not None:
        for i, tag in enumerate(snapshot.service_tags.tags):
            fields.append((f"service_tags.tags.{i}.address_prefixes", tag.address_prefixes))
    for where, values in fields:
        for value in values:
            if not value.isprintable():
                raise SnapshotError(
                    f"invalid snapshot at {where}: {value!r} holds a control character"
                )


def load_snapshot(path: Path) -> Snapshot:
    return load_input(path, "snapshot file", SnapshotError, _parse_snapshot)


def _parse_snapshot(text: str, source: str) -> Snapshot:
    try:
        return snapshot_from_json(text)
    except SnapshotError as exc:
        raise SnapshotError(f"{source}: {exc}") from None


def snapshot_json_schema() -> dict[str, Any]:
    """The JSON Schema of the snapshot format, generated from the dataclasses."""
    schema: dict[str, Any] = _adapter().json_schema(mode="serialization")
    schema["$id"] = SNAPSHOT_SCHEMA
    schema["title"] = "asr-preflight snapshot v1"
    return schema
