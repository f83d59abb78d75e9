"""What ``asr-preflight init`` reads: per subscription, the VMs, the Recovery Services vaults and
the storage accounts (three paged lists, whatever the number of VMs), after resolving the
management groups into subscriptions. Read-only, like every collection.

Lists, each ``GET /subscriptions/{s}/providers/…`` with ``nextLink`` paging:

* ``Microsoft.Compute/virtualMachines`` (:data:`~asr_preflight.azure.raw.COMPUTE_API`,
  VirtualMachines_ListAll);
* ``Microsoft.RecoveryServices/vaults`` (Vaults_ListBySubscriptionId);
* ``Microsoft.Storage/storageAccounts`` (StorageAccounts_List);

each at the version pinned in :mod:`asr_preflight.azure.api_versions` (the spec files are there).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from asr_preflight.azure.api_versions import api_version
from asr_preflight.azure.clients import Clients
from asr_preflight.azure.guard import Deadline, collection_limit
from asr_preflight.azure.ids import sub_scope
from asr_preflight.azure.raw import COMPUTE_API, list_all
from asr_preflight.azure.runner import Progress, Runner, value
from asr_preflight.options import AzureOptions
from asr_preflight.regions import normalize as norm_location
from asr_preflight.snapshot import FactKind

RECOVERY_SERVICES_API = api_version("Microsoft.RecoveryServices/vaults")
STORAGE_API = api_version("Microsoft.Storage/storageAccounts")


@dataclass(frozen=True)
class Found:
    """One resource a list returned: what the plan writer needs of it."""

    id: str
    name: str
    location: str
    kind: str | None = None  # storage: StorageV2, BlockBlobStorage, …
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def subscription(self) -> str:
        return self.id.split("/")[2]

    @property
    def resource_group(self) -> str:
        return self.id.split("/")[4]


@dataclass(frozen=True)
class Survey:
    subscriptions: tuple[str, ...]
    vms: tuple[Found, ...] = ()
    vaults: tuple[Found, ...] = ()
    storage_accounts: tuple[Found, ...] = ()
    problems: tuple[str, ...] = ()  # what could not be read, with the cause and the fix


def _found(item: Mapping[str, Any]) -> Found | None:
    rid, name, location = item.get("id"), item.get("name"), item.get("location")
    parts = str(rid or "").split("/")
    if not (rid and name and location) or len(parts) < 5 or parts[1].lower() != "subscriptions":
        return None
    tags = item.get("tags") if isinstance(item.get("tags"), Mapping) else {}
    return Found(
        id=str(rid),
        name=str(name),
        location=norm_location(str(location)),
        kind=str(item["kind"]) if isinstance(item.get("kind"), str) else None,
        tags={str(k): str(v) for k, v in (tags or {}).items()},
    )


def _list(client: Any, sub: str, provider: str, api: str) -> list[Found]:
    items = list_all(client, f"/subscriptions/{sub}/providers/{provider}", api)
    return [f for f in (_found(i) for i in items) if f is not None]


#: What the survey lists per subscription, in the order of :class:`Survey`'s fields: the fact
#: kind a failure is recorded as, the client whose pipeline reads it, the provider path, the
#: api-version.
_LISTS: tuple[tuple[FactKind, Callable[[Clients, str], Any], str, str], ...] = (
    ("vms", Clients.compute, "Microsoft.Compute/virtualMachines", COMPUTE_API),
    ("vault", Clients.raw, "Microsoft.RecoveryServices/vaults", RECOVERY_SERVICES_API),
    ("cache_storage", Clients.raw, "Microsoft.Storage/storageAccounts", STORAGE_API),
)


def survey(clients: Clients, subscriptions: Iterable[str], concurrency: int = 16) -> Survey:
    """List VMs, vaults and storage accounts in every subscription, concurrently."""
    subs = list(dict.fromkeys(s.lower() for s in subscriptions))
    runner = Runner(concurrency, Progress(None))
    try:
        futures = {
            sub: tuple(
                runner.submit(
                    partial(_list, client(clients, sub), sub, provider, api), kind, sub_scope(sub)
                )
                for kind, client, provider, api in _LISTS
            )
            for sub in subs
        }
        found: tuple[list[Found], list[Found], list[Found]] = ([], [], [])
        for parts in futures.values():
            for bucket, future in zip(found, parts, strict=True):
                got: list[Found] | None = value(future)
                bucket.extend(got or ())
    finally:
        runner.close()
    labels = {
        "vms": "VMs",
        "vault": "Recovery Services vaults",
        "cache_storage": "storage accounts",
    }
    problems = tuple(
        f"{labels.get(e.kind, e.kind)} of {e.scope} could not be listed: {e.cause}"
        + (f" ({e.hint})" if e.hint else "")
        for e in sorted(runner.errors, key=lambda e: (e.scope, e.kind))
    )

    def order(items: list[Found]) -> tuple[Found, ...]:
        return tuple(sorted(items, key=lambda f: f.id.lower()))

    return Survey(tuple(subs), order(found[0]), order(found[1]), order(found[2]), problems)


def tag_values(vms: Iterable[Found], key: str) -> dict[str, list[Found]]:
    """VMs by the value of tag ``key`` (case-insensitive key), for proposing groups."""
    out: dict[str, list[Found]] = {}
    for vm in vms:
        for k, v in vm.tags.items():
            if k.lower() == key.lower() and v:
                out.setdefault(v, []).append(vm)
    return out


def survey_azure(
    subscriptions: Iterable[str],
    management_groups: Iterable[str],
    options: AzureOptions,
    *,
    credential: Any = None,
) -> Survey:
    """Sign in, resolve the management groups into subscriptions, and survey them all.
    Raises CredentialError (no token) and PlanError (a bad cloud, a group that cannot be listed,
    no subscription at all)."""
    from asr_preflight.azure.clouds import CloudError, resolve_cloud
    from asr_preflight.azure.credential import acquire_token, make_credential, quiet_sdk_logs
    from asr_preflight.azure.orchestrator import resolve_management_groups
    from asr_preflight.plan import PlanError

    try:
        if options.arm_endpoint or options.authority_host or options.cloud == "custom":
            cloud = resolve_cloud("custom", options.arm_endpoint, options.authority_host)
        else:
            cloud = resolve_cloud(options.cloud or "AzureCloud")
    except CloudError as exc:
        raise PlanError(f"--cloud: {exc}") from None
    if credential is None:
        credential = make_credential(cloud)
    deadline = Deadline(collection_limit(options.timeout))  # as collect's (guard.py)
    acquire_token(credential, cloud, timeout=deadline.remaining())
    clients = Clients(
        credential,
        cloud,
        pool_size=options.concurrency,
        retry_total=options.retry_total,
        read_timeout=options.read_timeout,
        deadline=deadline,
    )
    try:
        with quiet_sdk_logs():
            under = resolve_management_groups(management_groups, clients)
            subs = list(dict.fromkeys([*(s.lower() for s in subscriptions), *under.subscriptions]))
            if not subs:
                raise PlanError("init: no subscription given, and none under the management groups")
            return survey(clients, subs, options.concurrency)
    finally:
        clients.close()
