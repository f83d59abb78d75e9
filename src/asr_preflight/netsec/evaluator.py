"""The NSG and route evaluator: Network Watcher's IP flow verify, offline, from configuration.

For one network interface (its IP, its application security groups, its NIC NSG, its subnet NSG
and its virtual network) and one flow (direction, protocol, the remote side, destination port,
optionally a source port) the evaluator answers allow or deny and names the deciding rule, the way
``ipFlowVerify`` does, without needing the VM to be running:

* inbound traffic meets the subnet NSG first, then the NIC NSG; outbound the NIC NSG first, then
  the subnet NSG; both must allow, and a missing NSG allows;
* inside one NSG the rules are taken in ascending priority and the first match decides; the
  default rules (``AllowVnetInBound`` 65000 … ``DenyAllOutBound`` 65500) come last;
* a rule matches on protocol (``*``/Tcp/Udp/Icmp), source and destination ports (``*``, single
  ports, ranges, lists), and addresses: ``*``, IPs and CIDRs (containment), application security
  groups, the special tags ``VirtualNetwork``, ``Internet`` and ``AzureLoadBalancer``, and service
  tags resolved from the collected service-tag list (``Storage`` includes ``Storage.EastUS``).

The remote side can be a whole set of addresses (a service tag): the flow is then allowed only
when every address of every prefix is allowed, and the verdict says how many of the tag's
prefixes are blocked and by which rules. Addresses live on one integer line (IPv4 at
``[0, 2**32)``, IPv6 above it) as merged ranges searched with bisect, so a tag is resolved once
and each rule costs a few bisections, never a scan of the tag list. Approximations are listed in
``docs/network.md``.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field

from asr_preflight.netsec.addresses import (
    _V4,
    _V6,
    EMPTY,
    EVERYTHING,
    V6_BASE,
    AddressSet,
    family_of,
)
from asr_preflight.netsec.flows import (
    EPHEMERAL_PORTS,
    Flow,
    FlowVerdict,
    Interface,
    Remote,
)
from asr_preflight.netsec.nsg import (
    CompiledNsg,
    EvaluationGap,
    RuleHit,
    VnetScope,
    _ports_match,
    _Rule,
    _Side,
)
from asr_preflight.netsec.tags import (
    TagIndex,
)
from asr_preflight.snapshot import (
    NetworkSecurityGroup,
    ServiceTags,
    VirtualNetwork,
)

_Denied = tuple[tuple[AddressSet, RuleHit], ...]
#: one NSG pass: (input set, allowed output, denied pieces, allowing rules)
_Step = tuple[AddressSet, AddressSet, _Denied, tuple[RuleHit, ...]]


@dataclass
class _Pieces:
    allowed: AddressSet
    denied: list[tuple[AddressSet, RuleHit]] = field(default_factory=list)
    allowing: list[RuleHit] = field(default_factory=list)


class NetworkEvaluator:
    """Compiles NSGs once per (NSG, VNet) and answers flows with caching across interfaces.

    Build one per run (``ctx.cached("netsec", …)``) and ask :meth:`verify` for each flow.
    """

    def __init__(self, service_tags: ServiceTags | None) -> None:
        self.tags = TagIndex(service_tags)
        self._scopes: dict[str, VnetScope] = {}
        self._compiled: dict[tuple[str, str], CompiledNsg] = {}
        self._by_object: dict[
            tuple[int, int], tuple[NetworkSecurityGroup, VirtualNetwork | None, CompiledNsg]
        ] = {}
        self._counts: dict[tuple[int, ...], tuple[int, tuple[tuple[int, int], ...]]] = {}
        self._chains: dict[tuple[str, Flow, int], FlowVerdict] = {}
        self._filtered: dict[tuple[object, ...], tuple[_Rule, ...]] = {}
        self._meets: dict[tuple[int, int], tuple[AddressSet, AddressSet, AddressSet]] = {}
        self._minus: dict[tuple[int, int], tuple[AddressSet, AddressSet, AddressSet]] = {}
        self._interned: dict[tuple[tuple[int, ...], tuple[int, ...]], AddressSet] = {}
        self._steps: dict[tuple[object, ...], _Step] = {}
        self._signatures: dict[tuple[object, ...], tuple[int, ...]] = {}
        self._setups: dict[
            tuple[int, Flow],
            tuple[Interface, int, list[CompiledNsg], tuple[tuple[str, tuple[int, ...]], ...], int],
        ] = {}
        self._shapes: dict[tuple[object, ...], int] = {}
        self._local_sides: dict[
            tuple[int, Flow], tuple[tuple[_Side, _Rule, tuple[int, ...]], ...]
        ] = {}

    # -- compilation -------------------------------------------------------------------------

    def scope(self, vnet: VirtualNetwork | None) -> VnetScope:
        key = vnet.id.lower() if vnet else ""
        found = self._scopes.get(key)
        if found is None:
            found = self._scopes[key] = VnetScope(vnet)
        return found

    def compiled(self, nsg: NetworkSecurityGroup, vnet: VirtualNetwork | None) -> CompiledNsg:
        fast = (id(nsg), id(vnet))  # the same fact objects come back for every VM of a subnet
        hit = self._by_object.get(fast)
        if hit is not None and hit[0] is nsg and hit[1] is vnet:
            return hit[2]
        key = (nsg.id.lower(), vnet.id.lower() if vnet else "")
        found = self._compiled.get(key)
        if found is None:
            found = self._compiled[key] = CompiledNsg(nsg, self.scope(vnet), self.tags)
        self._by_object[fast] = (nsg, vnet, found)
        return found

    # -- verification ------------------------------------------------------------------------

    def verify(self, nic: Interface, flow: Flow, remote: Remote) -> FlowVerdict:
        """Allow/deny for ``flow`` between ``nic`` and ``remote``, with the deciding rules."""
        setup = self._setups.get((id(nic), flow))
        if setup is None or setup[0] is not nic:
            family, chain, signature = self._setup(nic, flow)
            # one small number per distinct (family, NSG chain, matching rules, VNet): the key
            # of the verdict cache, so that VMs placed alike share verdicts cheaply
            shape = (family, signature, self.scope(nic.vnet).id)
            number = self._shapes.setdefault(shape, len(self._shapes))
            setup = self._setups[(id(nic), flow)] = (nic, family, chain, signature, number)
        _, family, chain, signature, number = setup
        single = len(remote.prefixes) == 1 and remote.prefixes[0][0] == remote.prefixes[0][1]
        if single and family_of(remote.prefixes[0][0]) == family:
            return self._verify_one(chain, signature, flow, remote)
        key = None
        if remote.key is not None:
            key = (remote.key, flow, number)
            cached = self._chains.get(key)
            if cached is not None:
                return cached
        fam_all = _V4 if family == 4 else _V6
        pieces = _Pieces(self._canon(self._intersect(remote.addresses, fam_all)))
        for compiled, (_, rules) in zip(chain, signature, strict=True):
            pieces = self._through(compiled, rules, pieces, remote, flow)
        verdict = self._summarise(flow, remote, family, pieces, tuple(c.name for c in chain))
        if key is not None:
            self._chains[key] = verdict
        return verdict

    def _setup(
        self, nic: Interface, flow: Flow
    ) -> tuple[int, list[CompiledNsg], tuple[tuple[str, tuple[int, ...]], ...]]:
        """The NSGs a flow of ``nic`` meets, in order, and which of their rules apply to it."""
        local = nic.value
        order = (nic.nic_nsg, nic.subnet_nsg)
        if flow.direction == "Inbound":
            order = (nic.subnet_nsg, nic.nic_nsg)
        chain = [self.compiled(n, nic.vnet) for n in order if n is not None]
        signature = tuple((c.id, self._signature(c, flow, local, nic.asg_ids)) for c in chain)
        return family_of(local), chain, signature

    def _verify_one(
        self,
        chain: list[CompiledNsg],
        signature: tuple[tuple[str, tuple[int, ...]], ...],
        flow: Flow,
        remote: Remote,
    ) -> FlowVerdict:
        """The flow to or from one address (a peer NIC): first match per NSG, no set algebra."""
        value = remote.prefixes[0][0]
        outbound = flow.direction == "Outbound"
        names = tuple(c.name for c in chain)
        allowing: tuple[RuleHit, ...] = ()
        for nsg, (_, indices) in zip(chain, signature, strict=True):
            candidates = self._candidates(nsg, flow)
            decided: RuleHit | None = None
            for i in indices:
                rule = candidates[i]
                side = rule.dst if outbound else rule.src
                if side.asgs and not side.asgs.isdisjoint(remote.asg_ids):
                    decided = rule.hit
                elif side.unresolved:
                    raise _unresolved(nsg, rule, side)
                elif side.addresses.contains(value):
                    decided = rule.hit
                if decided is not None:
                    break
            if decided is None:  # only possible with collected default rules that leave a gap
                decided = RuleHit(nsg.name, "(no rule matched)", None, "Deny")
            if decided.access != "Allow":
                return FlowVerdict(flow, remote.label, False, 1, 1, ((decided, 1),), (), names)
            allowing = (decided,)
        return FlowVerdict(flow, remote.label, True, 1, 0, (), allowing, names)

    def _intersect(self, remaining: AddressSet, addresses: AddressSet) -> AddressSet:
        """``remaining ∩ addresses``, memoised: a tag meets the same rule sets (other tags,
        ``Internet``) in NSG after NSG, and ``remaining`` is usually still the whole tag."""
        if addresses is EVERYTHING:
            return remaining
        key = (id(remaining), id(addresses))
        hit = self._meets.get(key)
        if hit is not None and hit[0] is remaining and hit[1] is addresses:
            return hit[2]
        result = self._canon(remaining.intersection(addresses))
        if len(self._meets) < 200_000:
            self._meets[key] = (remaining, addresses, result)  # keeps both alive: ids stay valid
        return result

    def _candidates(self, nsg: CompiledNsg, flow: Flow) -> tuple[_Rule, ...]:
        """The rules of ``nsg`` that match the flow's direction, protocol and ports."""
        key = (id(nsg), flow)
        found = self._filtered.get(key)
        if found is None:
            out = []
            proto = flow.protocol.lower()
            for rule in nsg.rules(flow.direction):
                if rule.protocol is not None and rule.protocol != proto:
                    continue
                if flow.protocol == "Icmp":
                    if rule.dst_ports is not None or rule.src_ports is not None:
                        continue
                else:
                    if not _ports_match(rule.dst_ports, flow.port):
                        continue
                    if flow.source_port is None:
                        if not _source_ports_ok(rule):
                            continue
                    elif not _ports_match(rule.src_ports, flow.source_port):
                        continue
                out.append(rule)
            found = self._filtered[key] = tuple(out)
        return found

    def _signature(
        self, nsg: CompiledNsg, flow: Flow, local: int, asgs: frozenset[str]
    ) -> tuple[int, ...]:
        """Indices of the candidate rules whose local side matches the interface (memoised: the
        flows to the six ASR tags share them)."""
        key = (id(nsg), flow, local, asgs)
        found = self._signatures.get(key)
        if found is None:
            found = self._signatures[key] = self._match_local(nsg, flow, local, asgs)
        return found

    def _match_local(
        self, nsg: CompiledNsg, flow: Flow, local: int, asgs: frozenset[str]
    ) -> tuple[int, ...]:
        # candidates share side objects ("*", the subnet's prefix…): test each distinct one once
        groups = self._local_sides.get((id(nsg), flow))
        if groups is None:
            outbound = flow.direction == "Outbound"
            by_side: dict[int, tuple[_Side, _Rule, list[int]]] = {}
            for i, rule in enumerate(self._candidates(nsg, flow)):
                side = rule.src if outbound else rule.dst
                by_side.setdefault(id(side), (side, rule, []))[2].append(i)
            groups = self._local_sides[(id(nsg), flow)] = tuple(
                (side, rule, tuple(ix)) for side, rule, ix in by_side.values()
            )
        out: list[int] = []
        for side, rule, indices in groups:
            if side.addresses.contains(local) or (side.asgs and not side.asgs.isdisjoint(asgs)):
                out.extend(indices)
            elif side.unresolved:
                raise _unresolved(nsg, rule, side)
        return tuple(sorted(out))

    def _subtract(self, remaining: AddressSet, claimed: AddressSet) -> AddressSet:
        """``remaining - claimed``, memoised on the (interned) operands like :meth:`_intersect`."""
        key = (id(remaining), id(claimed))
        hit = self._minus.get(key)
        if hit is not None and hit[0] is remaining and hit[1] is claimed:
            return hit[2]
        result = self._canon(remaining.difference(claimed))
        if len(self._minus) < 200_000:
            self._minus[key] = (remaining, claimed, result)
        return result

    def _canon(self, value: AddressSet) -> AddressSet:
        """One object per distinct set (interned by content), so that the memo tables keyed on
        identity hit whenever the same set comes back from another NSG or another VM."""
        if not value:
            return EMPTY
        key = (tuple(value.lo), tuple(value.hi))
        found = self._interned.get(key)
        if found is None:
            found = self._interned[key] = value
        return found

    def _through(
        self,
        nsg: CompiledNsg,
        indices: tuple[int, ...],
        pieces: _Pieces,
        remote: Remote,
        flow: Flow,
    ) -> _Pieces:
        """Pass the still-allowed addresses through one NSG: first matching rule per address."""
        key = (id(nsg), flow, indices, id(pieces.allowed), remote.asg_ids)
        step = self._steps.get(key)
        if step is None or step[0] is not pieces.allowed:
            step = (pieces.allowed, *self._step(nsg, indices, pieces.allowed, remote, flow))
            self._steps[key] = step
        _, allowed, denied, hits = step
        return _Pieces(allowed, [*pieces.denied, *denied], list(hits))

    def _step(
        self, nsg: CompiledNsg, indices: tuple[int, ...], remaining: AddressSet, remote: Remote,
        flow: Flow,
    ) -> tuple[AddressSet, _Denied, tuple[RuleHit, ...]]:  # fmt: skip
        candidates = self._candidates(nsg, flow)
        allowed: list[AddressSet] = []
        denied: list[tuple[AddressSet, RuleHit]] = []
        hits: list[RuleHit] = []
        outbound = flow.direction == "Outbound"
        for i in indices:
            if not remaining:
                break
            rule = candidates[i]
            side = rule.dst if outbound else rule.src
            if side.asgs and not side.asgs.isdisjoint(remote.asg_ids):
                claimed = remaining
            else:
                if side.unresolved:
                    raise _unresolved(nsg, rule, side)
                claimed = self._intersect(remaining, side.addresses)
            if not claimed:
                continue
            remaining = EMPTY if claimed is remaining else self._subtract(remaining, claimed)
            if rule.allow:
                allowed.append(claimed)
                hits.append(rule.hit)
            else:
                denied.append((claimed, rule.hit))
        if remaining:  # only possible with collected default rules that leave a gap
            denied.append((remaining, RuleHit(nsg.name, "(no rule matched)", None, "Deny")))
        result = EMPTY
        for part in allowed:
            result = result.union(part)
        return self._canon(result), tuple(denied), tuple(hits)

    def _summarise(
        self, flow: Flow, remote: Remote, family: int, pieces: _Pieces, nsgs: tuple[str, ...]
    ) -> FlowVerdict:
        split = bisect_left(remote.prefixes, (V6_BASE, 0))  # prefixes are sorted: IPv4 first
        prefixes = remote.prefixes[:split] if family == 4 else remote.prefixes[split:]
        counts: dict[RuleHit, int] = {}
        blocked = 0
        hits = {hit for _, hit in pieces.denied}
        if not pieces.denied:
            pass  # every address reached an allow rule in each NSG
        elif not pieces.allowed and len(hits) == 1:
            blocked = len(prefixes)
            counts = {hits.pop(): blocked} if blocked else {}
        else:
            parts = tuple(part for part, _ in pieces.denied)
            key = (id(remote.prefixes), family, id(pieces.allowed), *map(id, parts))
            found = self._counts.get(key) if remote.key is not None else None
            if found is None:
                found = _count_blocked(prefixes, pieces.allowed, parts)
                if remote.key is not None:  # tags and interned sets live as long as the run
                    self._counts[key] = found
            blocked, per_part = found
            for index, n in per_part:
                hit = pieces.denied[index][1]
                counts[hit] = counts.get(hit, 0) + n
        blocking = tuple(
            sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].nsg, kv[0].priority or 0))
        )
        return FlowVerdict(
            flow=flow,
            remote=remote.label,
            allowed=bool(prefixes) and blocked == 0,
            total=len(prefixes),
            blocked=blocked,
            blocking=blocking,
            allowing=tuple(dict.fromkeys(pieces.allowing)),
            nsgs=nsgs,
        )


