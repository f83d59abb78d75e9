"""The built-in rule pack: an explicit catalogue, sorted by code (one rule per module).

Registered through the same entry point a third-party pack uses:
``[project.entry-points."asr_preflight.rules"] builtin = "asr_preflight_rules.catalogue:RULES"``.
"""

from asr_preflight.api import Rule

from .capacity.asr101_size_available_in_target import size_available_in_target
from .capacity.asr102_family_vcpu_quota import family_vcpu_quota
from .capacity.asr103_regional_vcpu_quota import regional_vcpu_quota
from .capacity.asr104_vm_count_quota import vm_count_quota
from .capacity.asr105_target_size_fits_nics import target_size_fits_nics
from .capacity.asr106_target_size_fits_data_disks import target_size_fits_data_disks
from .capacity.asr107_network_quota import network_quota
from .vm.asr505_no_ephemeral_os_disk import no_ephemeral_os_disk

RULES: tuple[Rule, ...] = (
    size_available_in_target,
    family_vcpu_quota,
    regional_vcpu_quota,
    vm_count_quota,
    target_size_fits_nics,
    target_size_fits_data_disks,
    network_quota,
    no_ephemeral_os_disk,
)
