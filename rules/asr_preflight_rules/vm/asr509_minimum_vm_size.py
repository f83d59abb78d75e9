from asr_preflight.api import Finding, RuleContext, passed, vm_rule, warned
from asr_preflight.sizing import SizeSpec, SpecCache
from asr_preflight.snapshot import VirtualMachine

MIN_VCPUS = 2
MIN_MEMORY_GB = 1.0

SizeIndex = dict[tuple[str, str], SizeSpec]


def _index(ctx: RuleContext) -> SizeIndex:
    """(region or "", size name) -> its SizeSpec, over every RegionCapacity in the snapshot."""
    index: SizeIndex = {}
    parse = SpecCache()
    for cap in ctx.snapshot.regions:
        for sku in cap.skus or ():
            spec = parse(sku)
            index.setdefault((cap.region.lower(), sku.name.lower()), spec)
            index.setdefault(("", sku.name.lower()), spec)
    return index


def size_spec(ctx: RuleContext, vm: VirtualMachine) -> SizeSpec | None:
    """The VM size's SizeSpec: from its own region's SKU list first, then any region's."""
    index = ctx.cached("asr509-sizes", lambda: _index(ctx))
    size = vm.size.lower()
    return index.get((vm.location.lower(), size)) or index.get(("", size))


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
    spec = size_spec(ctx, vm)
    vcpus = memory = None
    if spec is not None:
        vcpus = spec.vcpus if spec.vcpus_available is None else spec.vcpus_available
        memory = spec.memory_gb
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
