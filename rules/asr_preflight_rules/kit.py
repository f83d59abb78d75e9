"""The helpers the built-in rules share, public for rule packs (docs/plugins.md).

Everything in ``__all__`` is part of the plugin contract and versioned with
``asr_preflight.api.API_VERSION``: within a major version a name keeps its meaning. The modules
these come from (``_facts``, ``network._common``, ``capacity._common``) are private and may
change; import from here.

- Facts: :func:`leaf` (the last segment of a resource id), :func:`same_region`,
  :func:`vm_fact_missing` (a MissingFact for a per-VM fact), :class:`Tally` (the worst of
  several items of one VM, listed), :func:`managed_disks`, :func:`planned_vault`.
- Network: :func:`outbound_tag_rule` (a rule of the outbound family: TCP from the VM's primary
  NIC allowed to a service tag), :func:`placement` (the VM's NIC, subnet, VNet and NSGs),
  :func:`required_tag`, :func:`verify` (a flow through the NSGs; a gap is MissingFact).
- Capacity: :func:`target_size` (the VM's target size as ASR101 chose it), :func:`size_fits`
  (a target size's limit against the VM's count), :func:`capacity_plan`.

Each shared evaluator behind these is built once per pack (``RuleContext.cached`` is per pack),
so a pack that uses them pays for its own copy and never sees another pack's.
"""

from __future__ import annotations

from asr_preflight.api import leaf
from asr_preflight_rules._facts import (
    Tally,
    managed_disks,
    planned_vault,
    same_region,
    vm_fact_missing,
)
from asr_preflight_rules.capacity._common import capacity_plan, size_fits, target_size
from asr_preflight_rules.network._common import (
    Placement,
    outbound_tag_rule,
    placement,
    required_tag,
    verify,
)

__all__ = [
    "Placement",
    "Tally",
    "capacity_plan",
    "leaf",
    "managed_disks",
    "outbound_tag_rule",
    "placement",
    "planned_vault",
    "required_tag",
    "same_region",
    "size_fits",
    "target_size",
    "verify",
    "vm_fact_missing",
]
