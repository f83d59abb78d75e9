"""The built-in rule pack: an explicit catalogue, sorted by code (one rule per module).

Registered through the same entry point a third-party pack uses:
``[project.entry-points."asr_preflight.rules"] builtin = "asr_preflight_rules.catalogue:RULES"``.
"""

from asr_preflight.api import Rule

from .vm.asr505_no_ephemeral_os_disk import no_ephemeral_os_disk

RULES: tuple[Rule, ...] = (no_ephemeral_os_disk,)
