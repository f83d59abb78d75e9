"""Demo estate: security types, creation times, customer-managed keys, disk features, placement,
management locks and leftovers in the target groups (ASR108, ASR511-ASR515, ASR009 warnings).

* vm-db-01: a trusted launch Linux VM created in November 2023, before Site Recovery supported
  trusted launch Linux VMs created after 2024-04-01 (ASR511 failure). vm-web-02 (trusted launch
  Linux, created October 2024) and vm-win-iis-01 (trusted launch Windows) pass.
* vm-app-01: its data disk is encrypted with a customer-managed key (des-shop-eastus); the shop
  subscription has des-shop-westus2 in West US 2 (ASR512 pass). vm-win-sql-01's disks use
  des-erp-eastus and the ERP subscription has no disk encryption set in West US 2 (ASR512
  failure, error 150353).
* vm-sap-db-01: the SAP basis team put a ReadOnly lock on it during a HANA change freeze (ASR513
  failure); vm-win-ad-01 carries a CanNotDelete lock, as domain controllers often do (ASR513
  warning).
* vm-sap-app-01: an earlier protection left ``vm-sap-app-01-usrsap-ASRReplica`` in
  rg-erp-prod-asr (ASR514 warning).
* vm-sap-ascs-01: its ASCS/ERS Pacemaker cluster fences through an Azure shared disk (the SBD
  device, maxShares 2) on Linux (ASR515 failure); vm-web-03 boots from a zone-redundant disk and
  vm-win-sql-01 uses encryption at host (ASR515 warnings).
* vm-win-file-01: in availability set avset-file with no target set in the plan (ASR108
  warning); the SAP VMs are in proximity placement group ppg-sap-eastus, and the plan names
  ppg-sap-westus2 (ASR108 pass).
* vm-batch-01: Site Recovery's eligibility check returns a warning-level entry (ASR009 warning).

Every family the protection rules need was listed for both subscriptions (``listings``), so a
VM with nothing found passes; vm-web-02, vm-app-02 and vm-win-iis-01 stay Ready.
"""

from __future__ import annotations

from dataclasses import replace

from asr_preflight.snapshot import (
    Disk,
    DiskEncryptionSet,
    Eligibility,
    EligibilityError,
    Listing,
    ManagementLock,
    Snapshot,
    TargetDisk,
    VirtualMachine,
)

from .estate import ERP_RG, ERP_SUB, SHOP_RG, SHOP_SUB, SOURCE_REGION, TARGET_REGION, res_id, rg_id

CMK = "EncryptionAtRestWithCustomerKey"
DES_SHOP_EAST = res_id(
    SHOP_SUB, "rg-keys", "Microsoft.Compute", "diskEncryptionSets", "des-shop-eastus"
)
DES_SHOP_WEST = res_id(
    SHOP_SUB, "rg-dr", "Microsoft.Compute", "diskEncryptionSets", "des-shop-westus2"
)
DES_ERP_EAST = res_id(
    ERP_SUB, "rg-keys", "Microsoft.Compute", "diskEncryptionSets", "des-erp-eastus"
)
AVSET_FILE = res_id(ERP_SUB, ERP_RG, "Microsoft.Compute", "availabilitySets", "avset-file")
PPG_SAP = res_id(ERP_SUB, ERP_RG, "Microsoft.Compute", "proximityPlacementGroups", "ppg-sap-eastus")

#: When each VM was created (ARM's timeCreated).
CREATED = {
    "vm-web-01": "2022-03-14T10:12:45.1234567+00:00",
    "vm-web-02": "2024-10-08T07:41:02.5550123+00:00",
    "vm-web-03": "2025-02-19T15:03:11.0000000+00:00",
    "vm-app-01": "2021-09-30T12:00:05.9876543+00:00",
    "vm-app-02": "2024-05-21T09:30:44.1000000+00:00",
    "vm-db-01": "2023-11-02T18:22:37.4200000+00:00",
    "vm-win-iis-01": "2024-01-15T08:00:00.0000000+00:00",
    "vm-sap-app-01": "2022-06-01T06:45:12.3000000+00:00",
    "vm-sap-db-01": "2022-06-01T06:52:40.7000000+00:00",
    "vm-sap-ascs-01": "2022-06-01T06:49:03.1000000+00:00",
    "vm-win-ad-01": "2019-04-23T11:11:11.1111111+00:00",
    "vm-win-sql-01": "2023-02-07T14:30:00.0000000+00:00",
    "vm-win-file-01": "2018-12-03T09:15:00.0000000+00:00",
    "vm-batch-01": "2024-08-28T22:05:19.0000000+00:00",
}
TRUSTED_LAUNCH = {"vm-web-02", "vm-db-01", "vm-win-iis-01"}


