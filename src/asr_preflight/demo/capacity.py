"""Demo estate: target-region SKUs and quota (westus2 RegionCapacity). Owned by **sizing**.

What the failover would find in West US 2, per subscription, and the story it tells (ASR1xx):

* shop (11111111-…): every size is offered and every quota has room: its VMs pass.
* erp (22222222-…):
  - ``Standard_B1s`` is no longer offered to the subscription (``NotAvailableForSubscription``):
    vm-batch-01 would fail over as ``Standard_B1ms``, the closest size (ASR101 warning);
  - the plan pins vm-win-sql-01 to ``Standard_E8bds_v5``, which is restricted for the
    subscription (ASR101 failure: no target size, so ASR102 skips it);
  - the plan pins vm-sap-db-01 to ``Standard_E2s_v5`` (copied from vm-sap-ascs-01): 4 data
    disks for its 6 HANA disks (ASR106 failure);
  - the Standard ESv5 family has 14 of 50 vCPUs free, the SAP VMs need 20 (ASR102 failure for
    vm-sap-app-01, vm-sap-db-01 and vm-sap-ascs-01); the regional total still fits (ASR103);
  - all 50 of 50 virtual networks are in use, and the failover may create one (ASR107 warning
    for the ERP VMs).

The numbers follow the shapes of Azure's ``ResourceSkus_List`` and ``Usage_List`` answers.
"""

from __future__ import annotations

from dataclasses import replace

from asr_preflight.snapshot import RegionCapacity, SkuRestriction, Snapshot, Usage, VmSku

from .estate import ERP_SUB, SHOP_SUB, SIZES, TARGET_REGION, Size

#: Sizes the westus2 lists add to the ones the estate uses (alternatives the chooser may take).
EXTRA = {
    s.name: s
    for s in (
        Size("Standard_D8s_v5", "standardDSv5Family", 8, 32, 16, 4),
        Size("Standard_E4s_v5", "standardESv5Family", 4, 32, 8, 2),
        Size("Standard_E16ds_v5", "standardEDSv5Family", 16, 128, 32, 8),
        Size("Standard_E8bds_v5", "standardEBDSv5Family", 8, 64, 16, 4),
        Size("Standard_B1ms", "standardBSFamily", 1, 2, 2, 2, accelerated_networking=False),
        Size("Standard_B4ms", "standardBSFamily", 4, 16, 8, 4, accelerated_networking=False),
    )
}

NOT_FOR_SUBSCRIPTION = SkuRestriction(
    "Location", "NotAvailableForSubscription", locations=(TARGET_REGION,)
)

#: Per subscription: the westus2 SKU list (size -> its restrictions).
OFFERS: dict[str, dict[str, tuple[SkuRestriction, ...]]] = {
    SHOP_SUB: {
        "Standard_D2s_v5": (),
        "Standard_D4s_v5": (),
        "Standard_D8s_v5": (),
        "Standard_E8ds_v5": (),
        "Standard_E16ds_v5": (),
        "Standard_E4s_v5": (),
        "Standard_E8s_v5": (),
        "Standard_B1ms": (),
        "Standard_B2ms": (),
    },
    ERP_SUB: {
        "Standard_B1s": (NOT_FOR_SUBSCRIPTION,),
        "Standard_B1ms": (),
        "Standard_B2ms": (),
        "Standard_B4ms": (),
        "Standard_D4s_v5": (),
        "Standard_D8s_v5": (),
        "Standard_DS3_v2": (),
        "Standard_E2s_v5": (),
        "Standard_E4s_v5": (),
        "Standard_E8s_v5": (),
        "Standard_E16s_v5": (),
        "Standard_E8bds_v5": (NOT_FOR_SUBSCRIPTION,),
        "Standard_M32ts": (),
    },
}

#: Per subscription: (usage name, localized name, current value, limit).
COMPUTE: dict[str, tuple[tuple[str, str, int, int], ...]] = {
    SHOP_SUB: (
        ("availabilitySets", "Availability Sets", 2, 2500),
        ("cores", "Total Regional vCPUs", 20, 100),
        ("virtualMachines", "Virtual Machines", 9, 25000),
        ("virtualMachineScaleSets", "Virtual Machine Scale Sets", 0, 2500),
        ("standardBSFamily", "Standard BS Family vCPUs", 0, 20),
        ("standardDSv5Family", "Standard DSv5 Family vCPUs", 12, 100),
        ("standardEDSv5Family", "Standard EDSv5 Family vCPUs", 0, 50),
        ("standardESv5Family", "Standard ESv5 Family vCPUs", 8, 50),
    ),
    ERP_SUB: (
        ("availabilitySets", "Availability Sets", 3, 2500),
        ("cores", "Total Regional vCPUs", 56, 100),
        ("virtualMachines", "Virtual Machines", 14, 25000),
        ("virtualMachineScaleSets", "Virtual Machine Scale Sets", 0, 2500),
        ("standardBSFamily", "Standard BS Family vCPUs", 4, 20),
        ("standardDSv2Family", "Standard DSv2 Family vCPUs", 8, 50),
        ("standardDSv5Family", "Standard DSv5 Family vCPUs", 0, 100),
        ("standardEBDSv5Family", "Standard EBDSv5 Family vCPUs", 0, 0),
        ("standardESv5Family", "Standard ESv5 Family vCPUs", 36, 50),
        ("standardMSFamily", "Standard MS Family vCPUs", 0, 64),
    ),
}

#: Per subscription: network usages (the limits of Azure's own Usages_List example).
NETWORK: dict[str, tuple[tuple[str, str, int, int], ...]] = {
    SHOP_SUB: (
        ("VirtualNetworks", "Virtual Networks", 8, 50),
        ("PublicIPAddresses", "Public IP Addresses", 8, 60),
        ("NetworkInterfaces", "Network Interfaces", 31, 350),
        ("NetworkSecurityGroups", "Network Security Groups", 6, 100),
    ),
    ERP_SUB: (
        ("VirtualNetworks", "Virtual Networks", 50, 50),
        ("PublicIPAddresses", "Public IP Addresses", 3, 60),
        ("NetworkInterfaces", "Network Interfaces", 44, 350),
        ("NetworkSecurityGroups", "Network Security Groups", 9, 100),
    ),
}


def _sku(name: str, restrictions: tuple[SkuRestriction, ...]) -> VmSku:
    size = SIZES.get(name) or EXTRA[name]
    return replace(size.sku(), restrictions=restrictions)


def _usages(rows: tuple[tuple[str, str, int, int], ...]) -> tuple[Usage, ...]:
    return tuple(
        Usage(name, current, limit, label, "Count") for name, label, current, limit in rows
    )


def target_capacity() -> tuple[RegionCapacity, ...]:
    """The westus2 RegionCapacity of each demo subscription."""
    return tuple(
        RegionCapacity(
            subscription_id=sub,
            region=TARGET_REGION,
            skus=tuple(_sku(name, restrictions) for name, restrictions in OFFERS[sub].items()),
            compute_usages=_usages(COMPUTE[sub]),
            network_usages=_usages(NETWORK[sub]),
        )
        for sub in (SHOP_SUB, ERP_SUB)
    )


def apply(snapshot: Snapshot) -> Snapshot:
    return replace(snapshot, regions=(*snapshot.regions, *target_capacity()))
