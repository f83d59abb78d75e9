from asr_preflight.api import (
    Finding,
    MissingFact,
    RuleContext,
    failed,
    passed,
    skipped,
    vm_rule,
)
from asr_preflight.snapshot import Disk, DiskEncryptionSet, VirtualMachine

from .._facts import leaf, managed_disks, require_listing, same_region, vm_fact_missing

_FIX = (
    "create a disk encryption set in the target region and subscription (its key in a key vault "
    "of that region, with Get, Wrap Key and Unwrap Key for the set's identity) and name it in "
    "[target] disk_encryption_sets."
)


def uses_customer_key(disk: Disk) -> bool:
    return "customerkey" in (disk.encryption_type or "").lower()


def _succeeded(des: DiskEncryptionSet) -> bool:
    return (des.provisioning_state or "").lower() == "succeeded"


def _not_ready(des: DiskEncryptionSet) -> str:
    return f"{des.name} is in provisioning state {des.provisioning_state}"


def _compatible(des: DiskEncryptionSet, disk: Disk) -> bool:
    """A set of the disk's own kind; a set whose type ARM left out is the default kind
    (EncryptionAtRestWithCustomerKey)."""
    kind = (des.encryption_type or "EncryptionAtRestWithCustomerKey").lower()
    return kind == (disk.encryption_type or "").lower()


@vm_rule(code="ASR512", name="cmk-disk-encryption-set", severity="fail")
def cmk_disk_encryption_set(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """Disks encrypted with customer-managed keys have a disk encryption set in the target.

    ## What it checks
    For each managed disk whose `encryption.type` uses a customer-managed key
    (`EncryptionAtRestWithCustomerKey`, `EncryptionAtRestWithPlatformAndCustomerKeys`): the plan
    maps its source disk encryption set to a target set (`[target] disk_encryption_sets`), and
    that set exists in the target region (its subscription's sets are listed); or, with no
    mapping, a disk encryption set of the same encryption type exists in the target subscription
    and target region (listed once per subscription). Skipped for a VM without such disks;
    unknown when the disks, the target subscription's disk encryption sets or the planned set's
    subscription's sets were not read. Only a set in provisioning state `Succeeded` counts: a
    `Failed` (or `Updating`, `Deleting`…) set is named and does not count. ARM always serves
    the (read-only) `provisioningState`; a set without it is not taken as usable: when such a set
    is the only one that could serve, the result is unknown, not pass.

    ## Why it matters
    Site Recovery cannot create a disk encryption set: the replica and failover disks of a
    customer-managed-key disk need one that already exists in the target region. Without it
    enable replication fails (error 150353).

    ## How to fix
    Create a disk encryption set in the target region (with a key in a key vault of that region,
    and Get, Wrap Key and Unwrap Key for the set's managed identity), and name it for the source
    set in `[target] disk_encryption_sets = { "<source DES id>" = "<target DES id>" }`; choose
    the same set when you enable replication.

    ## References
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-how-to-enable-replication-cmk-disks
    - https://learn.microsoft.com/azure/virtual-machines/disk-encryption
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-troubleshoot-errors
    """
    if vm.os_disk is None:
        raise vm_fact_missing(ctx, vm, "the disks")
    disks = managed_disks(vm)
    unread = [d.name for d in disks if d.encryption_type is None]
    cmk = [d for d in disks if uses_customer_key(d)]
    if unread and not cmk:
        raise ctx.missing("disks", disks[0].id or vm.id, f"the encryption of {', '.join(unread)}")
    if not cmk:
        return skipped(vm, f"none of {vm.name}'s disks uses a customer-managed key")
    target_sub = ctx.target_subscription(vm)
    region = ctx.plan.target.region
    mapping = {k.lower(): v for k, v in ctx.plan.target.disk_encryption_sets.items()}
    by_id = {d.id.lower(): d for d in ctx.snapshot.disk_encryption_sets}
    listed = {s.scope.lower() for s in ctx.snapshot.listings if s.kind == "disk_encryption_sets"}
    missing: list[str] = []
    found: list[str] = []
    stateless: list[str] = []  # sets that would serve, their provisioning state not read
    for disk in cmk:
        source_des = (disk.disk_encryption_set_id or "").lower()
        named = mapping.get(source_des)
        if named is not None:
            des = by_id.get(named.lower())
            named_sub = "/".join(named.lower().split("/")[:3])
            if des is None and named_sub in listed:
                missing.append(f"{disk.name}: the planned set {leaf(named)} does not exist")
            elif des is None:
                # its subscription's list failed, or was not read (a snapshot collected before
                # the plan named the set, or by an earlier release): the plan's word is no pass
                raise ctx.missing(
                    "disk_encryption_sets",
                    named_sub,
                    f"the planned disk encryption set {leaf(named)}",
                )
            elif des is not None and not same_region(des.location, region):
                missing.append(
                    f"{disk.name}: the planned set {des.name} is in {des.location}, not {region}"
                )
            elif des is not None and des.provisioning_state is None:
                stateless.append(des.name)
            elif des is not None and not _succeeded(des):
                missing.append(f"{disk.name}: the planned set {_not_ready(des)}")
            else:
                found.append(f"{disk.name} -> {leaf(named)} (from the plan)")
            continue
        require_listing(
            ctx,
            "disk_encryption_sets",
            f"/subscriptions/{target_sub}",
            f"the disk encryption sets of subscription {target_sub}",
        )
        in_region = sorted(
            (
                d
                for d in ctx.snapshot.disk_encryption_sets
                if d.id.lower().startswith(f"/subscriptions/{target_sub.lower()}/")
                and same_region(d.location, region)
                and _compatible(d, disk)
            ),
            key=lambda d: d.name,
        )
        candidates = [d.name for d in in_region if _succeeded(d)]
        if candidates:
            found.append(f"{disk.name} -> {' or '.join(candidates)} (found in {region})")
        elif any(d.provisioning_state is None for d in in_region):
            stateless.extend(d.name for d in in_region if d.provisioning_state is None)
        else:
            not_ready = "".join(f"; {_not_ready(d)}" for d in in_region)
            missing.append(
                f"{disk.name} ({disk.encryption_type}, set "
                f"{leaf(disk.disk_encryption_set_id or '') or 'unknown'}): no disk encryption set "
                f"of that type in {region} in subscription {target_sub}"
                + (f" in provisioning state Succeeded{not_ready}" if not_ready else "")
            )
    if missing:
        return failed(
            vm,
            f"{vm.name} has customer-managed-key disks without a target disk encryption set "
            f"(error 150353): {'; '.join(missing)}",
            hint=_FIX,
        )
    if unread:
        raise ctx.missing("disks", vm.id, f"the encryption of {', '.join(unread)}")
    if stateless:
        raise MissingFact(
            f"{vm.name}: the provisioning state of disk encryption set(s)"
            f" {', '.join(dict.fromkeys(stateless))} was not read; only a Succeeded set serves",
            "check the set's provisioning state (az disk-encryption-set show)",
        )
    return passed(
        vm, f"{vm.name}'s customer-managed-key disks have target sets: {'; '.join(found)}"
    )
