"""The demo estate's base facts: a fictional online shop and an ERP/SAP landscape in East US,
to be protected to West US 2.

Everything here is invented (names, addresses, ids). The estate is built so that the rules of
every area tell a story: most VMs are fine, a few carry realistic problems. This module holds
the compute, disk, network-topology, vault, resource-group, cache-storage and eligibility facts;
each area module (capacity, network, identity, guests) adds its own facts on top.

The problems planted here, by rule:

* vm-web-01: a Site Recovery extension left over from an earlier protection (ASR504).
* vm-app-01: ASR's eligibility check rejects its OS, Ubuntu 18.04 (ASR009).
* vm-db-01: runs from an ephemeral OS disk (ASR505).
* vm-sap-app-01: the SAP enhanced-monitoring extension failed to provision (ASR503).
* vm-sap-db-01: SAP HANA on M-series with Write Accelerator on the log disks (ASR508).
* vm-win-ad-01: its eligibility could not be read (403, a deny assignment on tier-0 assets):
  readiness unknown (ASR009).
* vm-win-sql-01: an Ultra disk for the transaction log, on a dedicated host for licensing
  (ASR508, ASR510).
* vm-win-file-01: deallocated, with legacy unmanaged disks (ASR502).
* vm-batch-01: Standard_B1s, one vCPU (ASR509 warning).

vm-web-02, vm-app-02 and vm-win-iis-01 are clean and must stay Ready in every area.

Why over 500 lines: about half of it is the table of demo VMs (``SPECS``, one entry per VM with
its planted problem), which is data that reads best next to the builders that turn it into facts.
"""

from __future__ import annotations

from dataclasses import dataclass

from asr_preflight.plan import Plan
from asr_preflight.snapshot import (
    CollectionInfo,
    Disk,
    Eligibility,
    EligibilityError,
    Extension,
    FactError,
    IpConfiguration,
    NetworkInterface,
    NetworkSecurityGroup,
    RegionCapacity,
    ResourceGroup,
    Snapshot,
    StorageAccount,
    Subnet,
    Vault,
    VirtualMachine,
    VirtualNetwork,
    VmSku,
)

SHOP_SUB = "11111111-1111-4111-8111-111111111111"
ERP_SUB = "22222222-2222-4222-8222-222222222222"
SHOP_RG = "rg-shop-prod"
ERP_RG = "rg-erp-prod"
SOURCE_REGION = "eastus"
TARGET_REGION = "westus2"
CREATED_AT = "2026-11-25T09:00:00Z"
TOOL_VERSION = "demo"

VAULT_ID = (
    f"/subscriptions/{SHOP_SUB}/resourceGroups/rg-dr"
    "/providers/Microsoft.RecoveryServices/vaults/rv-dr-westus2"
)
CACHE_ID = (
    f"/subscriptions/{SHOP_SUB}/resourceGroups/rg-dr"
    "/providers/Microsoft.Storage/storageAccounts/stdrcacheeastus"
)
SITE_RECOVERY_PUBLISHER = "Microsoft.Azure.RecoveryServices.SiteRecovery"


def rg_id(sub: str, rg: str) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{rg}"


def res_id(sub: str, rg: str, provider: str, kind: str, name: str) -> str:
    return f"{rg_id(sub, rg)}/providers/{provider}/{kind}/{name}"


# -- VM sizes (as the eastus resource SKU list reports them) -----------------------------------


@dataclass(frozen=True)
class Size:
    name: str
    family: str
    vcpus: int
    memory_gb: float
    max_data_disks: int
    max_nics: int
    accelerated_networking: bool = True
    premium_io: bool = True
    ultra: bool = False

    def sku(self) -> VmSku:
        caps = {
            "vCPUs": str(self.vcpus),
            "MemoryGB": f"{self.memory_gb:g}",
            "MaxDataDiskCount": str(self.max_data_disks),
            "MaxNetworkInterfaces": str(self.max_nics),
            "PremiumIO": str(self.premium_io),
            "AcceleratedNetworkingEnabled": str(self.accelerated_networking),
            "HyperVGenerations": "V1,V2",
        }
        if self.ultra:
            caps["UltraSSDAvailable"] = "True"
        return VmSku(self.name, self.family, "Standard", ("1", "2", "3"), caps)


