"""The built-in rule pack: an explicit catalogue, sorted by code (one rule per module).

Registered through the same entry point a third-party pack uses:
``[project.entry-points."asr_preflight.rules"] builtin = "asr_preflight_rules.catalogue:RULES"``.
"""

from asr_preflight.api import Rule

from .guest.asr301_root_certificates_current import root_certificates_current
from .guest.asr302_tls_to_endpoints import tls_to_endpoints
from .guest.asr303_dns_resolves_endpoints import dns_resolves_endpoints
from .guest.asr304_no_authenticating_proxy import no_authenticating_proxy
from .guest.asr305_proxy_reachable import proxy_reachable
from .guest.asr306_port_20004_guest import port_20004_guest
from .guest.asr307_linux_root_free_space import linux_root_free_space
from .guest.asr308_linux_grub_persistent_names import linux_grub_persistent_names
from .guest.asr309_windows_vss_complus import windows_vss_complus
from .vm.asr505_no_ephemeral_os_disk import no_ephemeral_os_disk

RULES: tuple[Rule, ...] = (
    root_certificates_current,
    tls_to_endpoints,
    dns_resolves_endpoints,
    no_authenticating_proxy,
    proxy_reachable,
    port_20004_guest,
    linux_root_free_space,
    linux_grub_persistent_names,
    windows_vss_complus,
    no_ephemeral_os_disk,
)