def _cmk(disk: Disk, des_id: str) -> Disk:
    return replace(disk, encryption_type=CMK, disk_encryption_set_id=des_id)


def _vm(vm: VirtualMachine) -> VirtualMachine:
    vm = replace(vm, time_created=CREATED[vm.name])
    if vm.name in TRUSTED_LAUNCH:
        vm = replace(vm, security_type="TrustedLaunch", secure_boot_enabled=True, vtpm_enabled=True)
    if vm.name == "vm-app-01":
        vm = replace(vm, data_disks=tuple(_cmk(d, DES_SHOP_EAST) for d in vm.data_disks))
    if vm.name == "vm-win-sql-01":
        assert vm.os_disk is not None
        vm = replace(
            vm,
            os_disk=_cmk(vm.os_disk, DES_ERP_EAST),
            data_disks=tuple(_cmk(d, DES_ERP_EAST) for d in vm.data_disks),
            encryption_at_host=True,
        )
    if vm.name == "vm-web-03" and vm.os_disk is not None:
        vm = replace(vm, os_disk=replace(vm.os_disk, sku="StandardSSD_ZRS"))
    if vm.name == "vm-sap-ascs-01":
        sbd = Disk(
            "vm-sap-ascs-01-sbd",
            res_id(ERP_SUB, ERP_RG, "Microsoft.Compute", "disks", "vm-sap-ascs-01-sbd"),
            lun=len(vm.data_disks),
            size_gb=4,
            sku="Premium_LRS",
            caching="None",
            encryption_type="EncryptionAtRestWithPlatformKey",
            max_shares=2,
        )
        vm = replace(vm, data_disks=(*vm.data_disks, sbd))
    if vm.name.startswith("vm-sap-"):
        vm = replace(vm, proximity_placement_group_id=PPG_SAP)
    if vm.name == "vm-win-file-01":
        vm = replace(vm, availability_set_id=AVSET_FILE)
    return vm


def _eligibility(results: tuple[Eligibility, ...]) -> tuple[Eligibility, ...]:
    warning = EligibilityError(
        "A2AVmSizeLowMemory",
        "The virtual machine size has less memory than Site Recovery recommends for the "
        "mobility service; replication may be slow under load.",
        recommended_action="Consider a size with at least 2 GB of memory.",
        status="Warning",
    )
    return tuple(
        replace(e, errors=(*e.errors, warning)) if e.vm_id.endswith("/vm-batch-01") else e
        for e in results
    )


def apply(snapshot: Snapshot) -> Snapshot:
    vms = tuple(_vm(vm) for vm in snapshot.vms)
    by_name = {vm.name: vm for vm in vms}
    locks = (
        ManagementLock(
            f"{by_name['vm-sap-db-01'].id}/providers/Microsoft.Authorization/locks/hana-change-freeze",
            "hana-change-freeze",
            by_name["vm-sap-db-01"].id,
            "ReadOnly",
            "HANA change freeze until the quarter-end close (SAP basis team)",
        ),
        ManagementLock(
            f"{by_name['vm-win-ad-01'].id}/providers/Microsoft.Authorization/locks/protect-dc",
            "protect-dc",
            by_name["vm-win-ad-01"].id,
            "CanNotDelete",
            "tier-0 domain controller",
        ),
    )
    sets = (
        DiskEncryptionSet(DES_SHOP_EAST, "des-shop-eastus", SOURCE_REGION, CMK, "Succeeded"),
        DiskEncryptionSet(DES_SHOP_WEST, "des-shop-westus2", TARGET_REGION, CMK, "Succeeded"),
        DiskEncryptionSet(DES_ERP_EAST, "des-erp-eastus", SOURCE_REGION, CMK, "Succeeded"),
    )
    leftover = "vm-sap-app-01-usrsap-ASRReplica"
    target_disks = (
        TargetDisk(
            res_id(ERP_SUB, f"{ERP_RG}-asr", "Microsoft.Compute", "disks", leftover),
            leftover,
            f"{ERP_RG}-asr",
            ERP_SUB,
            TARGET_REGION,
        ),
    )
    listings = (
        *(Listing("locks", f"/subscriptions/{sub}") for sub in (SHOP_SUB, ERP_SUB)),
        *(Listing("disk_encryption_sets", f"/subscriptions/{sub}") for sub in (SHOP_SUB, ERP_SUB)),
        Listing("target_disks", rg_id(SHOP_SUB, f"{SHOP_RG}-asr")),
        Listing("target_disks", rg_id(ERP_SUB, f"{ERP_RG}-asr")),
    )
    return replace(
        snapshot,
        vms=vms,
        eligibility=_eligibility(snapshot.eligibility),
        management_locks=locks,
        disk_encryption_sets=sets,
        target_disks=target_disks,
        listings=listings,
    )