SIZES = {
    s.name: s
    for s in (
        Size("Standard_D2s_v5", "standardDSv5Family", 2, 8, 4, 2),
        Size("Standard_D4s_v5", "standardDSv5Family", 4, 16, 8, 2),
        Size("Standard_E2s_v5", "standardESv5Family", 2, 16, 4, 2),
        Size("Standard_E8s_v5", "standardESv5Family", 8, 64, 16, 4, ultra=True),
        Size("Standard_E16s_v5", "standardESv5Family", 16, 128, 32, 8),
        Size("Standard_E8ds_v5", "standardEDSv5Family", 8, 64, 16, 4),
        Size("Standard_M32ts", "standardMSFamily", 32, 192, 32, 8),
        Size("Standard_DS3_v2", "standardDSv2Family", 4, 14, 16, 4),
        Size("Standard_B2ms", "standardBSFamily", 2, 8, 4, 3, accelerated_networking=False),
        Size("Standard_B1s", "standardBSFamily", 1, 1, 2, 2, accelerated_networking=False),
    )
}


# -- the VMs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """What distinguishes one demo VM; everything else is a healthy default."""

    name: str
    sub: str
    rg: str
    os: str  # "Linux" | "Windows"
    size: str
    subnet: str  # subnet name in the VM's VNet
    ips: tuple[str, ...]  # one private IP per NIC, primary first
    app: str
    zone: str | None = None
    os_gb: int = 64
    os_sku: str = "Premium_LRS"
    data: tuple[tuple[str, int, str], ...] = ()  # (suffix, GiB, sku)
    write_accelerated: tuple[str, ...] = ()  # data disk suffixes with Write Accelerator
    ephemeral_os: bool = False
    unmanaged: bool = False
    ultra_ssd_enabled: bool = False
    power: str = "running"
    extra_extensions: tuple[Extension, ...] = ()
    failed_extensions: tuple[Extension, ...] = ()
    dedicated_host: str | None = None


LINUX_AGENT = "2.11.1.12"
WINDOWS_AGENT = "2.7.41491.1102"


def _ok(name: str, publisher: str, type_: str, version: str) -> Extension:
    return Extension(name, publisher, type_, version, "Succeeded", "Provisioning succeeded", "Info")


def _monitoring(os: str) -> Extension:
    if os == "Linux":
        return _ok(
            "AzureMonitorLinuxAgent", "Microsoft.Azure.Monitor", "AzureMonitorLinuxAgent", "1.33"
        )
    return _ok(
        "AzureMonitorWindowsAgent", "Microsoft.Azure.Monitor", "AzureMonitorWindowsAgent", "1.30"
    )


DEDICATED_HOST = (
    res_id(ERP_SUB, ERP_RG, "Microsoft.Compute", "hostGroups", "hg-erp-sql") + "/hosts/host-sql-01"
)

