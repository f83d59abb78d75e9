"""ASR's own ``replicationEligibilityResults/default`` of one VM: the one per-VM call."""

from __future__ import annotations

from typing import Any

from asr_preflight.azure.ids import text
from asr_preflight.snapshot import Eligibility, EligibilityError, VirtualMachine


def eligibility(client: Any, vm: VirtualMachine) -> Eligibility:
    result = client.replication_eligibility_results.get(vm.resource_group, vm.name)
    props = getattr(result, "properties", None)
    if props is None:
        raise ValueError(f"eligibility result of {vm.name} has no properties")
    return Eligibility(
        vm_id=vm.id,
        errors=tuple(
            EligibilityError(
                code=str(e.code),
                message=str(e.message or ""),
                possible_causes=text(getattr(e, "possible_causes", None)) or None,
                recommended_action=text(getattr(e, "recommended_action", None)) or None,
            )
            for e in (props.errors or ())
        ),
    )
