# ruff: noqa: E501  (the NSG rule tables read best one rule per line)
"""Demo estate: NSG rules, route tables, service tags, the cache account's firewall.
Owned by the **netsec** helper.

The network story, by rule (vm-web-02, vm-app-02 and vm-win-iis-01 stay clean):

* nsg-db (subnet of vm-db-01): a security blocklist denies three ranges that are part of
  ``Storage.EastUS`` and one of ``AzureActiveDirectory``: ASR201 and ASR202 fail for those
  prefixes (3 of 119, 1 of 200), naming the rule.
* nsg-vm-app-01 (NIC NSG of vm-app-01 only): egress locked down to Storage and Entra ID, then
  ``Deny-Internet-Out``: ASR203 and ASR204 fail, ASR206 warns.
* nsg-vm-web-03 (NIC NSG of vm-web-03 only): denies ``GuestAndHybridManagement``: ASR206 warns.
* nsg-win (subnet of the Windows servers): Entra ID is allowed through a hard-coded list of its
  IP prefixes (complete, so ASR202 passes, but ASR207 warns); Key Vault is not allowed and
  vm-win-sql-01 uses Azure Disk Encryption: ASR205 fails.
* nsg-vm-sap-db-01 (NIC NSG of the HANA server): admits only the HANA ports from the SAP subnet,
  then denies the virtual network: TCP 20004 into vm-sap-db-01 is blocked (ASR209 fails for
  vm-sap-app-01 -> vm-sap-db-01 and vm-sap-ascs-01 -> vm-sap-db-01; the other pairs pass).
* rt-batch-egress on snet-batch: 0.0.0.0/0 to the hub firewall (ASR208 warns for vm-batch-01).
* the cache account's firewall denies by default, admits trusted services and every subnet but
  snet-batch (ASR210 fails vm-batch-01).

`apply` receives the snapshot built so far and returns it with this area's facts added
(`dataclasses.replace`).
"""

from __future__ import annotations

import json
from dataclasses import replace
from importlib import resources

from asr_preflight.netsec import service_tags_from_document
from asr_preflight.snapshot import (
    Extension,
    NetworkInterface,
    NetworkSecurityGroup,
    Route,
    RouteTable,
    SecurityRule,
    ServiceTags,
    Snapshot,
    Subnet,
    VirtualMachine,
    VirtualNetwork,
)

from .estate import ERP_RG, ERP_SUB, SHOP_RG, SHOP_SUB, SOURCE_REGION, nsg_id, res_id, subnet_id

HANA_ASG = res_id(ERP_SUB, ERP_RG, "Microsoft.Network", "applicationSecurityGroups", "asg-sap-hana")
SAP_APP_ASG = res_id(
    ERP_SUB, ERP_RG, "Microsoft.Network", "applicationSecurityGroups", "asg-sap-app"
)
ROUTE_TABLE = res_id(ERP_SUB, ERP_RG, "Microsoft.Network", "routeTables", "rt-batch-egress")
HUB_FIREWALL = "10.30.0.4"
HUB = "10.30.0.0/16"
#: Subnets whose VNet rule the cache account admits (all but snet-batch).
ADMITTED = ("snet-web", "snet-app", "snet-db", "snet-sap", "snet-win")
ADE_VMS = {"vm-win-sql-01": "AzureDiskEncryption", "vm-sap-db-01": "AzureDiskEncryptionForLinux"}
#: A security team's egress blocklist (threat-intel ranges): three are part of Storage.EastUS,
#: one /27 is Entra ID's.
BLOCKLIST = (
    "20.60.60.0/22",
    "20.150.32.0/23",
    "52.239.152.0/22",
    "13.66.141.64/27",
    "203.0.113.0/24",
)


def _rule(
    name: str,
    priority: int,
    direction: str,
    access: str,
    protocol: str,
    src: tuple[str, ...],
    dst: tuple[str, ...],
    ports: tuple[str, ...] = ("*",),
    *,
    src_asgs: tuple[str, ...] = (),
    dst_asgs: tuple[str, ...] = (),
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
        source_asg_ids=src_asgs,
        destination_asg_ids=dst_asgs,
    )


def service_tags() -> ServiceTags:
    """The six service tags the rules need, copied from the published file (see SOURCES.md)."""
    text = resources.files(__package__).joinpath("service_tags.json").read_text(encoding="utf-8")
    return service_tags_from_document(json.loads(text))


def _ipv4(tags: ServiceTags, name: str) -> tuple[str, ...]:
    tag = next(t for t in tags.tags if t.name == name)
    return tuple(p for p in tag.address_prefixes if ":" not in p)


