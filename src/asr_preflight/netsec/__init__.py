"""The NSG and route evaluator: Network Watcher's IP flow verify, offline, from configuration.

The package's parts, each importable here as before the split (``from asr_preflight.netsec
import NetworkEvaluator``):

- :mod:`.addresses`: addresses on one integer line, :class:`AddressSet`;
- :mod:`.tags`: service tags resolved once (:class:`TagIndex`), the published tag file;
- :mod:`.nsg`: the NSG model, rules compiled once per (NSG, virtual network);
- :mod:`.flows`: a flow, the interface and remote side it runs between, and its verdict;
- :mod:`.evaluator`: the :class:`NetworkEvaluator` (its docstring says how
  NSGs are evaluated);
- :mod:`.routes`: forced tunnelling by user-defined routes.
"""

from asr_preflight.netsec.addresses import (
    EMPTY,
    EVERYTHING,
    V4_ALL,
    V6_ALL,
    V6_BASE,
    AddressSet,
    address_value,
    family_of,
    parse_range,
)
from asr_preflight.netsec.evaluator import NetworkEvaluator
from asr_preflight.netsec.flows import EPHEMERAL_PORTS, Flow, FlowVerdict, Interface, Remote
from asr_preflight.netsec.nsg import (
    AZURE_LOAD_BALANCER,
    DEFAULT_RULES,
    NOT_INTERNET_V4,
    PUBLIC_V6,
    CompiledNsg,
    Direction,
    EvaluationGap,
    RuleHit,
    VnetScope,
    parse_ports,
)
from asr_preflight.netsec.routes import FORCED_TUNNEL_HOPS, forced_tunnel_routes, tunnel_hop_routes
from asr_preflight.netsec.tags import ResolvedTag, TagIndex, service_tags_from_document

Verdict = FlowVerdict  # the name before it was told apart from engine.Verdict; use FlowVerdict

__all__ = [
    "AZURE_LOAD_BALANCER",
    "DEFAULT_RULES",
    "EMPTY",
    "EPHEMERAL_PORTS",
    "EVERYTHING",
    "FORCED_TUNNEL_HOPS",
    "NOT_INTERNET_V4",
    "PUBLIC_V6",
    "V4_ALL",
    "V6_ALL",
    "V6_BASE",
    "AddressSet",
    "CompiledNsg",
    "Direction",
    "EvaluationGap",
    "Flow",
    "FlowVerdict",
    "Interface",
    "NetworkEvaluator",
    "Remote",
    "ResolvedTag",
    "RuleHit",
    "TagIndex",
    "VnetScope",
    "address_value",
    "family_of",
    "forced_tunnel_routes",
    "parse_ports",
    "parse_range",
    "service_tags_from_document",
    "tunnel_hop_routes",
]