def _count_blocked(
    prefixes: Sequence[tuple[int, int]], allowed: AddressSet, parts: Sequence[AddressSet]
) -> tuple[int, tuple[tuple[int, int], ...]]:
    """How many prefixes are not wholly allowed, and per denied part (by index) how many it
    blocks: a prefix is attributed to the part holding its lowest denied address."""
    denied = sorted((lo, hi, i) for i, part in enumerate(parts) for lo, hi in part.ranges())
    starts = [d[0] for d in denied]
    ends = [d[1] for d in denied]
    blocked = 0
    per_part: dict[int, int] = {}
    for lo, hi in prefixes:
        if allowed.covers(lo, hi):
            continue
        blocked += 1
        j = bisect_left(ends, lo)
        if j < len(starts) and starts[j] <= hi:
            per_part[denied[j][2]] = per_part.get(denied[j][2], 0) + 1
    return blocked, tuple(sorted(per_part.items()))


def _source_ports_ok(rule: _Rule) -> bool:
    """With no source port given (any ephemeral port): an allow rule must cover every ephemeral
    port to match; a deny rule matches if it covers any of them (conservative both ways)."""
    if rule.src_ports is None:
        return True
    lo, hi = EPHEMERAL_PORTS
    if rule.allow:
        covered = lo
        for a, b in rule.src_ports:
            if a <= covered <= b:
                covered = b + 1
        return covered > hi
    return any(a <= hi and b >= lo for a, b in rule.src_ports)


def _unresolved(nsg: CompiledNsg, rule: _Rule, side: _Side) -> EvaluationGap:
    names = ", ".join(side.unresolved)
    return EvaluationGap(
        f"{nsg.name}/{rule.hit.name} refers to {names}, which is not in the collected"
        " service-tag list",
        "collect the service tags of the NSG's region (`asr-preflight collect`),"
        " or check the tag name",
    )
