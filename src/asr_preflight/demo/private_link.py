"""The demo's outbound paths, private endpoints and vault identity (ASR010, ASR210, ASR211).

- ASR211: snet-web has a NAT gateway (an explicit path); vm-sap-db-01's NIC sits in the backend
  pool of a Standard internal load balancer without an outbound rule (no way out); the other VMs
  rely on default outbound access (pass, with a note).
- ASR010: the vault uses a Site Recovery private endpoint (Approved); the vault's identity holds
  Contributor and Storage Blob Data Contributor on the cache account; the private DNS zone
  privatelink.siterecovery.windowsazure.com is linked to vnet-shop-prod and vnet-erp-prod but
  not to vnet-batch, a VNet of its own (peered with vnet-erp-prod) that snet-batch moves into
  here: vm-batch-01 fails, every other VM passes.
- ASR210: the cache account's public access is Enabled without private endpoints; its firewall
  admits the subnets network.py lists, not snet-batch (vm-batch-01 fails).
"""

from __future__ import annotations

from dataclasses import replace

from asr_preflight.rbac import builtin_role
from asr_preflight.snapshot import (
    IdentityFacts,
    IpConfiguration,
    LoadBalancer,
    NetworkInterface,
    Permission,
    PrivateDnsZone,
    PrivateEndpoint,
    PrivateEndpointConnection,
    RoleAssignment,
    RoleDefinition,
    Snapshot,
    Subnet,
)

from .estate import CACHE_ID, VAULT_ID, VNETS, res_id, subnet_id, vnet_id

SHOP, ERP = list(VNETS)
BATCH_VNET = res_id(ERP, "rg-erp-prod", "Microsoft.Network", "virtualNetworks", "vnet-batch")
BATCH_SUBNET = f"{BATCH_VNET}/subnets/snet-batch"
VAULT_OID = "3137d6c7-5d6c-411c-b934-7a2a729ee247"
NAT = res_id(SHOP, "rg-shop-prod", "Microsoft.Network", "natGateways", "nat-shop-egress")
ILB = res_id(ERP, "rg-erp-prod", "Microsoft.Network", "loadBalancers", "ilb-sap-db")
POOL = f"{ILB}/backendAddressPools/hana"
PE_VAULT = res_id(SHOP, "rg-shop-prod", "Microsoft.Network", "privateEndpoints", "pe-rv-dr")
ZONE = res_id(
    SHOP,
    "rg-dns",
    "Microsoft.Network",
    "privateDnsZones",
    "privatelink.siterecovery.windowsazure.com",
)
BLOB_DATA = RoleDefinition(
    "/providers/Microsoft.Authorization/roleDefinitions/ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    "Storage Blob Data Contributor",
    permissions=(
        Permission(
            actions=("Microsoft.Storage/storageAccounts/blobServices/containers/*",),
            data_actions=("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*",),
        ),
    ),
)


def apply(snapshot: Snapshot) -> Snapshot:
    def subnet(s: Subnet) -> Subnet:
        if s.name == "snet-batch":
            return replace(s, id=BATCH_SUBNET, vnet_id=BATCH_VNET)
        return replace(s, nat_gateway_id=NAT) if s.name == "snet-web" else s

    def ipc(c: IpConfiguration, name: str) -> IpConfiguration:
        if c.subnet_id == subnet_id("snet-batch"):
            return replace(c, subnet_id=BATCH_SUBNET)
        if name.startswith("vm-sap-db-01") and c.primary:
            return replace(c, load_balancer_pool_ids=(POOL,))
        return c

    def nic(n: NetworkInterface) -> NetworkInterface:
        return replace(n, ip_configurations=tuple(ipc(c, n.name) for c in n.ip_configurations))

    erp = next(v for v in snapshot.virtual_networks if v.id == vnet_id(ERP))
    batch = replace(
        erp,
        id=BATCH_VNET,
        name="vnet-batch",
        address_prefixes=("10.20.3.0/24",),
        peered_address_prefixes=(*erp.address_prefixes, *erp.peered_address_prefixes),
        peered_vnet_ids=(erp.id,),
    )

    roles = (builtin_role("Contributor"), BLOB_DATA)
    vault = snapshot.vault
    if vault is not None:
        vault = replace(
            vault,
            public_network_access="Enabled",
            private_endpoint_connections=(
                PrivateEndpointConnection(
                    f"{VAULT_ID}/privateEndpointConnections/pe-rv-dr",
                    PE_VAULT,
                    "Approved",
                    ("AzureSiteRecovery",),
                ),
            ),
            private_endpoint_state_for_site_recovery="Enabled",
            identity_type="SystemAssigned",
            identity_principal_id=VAULT_OID,
        )
    cache = snapshot.cache_storage
    if cache is not None:
        cache = replace(cache, public_network_access="Enabled", private_endpoint_connections=())
    return replace(
        snapshot,
        subnets=tuple(subnet(s) for s in snapshot.subnets),
        virtual_networks=(*snapshot.virtual_networks, batch),
        network_interfaces=tuple(nic(n) for n in snapshot.network_interfaces),
        load_balancers=(LoadBalancer(ILB, "ilb-sap-db", "Standard", pool_ids=(POOL,)),),
        private_endpoints=(
            PrivateEndpoint(
                PE_VAULT,
                "pe-rv-dr",
                f"{vnet_id(SHOP)}/subnets/snet-app",
                (VAULT_ID,),
                ("AzureSiteRecovery",),
            ),
        ),
        private_dns_zones=(
            PrivateDnsZone(
                ZONE, "privatelink.siterecovery.windowsazure.com", (vnet_id(SHOP), vnet_id(ERP))
            ),
        ),
        vault=vault,
        cache_storage=cache,
        vault_identity=IdentityFacts(
            principal_id=VAULT_OID,
            role_assignments=tuple(
                RoleAssignment(
                    f"{CACHE_ID}/providers/Microsoft.Authorization/roleAssignments/ra{i}",
                    CACHE_ID,
                    r.id,
                    VAULT_OID,
                    "ServicePrincipal",
                )
                for i, r in enumerate(roles)
            ),
            role_definitions=roles,
        ),
    )


__all__ = ["apply"]
