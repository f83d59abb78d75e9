"""The built-in rule pack: an explicit catalogue, sorted by code (one rule per module).

Registered through the same entry point a third-party pack uses:
``[project.entry-points."asr_preflight.rules"] builtin = "asr_preflight_rules.catalogue:RULES"``.
"""

from asr_preflight.api import Rule

from .identity.asr401_vault_permissions import vault_permissions
from .identity.asr402_target_create_permissions import target_create_permissions
from .identity.asr403_source_vm_permissions import source_vm_permissions
from .vm.asr505_no_ephemeral_os_disk import no_ephemeral_os_disk

RULES: tuple[Rule, ...] = (
    vault_permissions,
    target_create_permissions,
    source_vm_permissions,
    no_ephemeral_os_disk,
)