def _subnet_rules(tags: ServiceTags) -> dict[str, tuple[SecurityRule, ...]]:
    web = "10.10.1.0/24"
    app = "10.10.2.0/24"
    sap = "10.20.1.0/24"
    https = ("443",)
    return {
        "nsg-web": (
            _rule("Allow-HTTPS-In", 100, "Inbound", "Allow", "Tcp", ("Internet",), (web,), https),
            _rule("Allow-HTTP-In", 110, "Inbound", "Allow", "Tcp", ("Internet",), (web,), ("80",)),
            _rule("Allow-Bastion-In", 200, "Inbound", "Allow", "Tcp", (HUB,), (web,), ("22", "3389")),
            _rule("Deny-SMB-Out", 100, "Outbound", "Deny", "Tcp", ("*",), ("Internet",), ("445",)),
        ),
        "nsg-app": (
            _rule("Allow-Web-To-App", 100, "Inbound", "Allow", "Tcp", (web,), (app,), ("8080-8090",)),
            _rule("Allow-Bastion-In", 200, "Inbound", "Allow", "Tcp", (HUB,), (app,), ("22",)),
            _rule("Deny-VNet-In", 4000, "Inbound", "Deny", "*", ("VirtualNetwork",), ("*",)),
            _rule("Deny-SMB-Out", 100, "Outbound", "Deny", "Tcp", ("*",), ("Internet",), ("445",)),
        ),
        "nsg-db": (
            _rule("Allow-App-To-Postgres", 100, "Inbound", "Allow", "Tcp", (app,), ("*",), ("5432",)),
            _rule("Deny-VNet-In", 4000, "Inbound", "Deny", "*", ("VirtualNetwork",), ("*",)),
            _rule("Deny-Blocklist-Out", 150, "Outbound", "Deny", "*", ("*",), BLOCKLIST),
        ),
        "nsg-sap": (
            _rule(
                "Allow-SAP-Dispatcher-In", 100, "Inbound", "Allow", "Tcp", ("10.20.0.0/16",),
                ("*",), ("3200-3299", "3300-3399", "3600-3699"), dst_asgs=(),
            ),
            _rule(
                "Allow-HANA-From-App", 110, "Inbound", "Allow", "Tcp", (), (),
                ("30013", "30015", "30040-30044"), src_asgs=(SAP_APP_ASG,), dst_asgs=(HANA_ASG,),
            ),
            _rule("Allow-ASR-Out", 100, "Outbound", "Allow", "Tcp", (sap,), ("AzureSiteRecovery",), https),
            _rule("Allow-Storage-Out", 110, "Outbound", "Allow", "Tcp", (sap,), ("Storage.EastUS",), https),
            _rule("Allow-EntraID-Out", 120, "Outbound", "Allow", "Tcp", (sap,), ("AzureActiveDirectory",), https),
            _rule("Allow-EventHub-Out", 130, "Outbound", "Allow", "Tcp", (sap,), ("EventHub.WestUS2",), https),
            _rule("Allow-KeyVault-Out", 140, "Outbound", "Allow", "Tcp", (sap,), ("AzureKeyVault",), https),
            _rule(
                "Allow-Automation-Out", 150, "Outbound", "Allow", "Tcp", (sap,),
                ("GuestAndHybridManagement",), https,
            ),
            _rule("Deny-Internet-Out", 4000, "Outbound", "Deny", "*", ("*",), ("Internet",)),
        ),
        "nsg-win": (
            _rule("Allow-RDP-From-Hub", 100, "Inbound", "Allow", "Tcp", (HUB,), ("*",), ("3389",)),
            _rule("Allow-SQL-From-App", 110, "Inbound", "Allow", "Tcp", (app,), ("*",), ("1433",)),
            # copied from a 2023 spreadsheet of Entra ID addresses instead of the service tag
            _rule(
                "Allow-EntraID-IPs-Out", 100, "Outbound", "Allow", "Tcp", ("*",),
                _ipv4(tags, "AzureActiveDirectory"), https,
            ),
            _rule("Allow-ASR-Out", 110, "Outbound", "Allow", "Tcp", ("*",), ("AzureSiteRecovery",), https),
            _rule("Allow-Storage-Out", 120, "Outbound", "Allow", "Tcp", ("*",), ("Storage.EastUS",), https),
            _rule("Allow-EventHub-Out", 130, "Outbound", "Allow", "Tcp", ("*",), ("EventHub.WestUS2",), https),
            _rule(
                "Allow-Automation-Out", 140, "Outbound", "Allow", "Tcp", ("*",),
                ("GuestAndHybridManagement",), https,
            ),
            _rule("Deny-Internet-Out", 4000, "Outbound", "Deny", "*", ("*",), ("Internet",)),
        ),
    }  # fmt: skip


