"""ASR's own ``replicationEligibilityResults/default`` of one VM: the one per-VM call.

A plain GET through the Site Recovery client's pipeline (credential, retries, read-only policy),
read as JSON like the bulk lists, so 10,000 of them cost requests, not model building.

The parser follows azure-rest-api-specs ``specification/recoveryservicessiterecovery/resource-
manager/Microsoft.RecoveryServices/stable/2024-04-01/service.json`` (ReplicationEligibilityResults_
Get; ``ReplicationEligibilityResultsErrorInfo``: code, message, possibleCauses, recommendedAction
and ``status``, "The error status", a string the spec does not enumerate: its example says
``"Error"``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from asr_preflight.azure.api_versions import api_version
from asr_preflight.azure.raw import dig, get_json
from asr_preflight.snapshot import Eligibility, EligibilityError, VirtualMachine

# spec: recoveryservicessiterecovery/.../stable/2024-04-01/service.json
SITE_RECOVERY_API = api_version("Microsoft.RecoveryServices/replicationEligibilityResults")
PATH = "providers/Microsoft.RecoveryServices/replicationEligibilityResults/default"


def eligibility(client: Any, vm: VirtualMachine) -> Eligibility:
    body = get_json(client, f"{vm.id}/{PATH}?api-version={SITE_RECOVERY_API}")
    props = dig(body, "properties")
    if not isinstance(props, Mapping):
        raise ValueError(f"eligibility result of {vm.name} has no properties")
    errors = props.get("errors") or []
    if not isinstance(errors, list):
        raise ValueError(f"eligibility result of {vm.name}: 'errors' is not a list")
    if not all(isinstance(e, Mapping) for e in errors):  # never dropped into "no errors"
        raise ValueError(f"eligibility result of {vm.name}: an entry of 'errors' is not an object")
    return Eligibility(
        vm_id=vm.id,
        errors=tuple(
            EligibilityError(
                code=str(e.get("code") or ""),
                message=str(e.get("message") or ""),
                possible_causes=e.get("possibleCauses") or None,
                recommended_action=e.get("recommendedAction") or None,
                status=str(e["status"]) if isinstance(e.get("status"), str) else None,
            )
            for e in errors
        ),
    )
