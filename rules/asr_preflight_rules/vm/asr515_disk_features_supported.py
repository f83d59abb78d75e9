from asr_preflight.api import Finding, Outcome, RuleContext, vm_rule
from asr_preflight.snapshot import VirtualMachine

from .._facts import Tally, managed_disks, vm_fact_missing


@vm_rule(code="ASR515", name="disk-features-supported", severity="fail")
def disk_features_supported(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """The VM's disk features are ones Site Recovery carries over.

    ## What it checks
    Per the support matrix: a shared disk (`maxShares` > 1) fails; Premium SSD v2 disks
    (`PremiumV2_LRS`) and zone-redundant disks (`*_ZRS`) warn with their conditions; encryption
    at host on the VM (`securityProfile.encryptionAtHost`) warns because the failover VM will not
    have it. Unknown when a managed disk's resource (its `maxShares`) was not read.

    ## Why it matters
    Shared disks are supported only for Windows failover clusters protected together, with
    crash-consistent recovery points only; anything else fails. Premium SSD v2 protection is in
    preview (PowerShell, a Premium block blob cache account; not in China North/East) and
    captures IOPS only at enable time. A zone-redundant disk is replicated to the target, but
    its zone redundancy depends on the target region offering ZRS disks. Encryption at host is
    not replicated: the failover VM's disks are encrypted at rest only.

    ## How to fix
    Shared disks: protect the cluster's VMs together as a Windows failover cluster, or detach
    the shared disk. Premium SSD v2: enable replication with PowerShell and a High Churn
    (Premium block blob) cache account. ZRS: check that the target region offers zone-redundant
    disks. Encryption at host: enable it on the failover VM after failover.

    ## References
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-support-matrix
      (Replicated machines - storage)
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-common-questions
    - https://learn.microsoft.com/azure/site-recovery/concepts-azure-to-azure-high-churn-support
    """
    if vm.os_disk is None:
        raise vm_fact_missing(ctx, vm, "the disks")
    disks = managed_disks(vm)
    tally = Tally(vm)
    shared = [f"{d.name} (maxShares {d.max_shares})" for d in disks if (d.max_shares or 1) > 1]
    if shared:
        windows = vm.os_type == "Windows"
        tally.add(
            Outcome.FAIL,
            f"shared disks {', '.join(shared)}" + ("" if windows else " on a non-Windows VM"),
            "protect all VMs of the Windows failover cluster together, or detach the shared disk."
            if windows
            else "detach the shared disk: Site Recovery protects shared disks only for Windows "
            "failover clusters.",
        )
    v2 = [d.name for d in disks if (d.sku or "").lower() == "premiumv2_lrs"]
    if v2:
        tally.add(
            Outcome.WARN,
            f"Premium SSD v2 disks {', '.join(v2)} (preview: PowerShell only, High Churn cache "
            "account, IOPS captured at enable time)",
            "enable replication with PowerShell and a Premium block blob (High Churn) cache "
            "account.",
        )
    zrs = [f"{d.name} ({d.sku})" for d in disks if (d.sku or "").lower().endswith("_zrs")]
    if zrs:
        tally.add(
            Outcome.WARN,
            f"zone-redundant disks {', '.join(zrs)} (zone redundancy in the target depends on "
            "the target region offering ZRS disks)",
            "check that the target region offers zone-redundant disks.",
        )
    if vm.encryption_at_host:
        tally.add(
            Outcome.WARN,
            "encryption at host is enabled and is not carried over to the failover VM",
            "enable encryption at host on the failover VM after failover.",
        )
    unread = [d.name for d in disks if d.max_shares is None]
    if unread and tally.outcome is not Outcome.FAIL:
        raise ctx.missing("disks", disks[0].id or vm.id, f"the disk resources {', '.join(unread)}")
    return tally.finding(
        f"{vm.name} uses disk features Site Recovery limits",
        f"{vm.name} uses no shared, Premium SSD v2 or zone-redundant disk and no encryption at "
        "host",
    )