def _nic_nsgs() -> dict[str, NetworkSecurityGroup]:
    """NIC-level NSGs, by VM name."""
    https = ("443",)

    def make(sub: str, rg: str, vm: str, *rules: SecurityRule) -> NetworkSecurityGroup:
        name = f"nsg-{vm}"
        nsg = res_id(sub, rg, "Microsoft.Network", "networkSecurityGroups", name)
        return NetworkSecurityGroup(nsg, name, SOURCE_REGION, rules)

    return {
        "vm-web-03": make(
            SHOP_SUB, SHOP_RG, "vm-web-03",
            _rule("Deny-Automation-Out", 200, "Outbound", "Deny", "*", ("*",), ("GuestAndHybridManagement",)),
        ),
        "vm-app-01": make(
            SHOP_SUB, SHOP_RG, "vm-app-01",
            _rule("Allow-Storage-Out", 100, "Outbound", "Allow", "Tcp", ("*",), ("Storage.EastUS",), https),
            _rule("Allow-EntraID-Out", 110, "Outbound", "Allow", "Tcp", ("*",), ("AzureActiveDirectory",), https),
            _rule("Deny-Internet-Out", 4000, "Outbound", "Deny", "*", ("*",), ("Internet",)),
        ),
        "vm-sap-db-01": make(
            ERP_SUB, ERP_RG, "vm-sap-db-01",
            _rule(
                "Allow-HANA-In", 100, "Inbound", "Allow", "Tcp", ("10.20.1.0/24",), ("*",),
                ("30013", "30015", "30040-30044"),
            ),
            _rule("Allow-Bastion-In", 200, "Inbound", "Allow", "Tcp", (HUB,), ("*",), ("22",)),
            _rule("Deny-VNet-In", 4000, "Inbound", "Deny", "*", ("VirtualNetwork",), ("*",)),
        ),
    }  # fmt: skip


def apply(snapshot: Snapshot) -> Snapshot:
    tags = service_tags()
    rules = _subnet_rules(tags)
    nic_nsgs = _nic_nsgs()
    nsgs = tuple(
        replace(n, rules=rules.get(n.name, n.rules)) for n in snapshot.network_security_groups
    )
    vm_names = {vm.id: vm.name for vm in snapshot.vms}

    def nic(n: NetworkInterface) -> NetworkInterface:
        name = vm_names.get(n.vm_id or "", "")
        if not n.name.endswith("-nic"):  # secondary NICs keep their facts
            return n
        asgs = {"vm-sap-db-01": (HANA_ASG,), "vm-sap-app-01": (SAP_APP_ASG,)}.get(name, ())
        ipcs = tuple(
            replace(ipc, asg_ids=asgs) if ipc.primary else ipc for ipc in n.ip_configurations
        )
        extra = nic_nsgs.get(name)
        return replace(n, ip_configurations=ipcs, nsg_id=extra.id if extra else n.nsg_id)

    def subnet(s: Subnet) -> Subnet:
        if s.name == "snet-batch":
            return replace(s, route_table_id=ROUTE_TABLE)
        return replace(s, service_endpoints=("Microsoft.Storage",))

    def vnet(v: VirtualNetwork) -> VirtualNetwork:
        other = "10.20.0.0/16" if v.name == "vnet-shop-prod" else "10.10.0.0/16"
        return replace(v, peered_address_prefixes=(other, HUB))  # both peer with the hub

    def vm(v: VirtualMachine) -> VirtualMachine:
        kind = ADE_VMS.get(v.name)
        if kind is None:
            return v
        ade = Extension(
            kind,
            "Microsoft.Azure.Security",
            kind,
            "2.2",
            "Succeeded",
            "Provisioning succeeded",
            "Info",
        )
        return replace(v, extensions=(*(v.extensions or ()), ade))

    table = RouteTable(
        ROUTE_TABLE,
        "rt-batch-egress",
        (
            Route("default-to-hub-firewall", "0.0.0.0/0", "VirtualAppliance", HUB_FIREWALL),
            Route("onprem", "192.168.0.0/16", "VirtualNetworkGateway"),
        ),
    )
    cache = snapshot.cache_storage
    if cache is not None:
        cache = replace(
            cache,
            network_default_action="Deny",
            network_bypass=("AzureServices",),
            virtual_network_subnet_ids=tuple(subnet_id(s) for s in ADMITTED),
        )
    return replace(
        snapshot,
        vms=tuple(vm(v) for v in snapshot.vms),
        network_interfaces=tuple(nic(n) for n in snapshot.network_interfaces),
        network_security_groups=(*nsgs, *nic_nsgs.values()),
        subnets=tuple(subnet(s) for s in snapshot.subnets),
        virtual_networks=tuple(vnet(v) for v in snapshot.virtual_networks),
        route_tables=(*snapshot.route_tables, table),
        service_tags=tags,
        cache_storage=cache,
    )


__all__ = ["apply", "nsg_id", "service_tags"]
