from asr_preflight.api import Finding, Outcome, RuleContext, vm_rule
from asr_preflight.snapshot import VirtualMachine

from .._facts import Tally, vm_fact_missing

_ULTRA = "move the data to Premium SSD disks and disable Ultra disk compatibility."


@vm_rule(code="ASR508", name="supported-disk-types", severity="fail")
def supported_disk_types(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """The VM uses no Ultra disk, Write Accelerator or NVMe disk interface.

    ## What it checks
    No disk has the `UltraSSD_LRS` SKU and the VM does not have Ultra disk compatibility
    (`additionalCapabilities.ultraSSDEnabled`) switched on; no disk has Write Accelerator
    enabled; the VM's disk controller is not NVMe.

    ## Why it matters
    The support matrix lists Ultra Disks, Write Accelerator enabled disks and the NVMe storage
    interface as not supported, so enable replication fails. (The 2025 how-to mentions High
    Churn as an option for Premium SSD v2 and Ultra disks; the support matrix still says "Not
    supported", which this rule follows.)

    ## How to fix
    Move the data of Ultra disks to Premium SSD (or Premium SSD v2) disks and disable Ultra
    compatibility; disable Write Accelerator on the disks (M-series log disks) before
    protection; for NVMe, protect the workload by other means (for example application-level
    replication) or redeploy on a SCSI size.

    ## References
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-support-matrix
      (Replicated machines - storage)
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-how-to-enable-replication
    """
    if vm.os_disk is None:
        raise vm_fact_missing(ctx, vm, "the disks")
    tally = Tally(vm)
    disks = (vm.os_disk, *vm.data_disks)
    ultra = [d.name for d in disks if (d.sku or "").lower() == "ultrassd_lrs"]
    if ultra:
        tally.add(Outcome.FAIL, f"Ultra disks {', '.join(ultra)}", _ULTRA)
    elif vm.ultra_ssd_enabled:
        tally.add(Outcome.FAIL, "Ultra disk compatibility is enabled", _ULTRA)
    accelerated = [d.name for d in disks if d.write_accelerator]
    if accelerated:
        tally.add(
            Outcome.FAIL,
            f"Write Accelerator on {', '.join(accelerated)}",
            "disable Write Accelerator on those disks before enabling replication.",
        )
    if (vm.disk_controller or "").lower() == "nvme":
        tally.add(
            Outcome.FAIL,
            "NVMe disk controller",
            "protect the workload by other means, or redeploy on a SCSI size.",
        )
    return tally.finding(
        f"{vm.name} uses unsupported disk features",
        f"{vm.name} uses no Ultra disk, Write Accelerator or NVMe interface",
    )
