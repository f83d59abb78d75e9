from asr_preflight.api import Rule, RuleContext
from asr_preflight.snapshot import VirtualMachine

from ._common import outbound_tag_rule

DOC = """TCP 443 outbound is allowed to GuestAndHybridManagement when the agent auto-updates.

## What it checks
When the plan lets Site Recovery update the mobility agent automatically (`[policy] auto_update`,
the default), the NSGs on the VM's primary NIC and subnet (IP flow verify semantics) allow
outbound TCP 443 to every prefix of the `GuestAndHybridManagement` service tag
(`*.automation.ext.azure.com`). Skipped when auto-update is off.

## Why it matters
Automatic updates of the mobility agent run through an Azure Automation account; if the VM cannot
reach it, the agent stays on an old version, which later breaks replication. Replication itself
still works, hence a warning.

## How to fix
Allow outbound TCP 443 to the `GuestAndHybridManagement` service tag, or turn auto-update off in the
plan and update the agent yourself.

## References
- https://learn.microsoft.com/azure/site-recovery/azure-to-azure-about-networking
- https://learn.microsoft.com/azure/site-recovery/azure-to-azure-autoupdate
"""


def _auto_update(ctx: RuleContext, vm: VirtualMachine) -> str | None:
    return None if ctx.plan.policy.auto_update else "mobility agent auto-update is off in the plan"


outbound_automation: Rule = outbound_tag_rule(
    code="ASR206",
    name="outbound-automation",
    severity="warn",
    tag="GuestAndHybridManagement",
    doc=DOC,
    module=__name__,
    applies=_auto_update,
)
