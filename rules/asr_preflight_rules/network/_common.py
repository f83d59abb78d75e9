"""What the network rules share: the evaluator, a VM's placement, the required service tags,
and the small factory behind the outbound family ASR201–ASR206."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from asr_preflight.api import (
    Finding,
    MissingFact,
    Rule,
    RuleContext,
    failed,
    passed,
    skipped,
    vm_rule,
    warned,
)
from asr_preflight.netsec import (
    EvaluationGap,
    Flow,
    FlowVerdict,
    Interface,
    NetworkEvaluator,
    Remote,
    ResolvedTag,
)
from asr_preflight.snapshot import (
    NetworkInterface,
    StorageAccount,
    Subnet,
    VirtualMachine,
    VirtualNetwork,
)

HTTPS = 443
MVC_PORT = 20004


def evaluator(ctx: RuleContext) -> NetworkEvaluator:
    """The run's one evaluator: tags resolved and NSGs compiled once, verdicts cached."""
    return ctx.cached("netsec.evaluator", lambda: NetworkEvaluator(ctx.snapshot.service_tags))


def missing(ctx: RuleContext, kind: str, vm: VirtualMachine, what: str) -> MissingFact:
    """A MissingFact carrying whichever collector error covers the VM's subscription/region."""
    for scope in (
        vm.id,
        f"{vm.subscription_id}/{vm.location}",
        f"/subscriptions/{vm.subscription_id}",
        vm.subscription_id,
    ):
        if ctx.error_for(kind, scope) is not None:
            return ctx.missing(kind, scope, what)
    return ctx.missing(kind, vm.id, what)


# ---------------------------------------------------------------------------------------------
# Where a VM sits
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Placement:
    """The VM's primary NIC, its subnet and VNet, and the NIC as its NSGs see it."""

    nic: NetworkInterface
    subnet: Subnet
    vnet: VirtualNetwork
    interface: Interface


def placement(ctx: RuleContext, vm: VirtualMachine) -> Placement:
    """The facts network rules evaluate (the primary NIC and its subnet); MissingFact if absent."""
    cache: dict[str, Placement] = ctx.cached("netsec.placements", dict)
    found = cache.get(vm.id)
    if found is not None:
        return found
    nic = ctx.primary_nic(vm)
    ipc = nic.primary_ip_configuration
    if ipc is None or not ipc.subnet_id or not ipc.private_ip:
        raise ctx.missing("network", nic.id, f"{vm.name}'s primary IP configuration")
    subnet = ctx.subnet(ipc.subnet_id)
    vnet = ctx.vnet(subnet.vnet_id)
    nic_nsg = ctx.nsg(nic.nsg_id) if nic.nsg_id else None
    subnet_nsg = ctx.nsg(subnet.nsg_id) if subnet.nsg_id else None
    interface = Interface(
        name=nic.name,
        ip=ipc.private_ip,
        asg_ids=frozenset(a.lower() for a in ipc.asg_ids),
        nic_nsg=nic_nsg,
        subnet_nsg=subnet_nsg,
        vnet=vnet,
    )
    found = cache[vm.id] = Placement(nic, subnet, vnet, interface)
    return found


# ---------------------------------------------------------------------------------------------
# Cache storage and private endpoints
# ---------------------------------------------------------------------------------------------


def cache_account(ctx: RuleContext, account_id: str) -> StorageAccount:
    """The gathered cache storage account with this id; MissingFact when it was not gathered."""

    def index() -> dict[str, StorageAccount]:
        found = {a.id.lower(): a for a in ctx.snapshot.cache_storage_accounts}
        if ctx.snapshot.cache_storage is not None:
            found.setdefault(ctx.snapshot.cache_storage.id.lower(), ctx.snapshot.cache_storage)
        return found

    account = ctx.cached("network.cache-accounts", index).get(account_id.lower())
    if account is None:
        raise ctx.missing("cache_storage", account_id, "the cache storage account")
    return account


def private_endpoint_serves(
    ctx: RuleContext, connections: object, vm: VirtualMachine, group: str
) -> bool | None:
    """Does an approved private endpoint of sub-resource ``group`` (``blob``), listed among a
    resource's ``connections``, sit in the VM's VNet or a VNet peered with it? None: the
    connections or the private endpoints were not gathered."""
    if connections is None:
        return None
    approved = [
        c
        for c in connections  # type: ignore[attr-defined]
        if (c.status or "").lower() == "approved" and c.private_endpoint_id
    ]
    if not approved:
        return False
    endpoints = ctx.snapshot.private_endpoints
    if endpoints is None:
        return None
    by_id = ctx.cached("network.private-endpoints", lambda: {p.id.lower(): p for p in endpoints})
    vnet = placement(ctx, vm).vnet
    reachable = {vnet.id.lower(), *(v.lower() for v in vnet.peered_vnet_ids)}
    unknown = False
    for conn in approved:
        endpoint = by_id.get(conn.private_endpoint_id.lower())
        if endpoint is None:
            unknown = True  # in a subscription whose endpoints were not listed
            continue
        if group.lower() not in {g.lower() for g in endpoint.group_ids}:
            continue
        if endpoint.subnet_id and endpoint.subnet_id.lower().split("/subnets/")[0] in reachable:
            return True
    return None if unknown else False


