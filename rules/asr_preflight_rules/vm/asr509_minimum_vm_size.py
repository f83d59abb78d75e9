from asr_preflight.api import Finding, RuleContext, passed, vm_rule, warned
from asr_preflight.snapshot import VirtualMachine

MIN_VCPUS = 2
MIN_MEMORY_GB = 1.0

SizeIndex = dict[tuple[str, str], dict[str, str]]


def _index(ctx: RuleContext) -> SizeIndex:
    """(region or "", size name) -> capabilities, over every RegionCapacity in the snapshot."""
    index: SizeIndex = {}
    for cap in ctx.snapshot.regions:
        for sku in cap.skus or ():
            caps = dict(sku.capabilities)
            index.setdefault((cap.region.lower(), sku.name.lower()), caps)
            index.setdefault(("", sku.name.lower()), caps)
    return index


def size_capabilities(ctx: RuleContext, vm: VirtualMachine) -> dict[str, str] | None:
    """The capabilities of the VM's size: its own region's SKU list first, then any region's."""
    index = ctx.cached("asr509-sizes", lambda: _index(ctx))
    size = vm.size.lower()
    return index.get((vm.location.lower(), size)) or index.get(("", size))


def _number(caps: dict[str, str], *names: str) -> float | None:
    for name in names:
        value = caps.get(name)
        if value is not None:
            try:
                return float(value)
            except ValueError:
                continue
    return None


@vm_rule(code="ASR509", name="minimum-vm-size", severity="warn")
def minimum_vm_size(ctx: RuleContext, vm: VirtualMachine) -> Finding:
    """The VM size has at least 2 vCPUs and 1 GB of memory.

    ## What it checks
    The VM size's `vCPUsAvailable` (or `vCPUs`) capability is at least 2 and its `MemoryGB` at
    least 1, read from the resource SKU list of the VM's own region in the snapshot (or of any
    region listing that size).

    ## Why it matters
    The support matrix supports "any Azure VM size with at least two CPU cores and 1-GB RAM".
    The rule dates from 2017 and Site Recovery does not always enforce it; it is a warning
    because a 1-vCPU VM may replicate but is outside the supported configurations, and the
    Site Recovery driver takes about 6% of its memory.

    ## How to fix
    Resize the VM to a size with at least 2 vCPUs (for example Standard_B1s to Standard_B2s)
    before protecting it, or accept the risk.

    ## References
    - https://learn.microsoft.com/azure/site-recovery/azure-to-azure-support-matrix
      (Replicated machines - compute settings)
    - https://learn.microsoft.com/azure/virtual-machines/sizes
    """
    caps = size_capabilities(ctx, vm)
    vcpus = _number(caps, "vCPUsAvailable", "vCPUs") if caps else None
    memory = _number(caps, "MemoryGB") if caps else None
    if vcpus is None or memory is None:
        raise ctx.missing(
            "skus", f"{vm.subscription_id}/{vm.location}", f"capabilities of size {vm.size}"
        )
    shown = f"{vm.size} ({vcpus:g} vCPU{'' if vcpus == 1 else 's'}, {memory:g} GB)"
    if vcpus < MIN_VCPUS or memory < MIN_MEMORY_GB:
        return warned(
            vm,
            f"{vm.name}'s size {shown} is below the supported minimum of {MIN_VCPUS} vCPUs "
            f"and {MIN_MEMORY_GB:g} GB",
            hint="resize to a size with at least 2 vCPUs and 1 GB of memory",
        )
    return passed(vm, f"{vm.name}'s size {shown} meets the minimum of 2 vCPUs and 1 GB")
