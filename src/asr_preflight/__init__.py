"""asr-preflight: will Azure Site Recovery replication of these VMs to that region work?

The public plugin contract lives in :mod:`asr_preflight.api`; the names most rule packs need are
re-exported here.
"""

from asr_preflight.api import (
    Finding,
    MissingFact,
    Outcome,
    Rule,
    RuleContext,
    Severity,
    estate_rule,
    failed,
    pair_rule,
    passed,
    skipped,
    unknown,
    vm_rule,
    warned,
)

__version__ = "0.1.0"

__all__ = [
    "Finding",
    "MissingFact",
    "Outcome",
    "Rule",
    "RuleContext",
    "Severity",
    "__version__",
    "estate_rule",
    "failed",
    "pair_rule",
    "passed",
    "skipped",
    "unknown",
    "vm_rule",
    "warned",
]
