"""Builds fake ARM estates from Azure's official example responses (``examples/``, see SOURCES.md).

Each resource starts as a deep copy of an official example body; only ids, names and the fields a
test is about are rewritten. The collections are the paths the real SDK lists:
``/subscriptions/S/providers/Microsoft.Compute/virtualMachines`` and so on.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from fakes.arm import Estate

EXAMPLES = Path(__file__).parent / "examples"


@cache
def _example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / name).read_text())
    body: dict[str, Any] = data["responses"]["200"]["body"]
    return body


def example(name: str) -> dict[str, Any]:
    return copy.deepcopy(_example(name))


def rid(sub: str, rg: str, provider: str, *names: str) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{provider}/" + "/".join(names)


def sub_list(sub: str, provider: str) -> str:
    return f"/subscriptions/{sub}/providers/{provider}"


@dataclass
class VmSpec:
    name: str
    rg: str
    location: str = "eastus"
    size: str = "Standard_DS3_v2"
    os_type: str = "Linux"
    data_disks: int = 1
    power: str = "running"
    agent: str = "Ready"
    provisioning: str = "Succeeded"
    ephemeral: bool = False
    tags: dict[str, str] = field(default_factory=dict)
    failed_extension: bool = False
    eligibility_errors: tuple[tuple[str, str], ...] = ()
    status_has_agent: bool = True  # False: the status-only list omits vmAgent
    ade_vault: str | None = None  # ADE: the key vault id its disks' encryption settings name
    status_has_extensions: bool = True  # False: the status-only list omits extensions
    extensions: bool = True  # False: the VM has none (its own instance view lists none)
    security_type: str | None = None  # "TrustedLaunch", "ConfidentialVM"
    time_created: str = "2024-09-12T08:15:02.1234567+00:00"
    encryption_at_host: bool = False
    disk_sku: str = "Premium_LRS"  # of every disk
    shared_data_disk: bool = False  # data disk 0 with maxShares 2
    disk_encryption_set: str | None = None  # DES id: every disk with a customer-managed key
    availability_set: str | None = None
    proximity_placement_group: str | None = None
    eligibility_warnings: tuple[tuple[str, str], ...] = ()  # entries with status "Warning"


class EstateBuilder:
    """Adds resources to an :class:`Estate`; one call per VM, network, region, vault…"""

    def __init__(self, estate: Estate | None = None) -> None:
        self.estate = estate or Estate()
        self._networks: dict[tuple[str, str], tuple[str, str]] = {}
        self._ip = 4

    # -- network -------------------------------------------------------------------------------

    def network(self, sub: str, rg: str, location: str = "eastus") -> tuple[str, str]:
        """A VNet (VirtualNetworkGet) with one subnet (SubnetGet), an NSG (NetworkSecurityGroupGet)
        and a route table; returns (subnet id, nsg id)."""
        key = (sub, rg)
        if key in self._networks:
            return self._networks[key]
        vnet_id = rid(sub, rg, "Microsoft.Network", "virtualNetworks", f"{rg}-vnet")
        nsg_id = rid(sub, rg, "Microsoft.Network", "networkSecurityGroups", f"{rg}-nsg")
        rt_id = rid(sub, rg, "Microsoft.Network", "routeTables", f"{rg}-rt")
        subnet = example("SubnetGet.json")
        subnet["id"] = f"{vnet_id}/subnets/default"
        subnet["name"] = "default"
        subnet["properties"].update(
            {
                "addressPrefix": "10.1.0.0/24",
                "networkSecurityGroup": {"id": nsg_id},
                "routeTable": {"id": rt_id},
                "serviceEndpoints": [{"service": "Microsoft.Storage", "locations": [location]}],
            }
        )
        vnet = example("VirtualNetworkGet.json")
        vnet.update({"id": vnet_id, "name": f"{rg}-vnet", "location": location})
        vnet["properties"]["addressSpace"]["addressPrefixes"] = ["10.1.0.0/16"]
        vnet["properties"].pop("defaultPublicNatGateway", None)
        vnet["properties"]["subnets"] = [subnet]
        vnet["properties"]["virtualNetworkPeerings"] = [
            {
                "name": "to-hub",
                "id": f"{vnet_id}/virtualNetworkPeerings/to-hub",
                "properties": {
                    "peeringState": "Connected",
                    "remoteAddressSpace": {"addressPrefixes": ["10.100.0.0/16"]},
                    "remoteVirtualNetwork": {
                        "id": rid("x", "hub", "Microsoft.Network", "virtualNetworks", "hub")
                    },
                },
            }
        ]
        self.estate.add(sub_list(sub, "Microsoft.Network/virtualNetworks"), vnet)
        self.estate.put(subnet["id"], subnet)  # Subnets_Get
        nsg = example("NetworkSecurityGroupGet.json")
        nsg.update({"id": nsg_id, "name": f"{rg}-nsg", "location": location})
        nsg["properties"]["securityRules"].append(
            {
                "name": "allow-https-out",
                "id": f"{nsg_id}/securityRules/allow-https-out",
                "properties": {
                    "protocol": "Tcp",
                    "sourcePortRange": "*",
                    "destinationPortRanges": ["443", "8443"],
                    "sourceAddressPrefix": "*",
                    "destinationAddressPrefixes": ["Storage.EastUS", "AzureActiveDirectory"],
                    "access": "Allow",
                    "priority": 200,
                    "direction": "Outbound",
                },
            }
        )
        self.estate.add(sub_list(sub, "Microsoft.Network/networkSecurityGroups"), nsg)
        route_table = {
            "id": rt_id,
            "name": f"{rg}-rt",
            "location": location,
            "type": "Microsoft.Network/routeTables",
            "properties": {
                "routes": [
                    {
                        "name": "default-via-fw",
                        "id": f"{rt_id}/routes/default-via-fw",
                        "properties": {
                            "addressPrefix": "0.0.0.0/0",
                            "nextHopType": "VirtualAppliance",
                            "nextHopIpAddress": "10.100.0.4",
                        },
                    }
                ]
            },
        }
        self.estate.add(sub_list(sub, "Microsoft.Network/routeTables"), route_table)
        self._networks[key] = (f"{vnet_id}/subnets/default", nsg_id)
        return self._networks[key]

    # -- VMs -------------------------------------------------------------------------------------

    def vm(self, sub: str, spec: VmSpec) -> str:
        subnet_id, nsg_id = self.network(sub, spec.rg, spec.location)
        vm_id = rid(sub, spec.rg, "Microsoft.Compute", "virtualMachines", spec.name)
        nic_id = rid(sub, spec.rg, "Microsoft.Network", "networkInterfaces", f"{spec.name}-nic")
        vm = example("VirtualMachine_Get.json")
        vm.update(
            {"id": vm_id, "name": spec.name, "location": spec.location, "tags": dict(spec.tags)}
        )
        for key in ("managedBy", "resources"):
            vm.pop(key, None)
        props = vm["properties"]
        for key in ("availabilitySet", "proximityPlacementGroup", "applicationProfile", "userData"):
            props.pop(key, None)
        if spec.availability_set:
            props["availabilitySet"] = {"id": spec.availability_set}
        if spec.proximity_placement_group:
            props["proximityPlacementGroup"] = {"id": spec.proximity_placement_group}
        props["timeCreated"] = spec.time_created
        if spec.security_type or spec.encryption_at_host:
            security: dict[str, Any] = {}
            if spec.security_type:
                security["securityType"] = spec.security_type
                security["uefiSettings"] = {"secureBootEnabled": True, "vTpmEnabled": True}
            if spec.encryption_at_host:
                security["encryptionAtHost"] = True
            props["securityProfile"] = security
        props["provisioningState"] = spec.provisioning
        props["hardwareProfile"]["vmSize"] = spec.size
        storage = props["storageProfile"]
        os_disk = storage["osDisk"]
        os_disk.update({"osType": spec.os_type, "name": f"{spec.name}-osdisk"})
        os_disk["managedDisk"]["id"] = rid(
            sub, spec.rg, "Microsoft.Compute", "disks", f"{spec.name}-osdisk"
        )
        if spec.ephemeral:
            os_disk["diffDiskSettings"] = {"option": "Local", "placement": "CacheDisk"}
            os_disk["caching"] = "ReadOnly"
        template = storage["dataDisks"][0]
        storage["dataDisks"] = []
        for lun in range(spec.data_disks):
            disk = copy.deepcopy(template)
            name = f"{spec.name}-data{lun}"
            disk.update({"lun": lun, "name": name, "createOption": "Attach"})
            disk["managedDisk"]["id"] = rid(sub, spec.rg, "Microsoft.Compute", "disks", name)
            storage["dataDisks"].append(disk)
        props["osProfile"]["computerName"] = spec.name
        if spec.os_type == "Linux":
            props["osProfile"].pop("windowsConfiguration", None)
            props["osProfile"]["linuxConfiguration"] = {"provisionVMAgent": True}
        props["networkProfile"]["networkInterfaces"] = [
            {"id": nic_id, "properties": {"primary": True}}
        ]
        self.estate.add(sub_list(sub, "Microsoft.Compute/virtualMachines"), vm)

        # instance view (VirtualMachine_Get_InstanceView), served in the statusOnly list
        view = example("VirtualMachine_Get_InstanceView.json")
        view.pop("patchStatus", None)
        view["computerName"] = spec.name
        view["statuses"] = [
            {
                "code": f"ProvisioningState/{spec.provisioning.lower()}",
                "level": "Info",
                "displayStatus": f"Provisioning {spec.provisioning.lower()}",
            },
            {
                "code": f"PowerState/{spec.power}",
                "level": "Info",
                "displayStatus": f"VM {spec.power}",
            },
        ]
        view["vmAgent"]["statuses"][0]["displayStatus"] = spec.agent
        if spec.failed_extension:
            ext = view["extensions"][0]
            ext["statuses"] = [
                {
                    "code": "ProvisioningState/failed/3",
                    "level": "Error",
                    "displayStatus": "Provisioning failed",
                    "message": "enable failed",
                }
            ]
        if not spec.status_has_agent:
            view.pop("vmAgent")
        if not spec.extensions:
            view.pop("extensions")
        full_extensions = view.get("extensions")
        if not spec.status_has_extensions:
            view.pop("extensions", None)
        view["disks"] = []
        status_item = {
            "id": vm_id,
            "name": spec.name,
            "location": spec.location,
            "type": "Microsoft.Compute/virtualMachines",
            "properties": {"instanceView": view},
        }
        self.estate.lists.setdefault(
            sub_list(sub, "Microsoft.Compute/virtualMachines").lower() + "#statusonly", []
        ).append(status_item)
        full_view = copy.deepcopy(view)
        if full_extensions is not None:
            full_view["extensions"] = copy.deepcopy(full_extensions)
        if "vmAgent" not in full_view:
            full_view["vmAgent"] = example("VirtualMachine_Get_InstanceView.json")["vmAgent"]
            full_view["vmAgent"]["statuses"][0]["displayStatus"] = spec.agent
        self.estate.put(f"{vm_id}/instanceView", full_view)

        # NIC (NetworkInterfaceGet)
        nic = example("NetworkInterfaceGet.json")
        nic.update({"id": nic_id, "name": f"{spec.name}-nic", "location": spec.location})
        nprops = nic["properties"]
        nprops.pop("dscpConfiguration", None)
        nprops["virtualMachine"] = {"id": vm_id}
        nprops["networkSecurityGroup"] = {"id": nsg_id}
        ipc = nprops["ipConfigurations"][0]
        ipc["id"] = f"{nic_id}/ipConfigurations/ipconfig1"
        self._ip += 1
        ipc["properties"]["privateIPAddress"] = f"10.1.{self._ip // 250}.{self._ip % 250 + 4}"
        ipc["properties"]["subnet"] = {"id": subnet_id}
        ipc["properties"].pop("publicIPAddress", None)
        nprops["ipConfigurations"] = [ipc]
        self.estate.add(sub_list(sub, "Microsoft.Network/networkInterfaces"), nic)

        # managed disks (Disk_Get)
        for disk_ref, size in [(os_disk, 64)] + [(d, 128) for d in storage["dataDisks"]]:
            disk = example("Disk_Get.json")
            name = disk_ref["name"]
            disk.update(
                {
                    "id": disk_ref["managedDisk"]["id"],
                    "name": name,
                    "location": spec.location,
                    "managedBy": vm_id,
                    "sku": {"name": spec.disk_sku},
                }
            )
            dprops = disk["properties"]
            dprops["diskSizeGB"] = size
            if spec.ade_vault:  # Disk_Get's own encryptionSettingsCollection, vault rewritten
                collection = dprops["encryptionSettingsCollection"]
                for element in collection["encryptionSettings"]:
                    element["diskEncryptionKey"]["sourceVault"]["id"] = spec.ade_vault
                    element.pop("keyEncryptionKey", None)
            else:
                dprops.pop("encryptionSettingsCollection", None)
            if spec.shared_data_disk and disk_ref is not os_disk and disk_ref["lun"] == 0:
                dprops["maxShares"] = 2
            if spec.disk_encryption_set:
                dprops["encryption"] = {
                    "type": "EncryptionAtRestWithCustomerKey",
                    "diskEncryptionSetId": spec.disk_encryption_set,
                }
            dprops.pop("purchasePlan", None)
            self.estate.add(sub_list(sub, "Microsoft.Compute/disks"), disk)

        # ASR eligibility (ReplicationEligibilityResults_Get)
        result = example("ReplicationEligibilityResults_Get.json")
        path = f"{vm_id}/providers/Microsoft.RecoveryServices/replicationEligibilityResults/default"
        result["id"] = path
        template = result["properties"]["errors"][0]
        entries = [(c, m, "Error") for c, m in spec.eligibility_errors] + [
            (c, m, "Warning") for c, m in spec.eligibility_warnings
        ]
        result["properties"]["errors"] = [
            {**template, "code": code, "message": msg, "status": status}
            for code, msg, status in entries
        ]
        self.estate.put(path, result)
        return vm_id

    # -- locks, disk encryption sets, leftover disks ------------------------------------------------

    def lock(self, sub: str, scope: str, name: str, level: str) -> None:
        """A management lock on ``scope`` (ManagementLocks_ListAtSubscriptionLevel's item)."""
        lock = example("ManagementLocks_ListAtSubscriptionLevel.json")["value"][0]
        lock.update({"id": f"{scope}/providers/Microsoft.Authorization/locks/{name}", "name": name})
        lock["properties"]["level"] = level
        self.estate.add(sub_list(sub, "Microsoft.Authorization/locks"), lock)

    def disk_encryption_set(self, sub: str, rg: str, name: str, location: str) -> str:
        """A disk encryption set (DiskEncryptionSet_ListBySubscription's item)."""
        des = example("DiskEncryptionSet_ListBySubscription.json")["value"][0]
        des_id = rid(sub, rg, "Microsoft.Compute", "diskEncryptionSets", name)
        des.update({"id": des_id, "name": name, "location": location})
        self.estate.add(sub_list(sub, "Microsoft.Compute/diskEncryptionSets"), des)
        return des_id

    def loose_disk(self, sub: str, rg: str, name: str, location: str) -> str:
        """An unattached managed disk (Disk_Get), e.g. a replica left by an earlier protection."""
        disk = example("Disk_Get.json")
        disk_id = rid(sub, rg, "Microsoft.Compute", "disks", name)
        disk.update({"id": disk_id, "name": name, "location": location})
        disk.pop("managedBy", None)
        disk["properties"].pop("encryptionSettingsCollection", None)
        self.estate.add(sub_list(sub, "Microsoft.Compute/disks"), disk)
        return disk_id

    # -- regions ---------------------------------------------------------------------------------

    def region(
        self, sub: str, region: str, sizes: tuple[str, ...] = ("Standard_DS3_v2", "Standard_D2s_v3")
    ) -> None:
        """Resource SKUs (ListAvailableResourceSkus), compute and network usages (UsageList)."""
        template = example("ListAvailableResourceSkus.json")["value"][1]
        skus = self.estate.lists.setdefault(sub_list(sub, "Microsoft.Compute/skus").lower(), [])
        for size in sizes:
            sku = copy.deepcopy(template)
            sku.update(
                {
                    "name": size,
                    "size": size.split("_", 1)[1],
                    "locations": [region],
                    "family": "standardDSv2Family" if "DS" in size else "standardDSv3Family",
                }
            )
            sku["locationInfo"] = [{"location": region, "zones": ["1", "2", "3"]}]
            caps = {c["name"]: c for c in sku["capabilities"]}
            caps["vCPUs"]["value"] = "4"
            caps["vCPUsAvailable"]["value"] = "4"
            caps["MemoryGB"]["value"] = "14"
            caps["MaxDataDiskCount"]["value"] = "16"
            caps["MaxNetworkInterfaces"]["value"] = "4"
            skus.append(sku)
        # a non-VM SKU, which the collector must drop
        skus.append(
            {
                "resourceType": "disks",
                "name": "Premium_LRS",
                "tier": "Premium",
                "locations": [region],
                "capabilities": [],
                "locationInfo": [],
            }
        )
        network = example("UsageList.json")["value"]
        for usage in network:
            usage["id"] = usage["id"].replace("/subid/", f"/{sub}/").replace("westus", region)
        self.estate.lists[sub_list(sub, f"Microsoft.Network/locations/{region}/usages").lower()] = (
            network
        )
        shape = network[0]
        compute = []
        for name, local, current, limit in [
            ("cores", "Total Regional vCPUs", 40, 350),
            ("virtualMachines", "Virtual Machines", 10, 25000),
            ("standardDSv2Family", "Standard DSv2 Family vCPUs", 8, 100),
            ("standardDSv3Family", "Standard DSv3 Family vCPUs", 0, 100),
        ]:
            usage = copy.deepcopy(shape)
            usage.pop("id", None)
            usage.update(
                {
                    "currentValue": current,
                    "limit": limit,
                    "unit": "Count",
                    "name": {"value": name, "localizedValue": local},
                }
            )
            compute.append(usage)
        self.estate.lists[sub_list(sub, f"Microsoft.Compute/locations/{region}/usages").lower()] = (
            compute
        )

    def service_tags(self, sub: str, region: str) -> None:
        tags = example("ServiceTagsList.json")
        tags["nextLink"] = None
        tags["values"].append(
            {
                "name": "Storage.EastUS",
                "id": "Storage.EastUS",
                "properties": {
                    "addressPrefixes": ["20.38.96.0/19", "52.239.152.0/22"],
                    "changeNumber": "3",
                    "region": "eastus",
                    "systemService": "AzureStorage",
                },
            }
        )
        self.estate.put(sub_list(sub, f"Microsoft.Network/locations/{region}/serviceTags"), tags)

    # -- vault, storage, resource groups, RBAC -----------------------------------------------------

    def resource_group(self, sub: str, rg: str, location: str) -> None:
        rg_id = f"/subscriptions/{sub}/resourceGroups/{rg}"
        self.estate.put(
            rg_id,
            {
                "id": rg_id,
                "name": rg,
                "location": location,
                "type": "Microsoft.Resources/resourceGroups",
                "properties": {"provisioningState": "Succeeded"},
            },
        )

    def vault(self, sub: str, rg: str, name: str, location: str) -> str:
        vault = example("GETVault.json")
        vault_id = rid(sub, rg, "Microsoft.RecoveryServices", "vaults", name)
        vault.update({"id": vault_id, "name": name, "location": location})
        self.estate.put(vault_id, vault)
        self.estate.add(sub_list(sub, "Microsoft.RecoveryServices/vaults"), vault)
        self.estate.lists.setdefault(f"{vault_id}/replicationNetworkMappings".lower(), [])
        self.resource_group(sub, rg, location)
        return vault_id

    def storage(
        self,
        sub: str,
        rg: str,
        name: str,
        location: str,
        *,
        soft_delete: bool = False,
        private_endpoint: str | None = None,
        public_network_access: str | None = None,
    ) -> str:
        """A storage account (StorageAccountGetProperties) with, optionally, a private endpoint
        connection (StorageAccountGetPrivateEndpointConnection), and its blob service
        properties (no official example was stored; the shape of BlobServices_GetServiceProperties)."""
        account_id = rid(sub, rg, "Microsoft.Storage", "storageAccounts", name)
        account = example("StorageAccountGetProperties.json")
        account.update({"id": account_id, "name": name, "location": location, "kind": "StorageV2"})
        account["sku"] = {"name": "Standard_LRS", "tier": "Standard"}
        props = account["properties"]
        for key in ("primaryLocation", "secondaryLocation", "geoReplicationStats", "isHnsEnabled"):
            props.pop(key, None)
        props["allowSharedKeyAccess"] = None
        props["primaryEndpoints"] = {"blob": f"https://{name}.blob.core.windows.net/"}
        props["networkAcls"].update(
            {
                "bypass": "AzureServices, Logging",
                "defaultAction": "Deny",
                "ipRules": [{"value": "203.0.113.0/24", "action": "Allow"}],
                "virtualNetworkRules": [],
            }
        )  # resourceAccessRules: the example's Synapse workspace
        if public_network_access is not None:
            props["publicNetworkAccess"] = public_network_access
        if private_endpoint is not None:
            conn = example("StorageAccountGetPrivateEndpointConnection.json")
            conn["id"] = (
                f"{account_id}/privateEndpointConnections/{private_endpoint.rsplit('/', 1)[1]}"
            )
            conn["name"] = private_endpoint.rsplit("/", 1)[1]
            conn["properties"]["privateEndpoint"]["id"] = private_endpoint
            props["privateEndpointConnections"] = [conn]
        self.estate.put(account_id, account)
        self.estate.add(sub_list(sub, "Microsoft.Storage/storageAccounts"), account)
        self.estate.put(
            f"{account_id}/blobServices/default",
            {
                "id": f"{account_id}/blobServices/default",
                "name": "default",
                "type": "Microsoft.Storage/storageAccounts/blobServices",
                "properties": {
                    "deleteRetentionPolicy": {
                        "enabled": soft_delete,
                        "days": 7 if soft_delete else None,
                    }
                },
            },
        )
        return account_id

    # -- outbound paths and private link (ASR010, ASR210, ASR211) ----------------------------------

    def load_balancer(
        self,
        sub: str,
        rg: str,
        name: str,
        nic_ids: list[str],
        *,
        outbound_rule: bool,
        ip_based: bool = False,
    ) -> str:
        """A Standard internal load balancer (LoadBalancerListAll's first item) whose backend
        pool holds the NICs' first IP configurations, with an outbound rule or without.
        ``ip_based``: the pool lists them only as ``loadBalancerBackendAddresses`` (VNet and
        private IP, as ARM serves an IP-based pool), and the NICs list no pool."""
        lb = example("LoadBalancerListAll.json")["value"][0]
        lb_id = rid(sub, rg, "Microsoft.Network", "loadBalancers", name)
        text = json.dumps(lb).replace(
            "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/loadBalancers/lb",
            lb_id,
        )
        lb = json.loads(text)
        lb.update({"id": lb_id, "name": name, "location": "eastus", "sku": {"name": "Standard"}})
        pool = lb["properties"]["backendAddressPools"][0]
        members = [{"id": f"{n}/ipConfigurations/ipconfig1"} for n in nic_ids]
        pool["properties"]["backendIPConfigurations"] = [] if ip_based else members
        addresses = pool["properties"].setdefault("loadBalancerBackendAddresses", [])
        for item in self.estate.lists.get(
            sub_list(sub, "Microsoft.Network/networkInterfaces").lower(), []
        ):
            if item["id"] not in nic_ids:
                continue
            ipc = item["properties"]["ipConfigurations"][0]["properties"]
            if ip_based:
                vnet = ipc["subnet"]["id"].split("/subnets/")[0]
                addresses.append(
                    {
                        "name": f"{item['name']}-address",
                        "properties": {
                            "ipAddress": ipc["privateIPAddress"],
                            "virtualNetwork": {"id": vnet},
                        },
                    }
                )
            else:  # the NIC side lists the pool too
                ipc.setdefault("loadBalancerBackendAddressPools", []).append({"id": pool["id"]})
        if outbound_rule:
            lb["properties"]["outboundRules"] = [
                {
                    "name": "out",
                    "id": f"{lb_id}/outboundRules/out",
                    "properties": {
                        "allocatedOutboundPorts": 1024,
                        "protocol": "All",
                        "frontendIPConfigurations": [
                            {"id": f"{lb_id}/frontendIPConfigurations/felb"}
                        ],
                        "backendAddressPool": {"id": pool["id"]},
                    },
                }
            ]
        self.estate.add(sub_list(sub, "Microsoft.Network/loadBalancers"), lb)
        return lb_id

    def private_endpoint(
        self, sub: str, rg: str, name: str, subnet_id: str, target: str, group: str
    ) -> str:
        """A private endpoint (PrivateEndpointList's first item) to ``target``'s ``group``."""
        pe = example("PrivateEndpointList.json")["value"][0]
        pe_id = rid(sub, rg, "Microsoft.Network", "privateEndpoints", name)
        pe.update({"id": pe_id, "name": name})
        props = pe["properties"]
        conn = props["privateLinkServiceConnections"][0]
        conn["id"] = f"{pe_id}/privateLinkServiceConnections/{name}"
        conn["properties"].update({"privateLinkServiceId": target, "groupIds": [group]})
        props["subnet"] = {"id": subnet_id}
        self.estate.add(sub_list(sub, "Microsoft.Network/privateEndpoints"), pe)
        return pe_id

    def dns_zone(self, sub: str, rg: str, vnet_ids: list[str]) -> str:
        """The Site Recovery private DNS zone (PrivateZoneListInSubscription) linked to the
        VNets (VirtualNetworkLinkList), next to an unrelated zone the collector must drop."""
        zones = example("PrivateZoneListInSubscription.json")["value"]
        zone, other = zones
        name = "privatelink.siterecovery.windowsazure.com"
        zone_id = rid(sub, rg, "Microsoft.Network", "privateDnsZones", name)
        zone.update({"id": zone_id, "name": name})
        other["id"] = rid(sub, rg, "Microsoft.Network", "privateDnsZones", other["name"])
        base = sub_list(sub, "Microsoft.Network/privateDnsZones")
        self.estate.add(base, zone)
        self.estate.add(base, other)
        template = example("VirtualNetworkLinkList.json")["value"][0]
        links = self.estate.lists.setdefault(f"{zone_id}/virtualNetworkLinks".lower(), [])
        for i, vnet in enumerate(vnet_ids):
            link = copy.deepcopy(template)
            link["id"] = f"{zone_id}/virtualNetworkLinks/link{i}"
            link["name"] = f"link{i}"
            link["properties"]["virtualNetwork"]["id"] = vnet
            links.append(link)
        return zone_id

    def rbac(self, sub: str, oid: str, scope: str | None = None) -> None:
        """A role assignment for ``oid`` (RoleAssignments_ListForScope) of a role
        (GetRoleDefinitionByName), and a deny assignment (GetDenyAssignmentsForResourceGroup)."""
        scope = scope or f"/subscriptions/{sub}"
        contributor = "b24988ac-6180-42a0-ab88-20f7382dd24c"
        role_id = (
            f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{contributor}"
        )
        assignments = example("RoleAssignments_ListForScope.json")["value"]
        item = assignments[0]
        item["id"] = f"{scope}/providers/Microsoft.Authorization/roleAssignments/{item['name']}"
        item["properties"].update({"roleDefinitionId": role_id, "principalId": oid, "scope": scope})
        item["_assigned_to"] = oid
        other = copy.deepcopy(item)
        other["name"] = "0000aaaa-0000-0000-0000-000000000000"
        other["properties"]["principalId"] = "99999999-9999-9999-9999-999999999999"
        other["_assigned_to"] = "99999999-9999-9999-9999-999999999999"
        base = sub_list(sub, "Microsoft.Authorization/roleAssignments")
        self.estate.add(base, item)
        self.estate.add(base, other)
        role = example("GetRoleDefinitionByName.json")
        role.update({"id": role_id, "name": role_id.rsplit("/", 1)[1]})
        role["properties"].update(
            {"roleName": "Contributor", "type": "BuiltInRole", "assignableScopes": ["/"]}
        )
        role["properties"]["permissions"] = [
            {
                "actions": ["*"],
                "notActions": [
                    "Microsoft.Authorization/*/Delete",
                    "Microsoft.Authorization/*/Write",
                ],
                "dataActions": [],
                "notDataActions": [],
            }
        ]
        self.estate.put(role_id, role)
        deny = example("GetDenyAssignmentsForResourceGroup.json")["value"]
        for d in deny:
            d["id"] = (
                f"/subscriptions/{sub}/resourcegroups/rgname/providers/Microsoft.Authorization/denyAssignments/{d['name']}"
            )
            d["properties"]["scope"] = f"/subscriptions/{sub}/resourcegroups/rgname"
        self.estate.lists[sub_list(sub, "Microsoft.Authorization/denyAssignments").lower()] = deny

    def rbac_management_group(
        self,
        subs: tuple[str, ...],
        oid: str,
        mg: str,
        role_name: str,
        actions: tuple[str, ...],
        *,
        guid: str = "7f6c6a51-bcf8-42ba-9220-52d62157d7db",
    ) -> str:
        """An assignment for ``oid`` at management group ``mg`` of a custom role defined there
        (RoleAssignments_ListForScope, GetRoleDefinitionByName shapes), listed by ARM for every
        subscription in ``subs`` (those under ``mg``) as ``assignedTo()`` lists an ancestor's.
        Replaces the subscriptions' other assignments. Returns the role definition id."""
        scope = f"/providers/Microsoft.Management/managementGroups/{mg}"
        role_id = f"{scope}/providers/Microsoft.Authorization/roleDefinitions/{guid}"
        item = example("RoleAssignments_ListForScope.json")["value"][0]
        item["name"] = "b0f43c54-e787-4862-89b1-a653fa9cf747"
        item["id"] = f"{scope}/providers/Microsoft.Authorization/roleAssignments/{item['name']}"
        item["properties"].update({"roleDefinitionId": role_id, "principalId": oid, "scope": scope})
        item["_assigned_to"] = oid
        for sub in subs:
            key = sub_list(sub, "Microsoft.Authorization/roleAssignments").lower()
            self.estate.lists[key] = [copy.deepcopy(item)]
        role = example("GetRoleDefinitionByName.json")
        role.update({"id": role_id, "name": guid})
        role["properties"].update(
            {"roleName": role_name, "type": "CustomRole", "assignableScopes": [scope]}
        )
        role["properties"]["permissions"] = [
            {"actions": list(actions), "notActions": [], "dataActions": [], "notDataActions": []}
        ]
        self.estate.put(role_id, role)
        return role_id

    def key_vault(
        self,
        sub: str,
        rg: str,
        name: str,
        location: str,
        *,
        rbac: bool | None = False,
        policy_for: tuple[str, ...] = (),
    ) -> str:
        """A key vault in its subscription's list (Vaults_ListBySubscription example), with an
        access policy granting the example's permissions to each object id in ``policy_for``;
        ``rbac`` None leaves ``enableRbacAuthorization`` out, as older vaults do."""
        vault = example("listVaultBySubscription.json")["value"][0]
        vault_id = rid(sub, rg, "Microsoft.KeyVault", "vaults", name)
        vault.update({"id": vault_id, "name": name, "location": location})
        props = vault["properties"]
        template = props["accessPolicies"][0]
        props["accessPolicies"] = []
        for oid in policy_for:
            entry = copy.deepcopy(template)
            entry["objectId"] = oid
            props["accessPolicies"].append(entry)
        props["vaultUri"] = f"https://{name}.vault.azure.net/"
        if rbac is not None:
            props["enableRbacAuthorization"] = rbac
        self.estate.add(sub_list(sub, "Microsoft.KeyVault/vaults"), vault)
        return vault_id

    def management_group(self, group: str, children: dict[str, str]) -> None:
        """The descendants listing of ``group`` (GetDescendants example shapes): ``children``
        maps a subscription id or a management group name to its parent management group."""
        template = example("GetDescendants.json")["value"]
        items = []
        for child, parent in children.items():
            is_sub = len(child) == 36 and child.count("-") == 4
            item = copy.deepcopy(template[1] if is_sub else template[0])
            mg_base = "/providers/Microsoft.Management/managementGroups"
            item["id"] = f"/subscriptions/{child}" if is_sub else f"{mg_base}/{child}"
            item["name"] = child
            item["properties"]["displayName"] = child
            item["properties"]["parent"]["id"] = f"{mg_base}/{parent}"
            items.append(item)
        path = f"/providers/Microsoft.Management/managementGroups/{group}/descendants"
        self.estate.lists[path.lower()] = items

    def network_mapping(self, vault_id: str, source_vnet: str, target_vnet: str) -> None:
        """An Azure-to-Azure network mapping in the vault (ReplicationNetworkMappings_List
        example, its VMM-to-Azure ids rewritten to virtual networks)."""
        item = example("ReplicationNetworkMappings_List.json")["value"][0]
        name = f"map-{source_vnet.rsplit('/', 1)[-1]}"
        item["id"] = (
            f"{vault_id}/replicationFabrics/asr-a2a-default-eastus/replicationNetworks/"
            f"{source_vnet.rsplit('/', 1)[-1]}/replicationNetworkMappings/{name}"
        )
        item["name"] = name
        item["type"] = (
            "Microsoft.RecoveryServices/vaults/replicationFabrics/replicationNetworks/"
            "replicationNetworkMappings"
        )
        item["properties"].update(
            {
                "primaryNetworkId": source_vnet,
                "recoveryNetworkId": target_vnet,
                "fabricSpecificSettings": {
                    "instanceType": "AzureToAzure",
                    "primaryFabricLocation": "eastus",
                    "recoveryFabricLocation": "westus2",
                },
            }
        )
        self.estate.lists.setdefault(f"{vault_id}/replicationNetworkMappings".lower(), []).append(
            item
        )
