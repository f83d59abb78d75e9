"""The built-in rule pack: an explicit catalogue, sorted by code (one rule per module).

Registered through the same entry point a third-party pack uses:
``[project.entry-points."asr_preflight.rules"] builtin = "asr_preflight_rules.catalogue:RULES"``.
"""

from asr_preflight.api import Rule

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
from .vm.asr505_no_ephemeral_os_disk import no_ephemeral_os_disk

RULES: tuple[Rule, ...] = (
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
    no_ephemeral_os_disk,
)
