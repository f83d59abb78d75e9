"""Phase 1 and 3 of the Azure collection for ASR010, ASR210 and ASR211: load balancers, private
endpoints and the Site Recovery private DNS zones, and the vault identity's role assignments.

Load balancers, private endpoints and private DNS zones are listed once per subscription: the
source subscriptions (families in :mod:`subscription_lists`) and, for endpoints and zones, the
vault's, the target's and the cache accounts' subscriptions too (:func:`submit_extra`); private
DNS zones alone also in ``[azure] private_dns_subscriptions`` (a hub-and-spoke landing zone
keeps them in a connectivity subscription the plan does not otherwise name). Then,
per Site Recovery zone found, one list of its virtual network links; per private endpoint a
cache account or the vault names outside those subscriptions, one GET. Nothing grows with VMs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from asr_preflight.azure import outbound, private_link
from asr_preflight.azure.assignments import identity_facts, submit_assignments
from asr_preflight.azure.clients import Clients
from asr_preflight.azure.errors import fact_error
from asr_preflight.azure.ids import ResourceId, sub_scope, subscription_of
from asr_preflight.azure.network import get_item
from asr_preflight.azure.runner import READER, Runner, value
from asr_preflight.azure.subscription_lists import Listed
from asr_preflight.plan import Plan
from asr_preflight.snapshot import (
    IdentityFacts,
    LoadBalancer,
    PrivateDnsZone,
    PrivateEndpoint,
    StorageAccount,
    Vault,
)

VAULT_RBAC_READER = (
    "Reader on the cache storage account's subscription (roleAssignments/read, to read the"
    " vault identity's role assignments)"
)


@dataclass
class Extra:
    """Private endpoints and DNS zones listed in subscriptions outside the source ones."""

    futures: dict[str, tuple[Future[Any], Future[Any]]]  # sub -> (endpoints, zones)
    dns_only: dict[str, Future[Any]] = field(default_factory=dict)  # sub -> zones


def link_subscriptions(plan: Plan, sources: Iterable[str]) -> list[str]:
    """Where private endpoints and zones are looked for beyond the source subscriptions."""
    subs = [plan.target.subscription or "", subscription_of(plan.target.vault)]
    subs += [subscription_of(a) for a in plan.target.cache_account_ids()]
    known = {s.lower() for s in sources}
    return [s for s in dict.fromkeys(x.lower() for x in subs if x) if s not in known]


def dns_subscriptions(plan: Plan, known: Iterable[str]) -> list[str]:
    """``[azure] private_dns_subscriptions`` not already listed (``known``): only their zones are
    listed there."""
    seen = {s.lower() for s in known}
    subs = dict.fromkeys(s.lower() for s in plan.azure.private_dns_subscriptions)
    return [s for s in subs if s not in seen]


def submit_extra(
    runner: Runner, clients: Clients, subs: list[str], dns_subs: Iterable[str] = ()
) -> Extra:
    out = {}
    for sub in subs:
        client = clients.network(sub)
        scope = sub_scope(sub)
        out[sub] = (
            runner.submit(
                partial(private_link.list_private_endpoints, client, sub), "private_link", scope
            ),
            runner.submit(partial(private_link.list_zones, client, sub), "private_link", scope),
        )
    dns_only = {
        sub: runner.submit(
            partial(private_link.list_zones, clients.network(sub), sub),
            "private_link",
            sub_scope(sub),
        )
        for sub in dns_subs
        if sub not in out
    }
    return Extra(out, dns_only)


def load_balancers(runner: Runner, listed: Mapping[str, Listed]) -> tuple[LoadBalancer, ...]:
    """Every listed load balancer that has a backend pool (the rule joins them to NICs)."""
    out: dict[str, LoadBalancer] = {}
    for f in listed.values():
        for model in f.value("load_balancers") or ():
            try:
                lb = outbound.to_load_balancer(model)
            except Exception as exc:  # noqa: BLE001 - an unreadable item is that item's error
                runner.record(fact_error(exc, "outbound", str(model.get("id") or ""), READER))
                continue
            if lb.pool_ids:
                out[lb.id.lower()] = lb
    return tuple(out[k] for k in sorted(out))


def private_endpoints(
    runner: Runner,
    clients: Clients,
    listed: Mapping[str, Listed],
    extra: Extra,
    wanted: Iterable[str],
) -> tuple[PrivateEndpoint, ...]:
    """The private endpoints named by the cache accounts' and the vault's connections."""
    raw: dict[str, Any] = {}
    for f in listed.values():
        for model in f.value("private_endpoints") or ():
            raw[str(model.get("id")).lower()] = model
    for endpoints_f, _ in extra.futures.values():
        for model in value(endpoints_f) or ():
            raw[str(model.get("id")).lower()] = model
    read = {s.lower() for s in listed} | set(extra.futures)
    futures = []
    for rid in sorted({w.lower() for w in wanted} - set(raw)):
        try:
            sub = ResourceId.parse(rid).subscription
        except ValueError:
            continue
        if sub.lower() in read:
            continue  # listed already: absent means it does not exist
        futures.append(
            runner.submit(partial(get_item, clients.network(sub), rid), "private_link", rid)
        )
    for future in futures:
        if (model := value(future)) is not None:
            raw[str(model.get("id")).lower()] = model
    out = []
    for rid in sorted({w.lower() for w in wanted} & set(raw)):
        try:
            out.append(private_link.to_private_endpoint(raw[rid]))
        except Exception as exc:  # noqa: BLE001
            runner.record(fact_error(exc, "private_link", rid, READER))
    return tuple(out)


def dns_zones(
    runner: Runner, clients: Clients, listed: Mapping[str, Listed], extra: Extra
) -> tuple[PrivateDnsZone, ...]:
    zones: dict[str, Any] = {}
    for f in listed.values():
        for z in f.value("dns_zones") or ():
            zones[str(z.get("id")).lower()] = z
    for zones_f in [f for _, f in extra.futures.values()] + list(extra.dns_only.values()):
        for z in value(zones_f) or ():
            zones[str(z.get("id")).lower()] = z
    futures = [
        runner.submit(
            partial(private_link.zone_with_links, clients.network(subscription_of(zid)), z),
            "private_link",
            zid,
        )
        for zid, z in sorted(zones.items())
    ]
    return tuple(z for f in futures if (z := value(f)) is not None)


def wanted_endpoints(vault: Vault | None, accounts: Iterable[StorageAccount]) -> list[str]:
    ids = [
        c.private_endpoint_id
        for a in accounts
        for c in a.private_endpoint_connections or ()
        if c.private_endpoint_id
    ]
    if vault is not None:
        ids += [
            c.private_endpoint_id
            for c in vault.private_endpoint_connections or ()
            if c.private_endpoint_id
        ]
    return ids


def vault_identity(
    runner: Runner, clients: Clients, vault: Vault | None, accounts: list[str]
) -> IdentityFacts | None:
    """The vault identity's role and deny assignments at the cache accounts' subscriptions
    (``assignedTo(<its object id>)``), and the role definitions they name."""
    if vault is None or not vault.identity_principal_id or not accounts:
        return None
    principal = vault.identity_principal_id
    subs = list(dict.fromkeys(subscription_of(a).lower() for a in accounts if subscription_of(a)))
    pending = submit_assignments(
        runner, clients, principal, subs, kind="vault_rbac", reader=VAULT_RBAC_READER
    )
    return identity_facts(
        runner,
        clients,
        principal,
        pending,
        fallback_sub=subs[0],
        kind="vault_rbac",
        reader=VAULT_RBAC_READER,
        ancestry=False,
    )