SPECS: tuple[Spec, ...] = (
    # -- rg-shop-prod: the online shop ------------------------------------------------------
    Spec(
        "vm-web-01",
        SHOP_SUB,
        SHOP_RG,
        "Linux",
        "Standard_D2s_v5",
        "snet-web",
        ("10.10.1.4",),
        "shop",
        zone="1",
        os_gb=30,
        extra_extensions=(
            # left behind when the VM was protected to a vault that was later deleted
            _ok("SiteRecovery-Linux", SITE_RECOVERY_PUBLISHER, "LinuxRHEL7", "1.0.0.9000"),
        ),
    ),
    Spec(
        "vm-web-02",
        SHOP_SUB,
        SHOP_RG,
        "Linux",
        "Standard_D2s_v5",
        "snet-web",
        ("10.10.1.5",),
        "shop",
        zone="2",
        os_gb=30,
    ),
    Spec(
        "vm-web-03",
        SHOP_SUB,
        SHOP_RG,
        "Linux",
        "Standard_D2s_v5",
        "snet-web",
        ("10.10.1.6",),
        "shop",
        zone="3",
        os_gb=30,
    ),
    Spec(
        "vm-app-01",
        SHOP_SUB,
        SHOP_RG,
        "Linux",
        "Standard_D4s_v5",
        "snet-app",
        ("10.10.2.4",),
        "shop",
        zone="1",
        data=(("data", 128, "Premium_LRS"),),
    ),
    Spec(
        "vm-app-02",
        SHOP_SUB,
        SHOP_RG,
        "Linux",
        "Standard_D4s_v5",
        "snet-app",
        ("10.10.2.5",),
        "shop",
        zone="2",
        data=(("data", 128, "Premium_LRS"),),
    ),
    Spec(
        "vm-db-01",
        SHOP_SUB,
        SHOP_RG,
        "Linux",
        "Standard_E8ds_v5",
        "snet-db",
        ("10.10.3.4",),
        "shop",
        zone="1",
        os_gb=128,
        os_sku="Standard_LRS",
        ephemeral_os=True,
        data=(("data", 1024, "Premium_LRS"), ("log", 512, "Premium_LRS")),
    ),
    Spec(
        "vm-win-iis-01",
        SHOP_SUB,
        SHOP_RG,
        "Windows",
        "Standard_D2s_v5",
        "snet-web",
        ("10.10.1.7",),
        "shop",
        zone="3",
        os_gb=127,
    ),
    # -- rg-erp-prod: SAP, Windows infrastructure, batch ------------------------------------
    Spec(
        "vm-sap-app-01",
        ERP_SUB,
        ERP_RG,
        "Linux",
        "Standard_E16s_v5",
        "snet-sap",
        ("10.20.1.4",),
        "sap",
        zone="1",
        data=(("usrsap", 256, "Premium_LRS"),),
        failed_extensions=(
            Extension(
                "MonitorX64Linux",
                "Microsoft.AzureCAT.AzureEnhancedMonitoring",
                "MonitorX64Linux",
                "1.0",
                "Failed",
                "Provisioning failed",
                "Error",
            ),
        ),
    ),
    Spec(
        "vm-sap-db-01",
        ERP_SUB,
        ERP_RG,
        "Linux",
        "Standard_M32ts",
        "snet-sap",
        ("10.20.1.5", "10.20.1.6"),
        "sap",
        zone="1",
        data=(
            ("hana-data-0", 512, "Premium_LRS"),
            ("hana-data-1", 512, "Premium_LRS"),
            ("hana-data-2", 512, "Premium_LRS"),
            ("hana-log-0", 256, "Premium_LRS"),
            ("hana-log-1", 256, "Premium_LRS"),
            ("hana-shared", 1024, "Premium_LRS"),
        ),
        write_accelerated=("hana-log-0", "hana-log-1"),
    ),
    Spec(
        "vm-sap-ascs-01",
        ERP_SUB,
        ERP_RG,
        "Linux",
        "Standard_E2s_v5",
        "snet-sap",
        ("10.20.1.7",),
        "sap",
        zone="1",
        data=(("usrsap", 128, "Premium_LRS"),),
    ),
    Spec(
        "vm-win-ad-01",
        ERP_SUB,
        ERP_RG,
        "Windows",
        "Standard_B2ms",
        "snet-win",
        ("10.20.2.4",),
        "identity",
        zone="1",
        os_gb=127,
        os_sku="StandardSSD_LRS",
        data=(("ntds", 32, "StandardSSD_LRS"),),
    ),
    Spec(
        "vm-win-sql-01",
        ERP_SUB,
        ERP_RG,
        "Windows",
        "Standard_E8s_v5",
        "snet-win",
        ("10.20.2.5",),
        "erp",
        zone="1",
        os_gb=127,
        ultra_ssd_enabled=True,
        dedicated_host=DEDICATED_HOST,
        data=(("sqldata", 1024, "Premium_LRS"), ("sqllog", 512, "UltraSSD_LRS")),
    ),
    Spec(
        "vm-win-file-01",
        ERP_SUB,
        ERP_RG,
        "Windows",
        "Standard_DS3_v2",
        "snet-win",
        ("10.20.2.6",),
        "erp",
        os_gb=127,
        os_sku="Standard_LRS",
        unmanaged=True,
        power="deallocated",
        data=(("share-0", 1023, "Standard_LRS"), ("share-1", 1023, "Standard_LRS")),
    ),
    Spec(
        "vm-batch-01",
        ERP_SUB,
        ERP_RG,
        "Linux",
        "Standard_B1s",
        "snet-batch",
        ("10.20.3.4",),
        "erp",
        os_gb=30,
        os_sku="Standard_LRS",
    ),
)


def _disk(spec: Spec, suffix: str, gib: int, sku: str, lun: int | None) -> Disk:
    name = f"{spec.name}-{suffix}"
    caching = "ReadWrite" if lun is None else ("None" if sku == "UltraSSD_LRS" else "ReadOnly")
    if spec.unmanaged:
        return Disk(name, None, lun, gib, None, managed=False, caching=caching)
    return Disk(
        name,
        res_id(spec.sub, spec.rg, "Microsoft.Compute", "disks", name),
        lun,
        gib,
        sku,
        caching="None" if suffix in spec.write_accelerated else caching,
        write_accelerator=suffix in spec.write_accelerated,
        encryption_type="EncryptionAtRestWithPlatformKey",
        max_shares=1,
    )


def _os_disk(spec: Spec) -> Disk:
    if spec.ephemeral_os:
        # diffDiskSettings.option = Local: no managed disk resource behind it
        return Disk(
            f"{spec.name}-osdisk",
            None,
            None,
            spec.os_gb,
            spec.os_sku,
            caching="ReadOnly",
            ephemeral=True,
        )
    return _disk(spec, "osdisk", spec.os_gb, spec.os_sku, None)


