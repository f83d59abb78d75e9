"""The vault's Azure-to-Azure network mappings: which target virtual network ASR puts the VMs of
a source virtual network into. One paged list per vault, never per VM.

``GET {vault}/replicationNetworkMappings`` (ReplicationNetworkMappings_List,
specification/recoveryservicessiterecovery/resource-manager/Microsoft.RecoveryServices/stable/
2024-04-01/service.json, example ReplicationNetworkMappings_List.json). Only mappings whose
``primaryNetworkId`` and ``recoveryNetworkId`` are both virtual network ids (Azure to Azure) are
kept; the others (VMM to Azure) name replication networks, not VNets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from asr_preflight.azure.api_versions import api_version
from asr_preflight.azure.raw import dig, list_all
from asr_preflight.snapshot import NetworkMapping

MAPPINGS_API = api_version("Microsoft.RecoveryServices/vaults/replicationNetworkMappings")
_VNET = "/providers/microsoft.network/virtualnetworks/"


def list_network_mappings(client: Any, vault_id: str) -> tuple[NetworkMapping, ...]:
    path = f"{vault_id.rstrip('/')}/replicationNetworkMappings"
    found = [m for m in (to_mapping(i) for i in list_all(client, path, MAPPINGS_API)) if m]
    return tuple(sorted(found, key=lambda m: (m.source_vnet_id.lower(), m.target_vnet_id.lower())))


def to_mapping(item: Mapping[str, Any]) -> NetworkMapping | None:
    source = dig(item, "properties", "primaryNetworkId")
    target = dig(item, "properties", "recoveryNetworkId")
    if not (isinstance(source, str) and isinstance(target, str)):
        return None
    if _VNET not in source.lower() or _VNET not in target.lower():
        return None
    return NetworkMapping(source_vnet_id=source, target_vnet_id=target)
