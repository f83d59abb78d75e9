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
from .capacity.asr108_placement_mappable import placement_mappable
from .guest.asr301_root_certificates_current import root_certificates_current
from .guest.asr302_tls_to_endpoints import tls_to_endpoints
from .guest.asr303_dns_resolves_endpoints import dns_resolves_endpoints
from .guest.asr304_no_authenticating_proxy import no_authenticating_proxy
from .guest.asr305_proxy_reachable import proxy_reachable
from .guest.asr306_port_20004_guest import port_20004_guest
from .guest.asr307_linux_root_free_space import linux_root_free_space
from .guest.asr308_linux_grub_persistent_names import linux_grub_persistent_names
from .guest.asr309_windows_vss_complus import windows_vss_complus
from .guest.asr311_os_supported import os_supported
from .guest.asr312_linux_lvm_root_present import linux_lvm_root_present
from .guest.asr313_data_disks_initialized import data_disks_initialized
from .identity.asr401_vault_permissions import vault_permissions
from .identity.asr402_target_create_permissions import target_create_permissions
from .identity.asr403_source_vm_permissions import source_vm_permissions
from .identity.asr404_key_vault_permissions import key_vault_permissions
from .network.asr201_outbound_storage import outbound_storage
from .network.asr202_outbound_entra_id import outbound_entra_id
from .network.asr203_outbound_site_recovery import outbound_site_recovery
from .network.asr204_outbound_event_hub import outbound_event_hub
from .network.asr205_outbound_key_vault import outbound_key_vault
from .network.asr206_outbound_automation import outbound_automation
from .network.asr207_no_ip_allowlist import no_ip_allowlist
from .network.asr208_no_forced_tunnel import no_forced_tunnel
from .network.asr209_port_20004_nsg import port_20004_nsg
from .network.asr210_cache_storage_reachable import cache_storage_reachable
from .network.asr211_outbound_path_exists import outbound_path_exists
from .plan.asr001_vault_not_in_source_region import vault_not_in_source_region
from .plan.asr002_target_differs_from_source import target_differs_from_source
from .plan.asr003_target_matches_vault_region import target_matches_vault_region
from .plan.asr004_target_resource_group_region import target_resource_group_region
from .plan.asr005_region_pair_allowed import region_pair_allowed
from .plan.asr006_retention_in_range import retention_in_range
from .plan.asr007_app_consistent_frequency import app_consistent_frequency
from .plan.asr008_replication_group_size import replication_group_size
from .plan.asr009_asr_eligibility import asr_eligibility
from .plan.asr010_vault_private_endpoint_ready import vault_private_endpoint_ready
from .vm.asr501_vm_provisioning_succeeded import vm_provisioning_succeeded
from .vm.asr502_vm_running_agent_ready import vm_running_agent_ready
from .vm.asr503_no_failed_extensions import no_failed_extensions
from .vm.asr504_no_stale_asr_extension import no_stale_asr_extension
from .vm.asr505_no_ephemeral_os_disk import no_ephemeral_os_disk
from .vm.asr506_disk_sizes import disk_sizes
from .vm.asr507_data_disk_count import data_disk_count
from .vm.asr508_supported_disk_types import supported_disk_types
from .vm.asr509_minimum_vm_size import minimum_vm_size
from .vm.asr510_not_on_dedicated_host import not_on_dedicated_host
from .vm.asr511_security_type_supported import security_type_supported
from .vm.asr512_cmk_disk_encryption_set import cmk_disk_encryption_set
from .vm.asr513_no_blocking_locks import no_blocking_locks
from .vm.asr514_no_target_leftovers import no_target_leftovers
from .vm.asr515_disk_features_supported import disk_features_supported

#: The rule API this pack is written for (docs/plugins.md: API versions).
REQUIRES_API = "1.0"

RULES: tuple[Rule, ...] = (
    vault_not_in_source_region,
    target_differs_from_source,
    target_matches_vault_region,
    target_resource_group_region,
    region_pair_allowed,
    retention_in_range,
    app_consistent_frequency,
    replication_group_size,
    asr_eligibility,
    vault_private_endpoint_ready,
    size_available_in_target,
    family_vcpu_quota,
    regional_vcpu_quota,
    vm_count_quota,
    target_size_fits_nics,
    target_size_fits_data_disks,
    network_quota,
    placement_mappable,
    outbound_storage,
    outbound_entra_id,
    outbound_site_recovery,
    outbound_event_hub,
    outbound_key_vault,
    outbound_automation,
    no_ip_allowlist,
    no_forced_tunnel,
    port_20004_nsg,
    cache_storage_reachable,
    outbound_path_exists,
    root_certificates_current,
    tls_to_endpoints,
    dns_resolves_endpoints,
    no_authenticating_proxy,
    proxy_reachable,
    port_20004_guest,
    linux_root_free_space,
    linux_grub_persistent_names,
    windows_vss_complus,
    os_supported,
    linux_lvm_root_present,
    data_disks_initialized,
    vault_permissions,
    target_create_permissions,
    source_vm_permissions,
    key_vault_permissions,
    vm_provisioning_succeeded,
    vm_running_agent_ready,
    no_failed_extensions,
    no_stale_asr_extension,
    no_ephemeral_os_disk,
    disk_sizes,
    data_disk_count,
    supported_disk_types,
    minimum_vm_size,
    not_on_dedicated_host,
    security_type_supported,
    cmk_disk_encryption_set,
    no_blocking_locks,
    no_target_leftovers,
    disk_features_supported,
)