def _nic_ids(spec: Spec) -> tuple[str, ...]:
    return tuple(
        res_id(
            spec.sub,
            spec.rg,
            "Microsoft.Network",
            "networkInterfaces",
            f"{spec.name}-nic" + (f"-{i}" if i else ""),
        )
        for i in range(len(spec.ips))
    )


def _vm(spec: Spec) -> VirtualMachine:
    running = spec.power == "running"
    extensions = (_monitoring(spec.os), *spec.extra_extensions, *spec.failed_extensions)
    if not running:  # a deallocated VM's instance view reports no extension status
        extensions = tuple(
            Extension(e.name, e.publisher, e.type, e.version, e.provisioning_state)
            for e in extensions
        )
    return VirtualMachine(
        id=res_id(spec.sub, spec.rg, "Microsoft.Compute", "virtualMachines", spec.name),
        name=spec.name,
        subscription_id=spec.sub,
        resource_group=spec.rg,
        location=SOURCE_REGION,
        size=spec.size,
        os_type=spec.os,  # type: ignore[arg-type]
        zone=spec.zone,
        tags={"env": "prod", "app": spec.app, "dr": "true"},
        power_state=spec.power,
        provisioning_state="Succeeded",
        agent_status="Ready" if running else None,
        agent_version=(LINUX_AGENT if spec.os == "Linux" else WINDOWS_AGENT) if running else None,
        extensions=extensions,
        os_disk=_os_disk(spec),
        data_disks=tuple(
            _disk(spec, suffix, gib, sku, lun) for lun, (suffix, gib, sku) in enumerate(spec.data)
        ),
        disk_controller="SCSI",
        ultra_ssd_enabled=spec.ultra_ssd_enabled,
        dedicated_host_id=spec.dedicated_host,
        dedicated_host_group_id=spec.dedicated_host.rsplit("/hosts/", 1)[0]
        if spec.dedicated_host
        else None,
        nic_ids=_nic_ids(spec),
    )


# -- networks --------------------------------------------------------------------------------

VNETS = {
    SHOP_SUB: ("vnet-shop-prod", SHOP_RG, "10.10.0.0/16"),
    ERP_SUB: ("vnet-erp-prod", ERP_RG, "10.20.0.0/16"),
}
# subnet -> (subscription, prefix, NSG name or None)
SUBNETS = {
    "snet-web": (SHOP_SUB, "10.10.1.0/24", "nsg-web"),
    "snet-app": (SHOP_SUB, "10.10.2.0/24", "nsg-app"),
    "snet-db": (SHOP_SUB, "10.10.3.0/24", "nsg-db"),
    "snet-sap": (ERP_SUB, "10.20.1.0/24", "nsg-sap"),
    "snet-win": (ERP_SUB, "10.20.2.0/24", "nsg-win"),
    "snet-batch": (ERP_SUB, "10.20.3.0/24", None),
}


def vnet_id(sub: str) -> str:
    name, rg, _ = VNETS[sub]
    return res_id(sub, rg, "Microsoft.Network", "virtualNetworks", name)


def subnet_id(name: str) -> str:
    sub = SUBNETS[name][0]
    return f"{vnet_id(sub)}/subnets/{name}"


def nsg_id(sub: str, name: str) -> str:
    return res_id(sub, VNETS[sub][1], "Microsoft.Network", "networkSecurityGroups", name)


def _networks() -> tuple[
    tuple[VirtualNetwork, ...], tuple[Subnet, ...], tuple[NetworkSecurityGroup, ...]
]:
    vnets = tuple(
        VirtualNetwork(vnet_id(sub), name, SOURCE_REGION, (prefix,))
        for sub, (name, _, prefix) in VNETS.items()
    )
    subnets = tuple(
        Subnet(subnet_id(name), name, vnet_id(sub), (prefix,), nsg_id(sub, nsg) if nsg else None)
        for name, (sub, prefix, nsg) in SUBNETS.items()
    )
    nsgs = tuple(
        NetworkSecurityGroup(nsg_id(sub, nsg), nsg, SOURCE_REGION)
        for sub, _, nsg in SUBNETS.values()
        if nsg is not None
    )
    return vnets, subnets, nsgs


