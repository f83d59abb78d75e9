"""Target capacity: the target-size chooser and the quota arithmetic behind ASR101–ASR107.

Will the failover VMs fit in the target region? This module answers it once per run, for the
whole estate, and the capacity rules read the answer (:func:`capacity_plan`):

1. **Size.** For every selected VM, the size its failover VM will get in the target region: the
   size pinned in the plan (``[target] sizes``), else the source size when the target region
   offers it to the target subscription without restriction (in the planned zone, when
   ``[target] zone`` is set), else the closest available size (:func:`choose_substitute`).
2. **Quota.** Per (target subscription, target region): the vCPUs of the chosen sizes per
   VM-family usage (``standardDSv3Family``), in total (``cores``), the VM count
   (``virtualMachines``) and the network resources (``NetworkInterfaces``, ``PublicIPAddresses``,
   ``VirtualNetworks``) the failover creates, against ``limit - currentValue``.

Microsoft does not publish how Site Recovery picks "the same size or the closest possible size".
Ours, in order:

* **Hard requirements** (a candidate failing one is never chosen): offered without a ``Location``
  restriction (and, with a planned zone, listed in that zone with no ``Zone`` restriction for
  it); at least the source size's vCPUs, memory, ``MaxNetworkInterfaces`` and
  ``MaxDataDiskCount`` (and at least the VM's own NIC and data-disk counts); Premium IO when the
  source size has it or a disk is Premium/UltraSSD; accelerated networking when the source size
  supports it; every Hyper-V generation the source size supports.
* **Preference tiers:** 0 the same VM family (quota family, e.g. ``standardDSv3Family``);
  1 the same series and generation (``D…_v5`` for ``D4s_v5``, e.g. ``D4ds_v5``); 2 the same series,
  another generation; 3 any other size.
* **Smallest excess** within a tier: fewest vCPUs (quota is charged in vCPUs), then least memory,
  then the same feature letters (``s`` for ``D4s_v3``, rather than ``as`` or ``ds``), then the
  newest generation, then the name (so the choice is deterministic).

Everything here is pure: it reads facts and returns values, and says ``unknown`` (never a pass)
when a fact it needs is absent.

The package's parts (every name importable from ``asr_preflight.sizing`` as before the split):
:mod:`.specs` (SizeSpec, requirements, preference tiers), :mod:`.pool` (per-region SKU index),
:mod:`.chooser` (the target size of each VM) and :mod:`.quota` (usages and the capacity plan).
The findings the capacity rules build from it live with the rules
(``asr_preflight_rules.capacity._common``): nothing here imports ``asr_preflight.api``.
"""

from asr_preflight.sizing.chooser import (
    Choice,
    KnownSizes,
    SizeChoice,
    choose_size,
    choose_substitute,
)
from asr_preflight.sizing.pool import RegionSkus, SpecCache
from asr_preflight.sizing.quota import (
    CORES,
    NETWORK_INTERFACES,
    NETWORK_USAGES,
    PUBLIC_IP_ADDRESSES,
    VIRTUAL_MACHINES,
    VIRTUAL_NETWORKS,
    CapacityPlan,
    Need,
    NetworkDemand,
    ScopeCapacity,
    build_capacity_plan,
    network_demand,
)
from asr_preflight.sizing.specs import (
    TIER_WHY,
    Requirements,
    SizeSpec,
    preference_tier,
    requirements,
    unavailable_reason,
)

__all__ = [
    "CORES",
    "NETWORK_INTERFACES",
    "NETWORK_USAGES",
    "PUBLIC_IP_ADDRESSES",
    "TIER_WHY",
    "VIRTUAL_MACHINES",
    "VIRTUAL_NETWORKS",
    "CapacityPlan",
    "Choice",
    "KnownSizes",
    "Need",
    "NetworkDemand",
    "RegionSkus",
    "Requirements",
    "ScopeCapacity",
    "SizeChoice",
    "SizeSpec",
    "SpecCache",
    "build_capacity_plan",
    "choose_size",
    "choose_substitute",
    "network_demand",
    "preference_tier",
    "requirements",
    "unavailable_reason",
]
