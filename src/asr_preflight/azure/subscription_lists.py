"""Phase 1 of the Azure collection: the whole collections listed once per source subscription.

To read a new kind of resource per subscription, add one line to :data:`FAMILIES` (the FactError
kind its failure records, the client it needs, the lister) and read it in a later phase with
``listed[sub].value("<name>")``.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from functools import partial
from typing import Any

from asr_preflight.azure import compute, locks, network, outbound, private_link
from asr_preflight.azure.clients import Clients
from asr_preflight.azure.ids import sub_scope
from asr_preflight.azure.runner import Runner, value
from asr_preflight.snapshot import FactKind


@dataclass(frozen=True)
class Family:
    kind: FactKind  # the FactError kind when the list fails
    client: Callable[[Clients, str], Any]  # Clients.compute, Clients.network, ...
    lister: Callable[[Any, str], Any]  # (client, subscription) -> the list
    record: bool = True  # False: the consumer records the failure (per VM, say)


FAMILIES: dict[str, Family] = {
    "vms": Family("vms", Clients.compute, compute.list_vms),
    # its failure is recorded per selected VM (the VMs themselves were listed)
    "statuses": Family("vms", Clients.compute, compute.list_statuses, record=False),
    "disks": Family("disks", Clients.compute, compute.list_disks),
    "nics": Family("network", Clients.network, partial(network.list_kind, kind="nics")),
    "nsgs": Family("network", Clients.network, partial(network.list_kind, kind="nsgs")),
    "vnets": Family("network", Clients.network, partial(network.list_kind, kind="vnets")),
    "route_tables": Family(
        "network", Clients.network, partial(network.list_kind, kind="route_tables")
    ),
    "public_ips": Family("network", Clients.network, partial(network.list_kind, kind="public_ips")),
    # every lock of the subscription (on it, its groups and their resources); ASR513
    "locks": Family("locks", Clients.raw, locks.list_locks),
    "load_balancers": Family("outbound", Clients.network, outbound.list_load_balancers),
    "private_endpoints": Family(
        "private_link", Clients.network, private_link.list_private_endpoints
    ),
    "dns_zones": Family("private_link", Clients.network, private_link.list_zones),
}


@dataclass(frozen=True)
class Listed:
    """What phase 1 listed in one source subscription: one future per family."""

    futures: dict[str, Future[Any]]

    def value(self, family: str) -> Any:
        """The list, or None when it failed."""
        return value(self.futures[family])

    def result(self, family: str) -> Any:
        """The list, or the :class:`Failed` that says why not."""
        return self.futures[family].result()


def list_subscription(runner: Runner, clients: Clients, sub: str) -> Listed:
    scope = sub_scope(sub)
    return Listed(
        {
            name: runner.submit(
                partial(family.lister, family.client(clients, sub), sub),
                family.kind,
                scope,
                record=family.record,
            )
            for name, family in FAMILIES.items()
        }
    )


__all__ = ["FAMILIES", "Family", "Listed", "list_subscription"]