def _nics(spec: Spec, vm: VirtualMachine) -> tuple[NetworkInterface, ...]:
    size = SIZES[spec.size]
    return tuple(
        NetworkInterface(
            id=nic,
            name=nic.rsplit("/", 1)[-1],
            location=SOURCE_REGION,
            vm_id=vm.id,
            accelerated_networking=size.accelerated_networking,
            ip_configurations=(
                IpConfiguration("ipconfig1", True, ip, subnet_id=subnet_id(spec.subnet)),
            ),
        )
        for nic, ip in zip(vm.nic_ids, spec.ips, strict=True)
    )


# -- vault, resource groups, cache storage, eligibility, source-region SKUs -------------------


def _resource_groups() -> tuple[ResourceGroup, ...]:
    def rg(sub: str, name: str, location: str | None, exists: bool = True) -> ResourceGroup:
        return ResourceGroup(rg_id(sub, name), name, sub, location, exists)

    return (
        rg(SHOP_SUB, SHOP_RG, SOURCE_REGION),
        rg(ERP_SUB, ERP_RG, SOURCE_REGION),
        rg(SHOP_SUB, "rg-dr", TARGET_REGION),
        # the default target groups ("<source rg>-asr"): the shop's is created by ASR at enable
        # time, the ERP team created theirs in advance
        rg(SHOP_SUB, f"{SHOP_RG}-asr", None, exists=False),
        rg(ERP_SUB, f"{ERP_RG}-asr", TARGET_REGION),
    )


def _eligibility(vms: tuple[VirtualMachine, ...]) -> tuple[Eligibility, ...]:
    out = []
    for vm in vms:
        if vm.name == "vm-win-ad-01":
            continue  # the read was refused: see _errors()
        errors: tuple[EligibilityError, ...] = ()
        if vm.name == "vm-app-01":
            errors = (
                EligibilityError(
                    "A2AOperatingSystemNotSupported",
                    "The A2A operation could not be completed as the virtual machine is running "
                    "OS 'ubuntu' with version '18.04' which is not supported for replication.",
                    possible_causes="The operating system version is not supported by Azure "
                    "Site Recovery.",
                    recommended_action="Upgrade the virtual machine to a supported operating "
                    "system version and retry.",
                ),
            )
        out.append(Eligibility(vm.id, errors))
    return tuple(out)


def _errors(vms: tuple[VirtualMachine, ...]) -> tuple[FactError, ...]:
    ad = next(vm for vm in vms if vm.name == "vm-win-ad-01")
    return (
        FactError(
            "eligibility",
            ad.id,
            "403 AuthorizationFailed: the client does not have authorization to perform action "
            "'Microsoft.RecoveryServices/replicationEligibilityResults/read' over scope "
            f"'{ad.id}' (a deny assignment protects the tier-0 domain controllers)",
            "grant the operating principal Reader on vm-win-ad-01 (or a role with "
            "Microsoft.RecoveryServices/replicationEligibilityResults/read) and exclude it from "
            "the deny assignment, then collect again",
        ),
    )


def _source_capacity(vms: tuple[VirtualMachine, ...]) -> tuple[RegionCapacity, ...]:
    """Per subscription, the eastus SKU list restricted to the sizes in use (no usages)."""
    out = []
    for sub in (SHOP_SUB, ERP_SUB):
        names = sorted({vm.size for vm in vms if vm.subscription_id == sub})
        out.append(RegionCapacity(sub, SOURCE_REGION, skus=tuple(SIZES[n].sku() for n in names)))
    return tuple(out)


def base(plan: Plan | None = None) -> Snapshot:
    """The demo estate before the area modules add their facts."""
    vms = tuple(_vm(spec) for spec in SPECS)
    nics = tuple(nic for spec, vm in zip(SPECS, vms, strict=True) for nic in _nics(spec, vm))
    vnets, subnets, nsgs = _networks()
    return Snapshot(
        created_at=CREATED_AT,
        tool_version=TOOL_VERSION,
        plan=plan,
        collection=CollectionInfo(cloud="AzureCloud", source="demo"),
        vms=vms,
        network_interfaces=nics,
        network_security_groups=nsgs,
        virtual_networks=vnets,
        subnets=subnets,
        regions=_source_capacity(vms),
        vault=Vault(VAULT_ID, "rv-dr-westus2", TARGET_REGION, "rg-dr", TARGET_REGION),
        cache_storage=StorageAccount(
            CACHE_ID,
            "stdrcacheeastus",
            SOURCE_REGION,
            kind="StorageV2",
            sku="Standard_LRS",
            blob_soft_delete_enabled=False,
            allow_shared_key_access=True,
            network_default_action="Allow",
            network_bypass=("AzureServices",),
            blob_endpoint="https://stdrcacheeastus.blob.core.windows.net/",
        ),
        resource_groups=_resource_groups(),
        eligibility=_eligibility(vms),
        errors=_errors(vms),
    )