# ---------------------------------------------------------------------------------------------
# Service tags
# ---------------------------------------------------------------------------------------------


def tag_regions(ctx: RuleContext, vm: VirtualMachine) -> dict[str, str]:
    """``source``: the VM's own region (its cache account must be there: ASR210);
    ``target``: the plan's target region."""
    return {"source": vm.location, "target": ctx.plan.target.region}


def required_tag(ctx: RuleContext, vm: VirtualMachine, template: str) -> ResolvedTag:
    """Resolve ``Storage.{source}``/``EventHub.{target}``/``AzureActiveDirectory`` for ``vm``."""
    if ctx.snapshot.service_tags is None:
        raise missing(ctx, "service_tags", vm, "the service-tag list")
    # the regions depend on the VM's location only (cache account and target are per run)
    memo: dict[tuple[str, str], ResolvedTag] = ctx.cached("netsec.required-tags", dict)
    found = memo.get((template, vm.location))
    if found is None:
        region = ""
        if ".{" in template:
            region = tag_regions(ctx, vm)[template.split(".{", 1)[1].rstrip("}")]
        found = memo[(template, vm.location)] = _resolve_required(ctx, template, region)
    return found


def _resolve_required(ctx: RuleContext, template: str, region: str) -> ResolvedTag:
    index = evaluator(ctx).tags
    name = template
    if ".{" in template:
        base = template.split(".{", 1)[0]
        regional = index.regional(base, region)
        if regional is None:
            raise MissingFact(
                f"the collected service-tag list has no {base} tag for region {region}",
                "collect the service tags again (`asr-preflight collect`); check the region name",
            )
        name = regional
    tag = index.resolve(name)
    if tag is None:
        raise MissingFact(
            f"the collected service-tag list has no {name} tag",
            "collect the service tags again (`asr-preflight collect`)",
        )
    return tag


#: The service tags ASR reachability rests on (ASR201–ASR206), with when each applies
#: (ASR207 and ASR208 look for routes and rules covering them).
ALWAYS = ("Storage.{source}", "AzureActiveDirectory", "AzureSiteRecovery", "EventHub.{target}")


def asr_tags(ctx: RuleContext, vm: VirtualMachine) -> tuple[ResolvedTag, ...]:
    templates = list(ALWAYS)
    if vm.ade_use is not False:  # ADE VMs, and VMs whose ADE use is unknown (look anyway)
        templates.append("AzureKeyVault")
    if ctx.plan.policy.auto_update:
        templates.append("GuestAndHybridManagement")
    return tuple(required_tag(ctx, vm, t) for t in templates)


def verify(ctx: RuleContext, interface: Interface, flow: Flow, remote: Remote) -> FlowVerdict:
    """Evaluate a flow; what the evaluator cannot resolve becomes MissingFact (unknown)."""
    try:
        return evaluator(ctx).verify(interface, flow, remote)
    except EvaluationGap as gap:
        raise MissingFact(gap.message, gap.hint) from None


# ---------------------------------------------------------------------------------------------
# The outbound family (ASR201–ASR206): same check, different data
# ---------------------------------------------------------------------------------------------

#: Applicability test: None = applies, else the reason to skip.
Applies = Callable[[RuleContext, VirtualMachine], "str | None"]


def outbound_tag_rule(
    *,
    code: str,
    name: str,
    severity: str,
    tag: str,
    doc: str,
    module: str,
    port: int = HTTPS,
    applies: Applies | None = None,
) -> Rule:
    """One rule of the outbound family: TCP ``port`` from the VM's primary NIC must be allowed to
    every prefix of the service tag ``tag`` (``Storage.{source}``, ``EventHub.{target}``, …).

    ``module`` is the calling rule module's ``__name__``: the rule is defined there."""

    flow = Flow("Outbound", "Tcp", port)

    def check(ctx: RuleContext, vm: VirtualMachine) -> Finding:
        if applies is not None and (reason := applies(ctx, vm)) is not None:
            return skipped(vm, f"{vm.name}: {reason}")
        resolved = required_tag(ctx, vm, tag)
        where = placement(ctx, vm)
        remotes: dict[str, Remote] = ctx.cached("netsec.remotes", dict)
        remote = remotes.get(resolved.name)
        if remote is None:
            remote = remotes[resolved.name] = Remote.tag(resolved)
        verdict = verify(ctx, where.interface, flow, remote)
        if verdict.total == 0:
            raise MissingFact(
                f"service tag {resolved.name} has no prefix of {vm.name}'s IP family",
                "collect the service tags again (`asr-preflight collect`)",
            )
        message = verdict.describe(vm.name)
        if verdict.allowed:
            return passed(vm, message)
        deciding = verdict.deciding
        where_ = f" to {deciding.nsg}" if deciding else ""
        before = f" with a priority number below {deciding.priority}" if deciding else ""
        hint = (
            f"add an outbound rule{where_} allowing TCP {port} to the service tag"
            f" {resolved.name}{before}, or remove the deny"
        )
        if severity == "warn":
            return warned(vm, message, hint=hint)
        return failed(vm, message, hint=hint)

    check.__doc__ = doc
    check.__name__ = check.__qualname__ = name.replace("-", "_")
    check.__module__ = module
    return vm_rule(code=code, name=name, severity=severity)(check)
