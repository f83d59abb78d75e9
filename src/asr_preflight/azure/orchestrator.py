"""The Azure collection: list whole collections per subscription, join locally, fetch regional
facts once per (subscription, region), and record every failure as a FactError.

Request count grows with subscriptions, regions and pages, not with VMs. The per-VM calls are
ASR's eligibility check (skipped with ``--no-eligibility``) and, only for running VMs whose
status-only listing left out the VM agent, one instance-view GET each.

Phases, each run concurrently under ``options.concurrency``:

1. per source subscription: VMs, VM statuses (``statusOnly=true``), managed disks, NICs, NSGs,
   VNets (with subnets and peerings), route tables, public IPs; the vault, the cache storage
   account, service tags, and per relevant subscription the principal's role and deny assignments;
2. selection (``[select]``, groups checked) and the instance views the status list lacked;
3. per (subscription, region): VM SKUs (and, for target pairs, compute and network usages);
   resource groups; role definitions; network resources outside the listed subscriptions;
   ASR eligibility per selected VM.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from asr_preflight.azure import (
    compute,
    identity,
    keyvaults,
    management_groups,
    network,
    regional,
    resources,
)
from asr_preflight.azure.clients import Clients
from asr_preflight.azure.clouds import Cloud, CloudError, resolve_cloud
from asr_preflight.azure.credential import (
    acquire_token,
    make_credential,
    principal_from_token,
    quiet_sdk_logs,
)
from asr_preflight.azure.eligibility import eligibility as get_eligibility
from asr_preflight.azure.errors import fact_error
from asr_preflight.azure.ids import ResourceId, sub_scope
from asr_preflight.plan import Plan, PlanError
from asr_preflight.snapshot import (
    CollectionInfo,
    Eligibility,
    FactError,
    FactKind,
    IdentityFacts,
    NetworkInterface,
    NetworkSecurityGroup,
    RegionCapacity,
    ResourceGroup,
    RoleAssignment,
    RoleDefinition,
    RouteTable,
    ServiceTags,
    Snapshot,
    StorageAccount,
    Subnet,
    Vault,
    VirtualMachine,
    VirtualNetwork,
)

if TYPE_CHECKING:
    from asr_preflight.collect import CollectOptions

T = TypeVar("T")
READER = "Reader"
RBAC_READER = "Reader (Microsoft.Authorization/roleAssignments/read and denyAssignments/read)"
MG_READER = "Management Group Reader (Microsoft.Management/managementGroups/descendants/read)"


def cloud_for(plan: Plan, options: CollectOptions) -> Cloud:
    """The cloud from the command line, else from the plan's ``[azure]`` keys."""
    arm = options.arm_endpoint or plan.azure.arm_endpoint
    authority = options.authority_host or plan.azure.authority_host
    name = options.cloud or plan.azure.cloud
    try:
        if options.arm_endpoint or options.authority_host or name == "custom":
            return resolve_cloud("custom", arm, authority)
        return resolve_cloud(name)
    except CloudError as exc:
        raise PlanError(f"[azure] cloud: {exc}") from None


# ---------------------------------------------------------------------------------------------
# Running tasks concurrently, failures becoming FactErrors
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Failed:
    """The result of a task that failed, with its FactError (already recorded unless asked not)."""

    error: FactError


class _Runner:
    def __init__(self, concurrency: int, progress: _Progress) -> None:
        self.pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="arm")
        self.errors: list[FactError] = []
        self.progress = progress
        self._lock = threading.Lock()

    def submit(
        self,
        fn: Callable[[], T],
        kind: FactKind,
        scope: str,
        needs: str = READER,
        *,
        record: bool = True,
    ) -> Future[T | _Failed]:
        self.progress.add(1)

        def task() -> T | _Failed:
            try:
                return fn()
            except PlanError:
                raise
            except Exception as exc:  # noqa: BLE001 - every failure becomes a FactError
                error = fact_error(exc, kind, scope, needs)
                if record:
                    self.record(error)
                return _Failed(error)
            finally:
                self.progress.advance()

        return self.pool.submit(task)

    def record(self, error: FactError) -> None:
        with self._lock:
            self.errors.append(error)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class _Progress:
    """A rich progress bar on stderr when it is a terminal (and asked for); otherwise silent."""

    def __init__(self, enabled: bool) -> None:
        self._bar: Any = None
        self._task: Any = None
        self._lock = threading.Lock()
        if enabled and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self._bar = Progress(
                TextColumn("[bold]Collecting from Azure[/] {task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._task = self._bar.add_task("", total=0)
            self._bar.start()

    def phase(self, text: str) -> None:
        if self._bar is not None:
            self._bar.update(self._task, description=text)

    def add(self, n: int) -> None:
        if self._bar is not None:
            with self._lock:
                total = self._bar.tasks[0].total or 0
                self._bar.update(self._task, total=total + n)

    def advance(self) -> None:
        if self._bar is not None:
            self._bar.advance(self._task)

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()


def _value(future: Future[T | _Failed]) -> T | None:
    result = future.result()
    return None if isinstance(result, _Failed) else result


# ---------------------------------------------------------------------------------------------
# The collection
# ---------------------------------------------------------------------------------------------


@dataclass
class _Subscription:
    """What phase 1 listed in one source subscription (None = that list failed)."""

    vms: Future[Any]
    statuses: Future[Any]
    disks: Future[Any]
    nics: Future[Any]
    nsgs: Future[Any]
    vnets: Future[Any]
    route_tables: Future[Any]
    public_ips: Future[Any]


@dataclass
class _Network:
    nics: dict[str, NetworkInterface] = field(default_factory=dict)
    nsgs: dict[str, NetworkSecurityGroup] = field(default_factory=dict)
    vnets: dict[str, VirtualNetwork] = field(default_factory=dict)
    subnets: dict[str, Subnet] = field(default_factory=dict)
    route_tables: dict[str, RouteTable] = field(default_factory=dict)


def collect_azure(plan: Plan, options: CollectOptions, *, credential: Any = None) -> Snapshot:
    """Read the estate the plan names. Raises CredentialError (no token at all) and PlanError
    (a named vault that does not exist, group members not selected, a bad cloud)."""
    from asr_preflight import __version__

    cloud = cloud_for(plan, options)
    if credential is None:
        credential = make_credential(cloud)
    token = acquire_token(credential, cloud)
    principal = options.principal_id or principal_from_token(token)
    clients = Clients(
        credential,
        cloud,
        pool_size=options.concurrency,
        retry_total=options.retry_total,
        read_timeout=options.read_timeout,
    )
    progress = _Progress(options.progress)
    runner = _Runner(options.concurrency, progress)
    try:
        with quiet_sdk_logs():
            under = resolve_management_groups(plan.azure.management_groups, clients)
            facts = _Collection(plan, options, cloud, clients, runner, principal, under).run()
    finally:
        runner.close()
        progress.stop()
        clients.close()
    errors = tuple(sorted(set(runner.errors), key=lambda e: (e.kind, e.scope.lower(), e.cause)))
    return Snapshot(
        created_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        tool_version=__version__,
        plan=plan,
        collection=CollectionInfo(
            cloud=cloud.name, eligibility_skipped=not options.eligibility, source="azure"
        ),
        errors=errors,
        **facts,
    )


class _Collection:
    def __init__(
        self,
        plan: Plan,
        options: CollectOptions,
        cloud: Cloud,
        clients: Clients,
        runner: _Runner,
        principal: str | None,
        under: management_groups.Descendants | None = None,
    ) -> None:
        self.plan = plan
        self.options = options
        self.cloud = cloud
        self.clients = clients
        self.runner = runner
        self.principal = principal
        self.under = under or management_groups.Descendants()
        self.subscriptions = _source_subscriptions(plan, self.under.subscriptions)

    # -- phase 1 ---------------------------------------------------------------------------------

    def _list_subscription(self, sub: str) -> _Subscription:
        submit, scope = self.runner.submit, sub_scope(sub)
        c, n = self.clients.compute(sub), self.clients.network(sub)
        return _Subscription(
            vms=submit(partial(compute.list_vms, c, sub), "vms", scope),
            # its failure is recorded per selected VM (the VMs themselves were listed)
            statuses=submit(partial(compute.list_statuses, c, sub), "vms", scope, record=False),
            disks=submit(partial(compute.list_disks, c, sub), "disks", scope),
            nics=submit(partial(network.list_kind, n, sub, "nics"), "network", scope),
            nsgs=submit(partial(network.list_kind, n, sub, "nsgs"), "network", scope),
            vnets=submit(partial(network.list_kind, n, sub, "vnets"), "network", scope),
            route_tables=submit(
                partial(network.list_kind, n, sub, "route_tables"), "network", scope
            ),
            public_ips=submit(partial(network.list_kind, n, sub, "public_ips"), "network", scope),
        )

    def run(self) -> dict[str, Any]:
        plan, runner = self.plan, self.runner
        runner.progress.phase("subscriptions")
        listed = {sub: self._list_subscription(sub) for sub in self.subscriptions}
        vault_f = self._vault() if plan.target.vault else None
        storage_f = (
            runner.submit(
                lambda: resources.storage_account(
                    self.clients.storage(_sub_of(plan.target.cache_storage_account)),
                    str(plan.target.cache_storage_account),
                ),
                "cache_storage",
                str(plan.target.cache_storage_account),
            )
            if plan.target.cache_storage_account
            else None
        )
        tag_sub = plan.target.subscription or self.subscriptions[0]
        tags_f = runner.submit(
            lambda: regional.service_tags(
                self.clients.network(tag_sub), plan.target.region, self.cloud.name
            ),
            "service_tags",
            "",
            f"Reader on /subscriptions/{tag_sub}",
        )
        rbac_subs = self._rbac_subscriptions()
        rbac_f = self._rbac(rbac_subs)

        if vault_f is not None:
            vault_f.result()  # a vault that does not exist is a plan error: say so early
        # -- phase 2: VMs and selection
        vm_lists_failed = {s for s, f in listed.items() if _value(f.vms) is None}
        models = [(s, m) for s, f in listed.items() for m in (_value(f.vms) or ())]
        chosen = [(s, m) for s, m in models if _selected(m, plan)]
        views: dict[str, Any] = {}
        statuses_failed: dict[str, FactError] = {}
        for sub, f in listed.items():
            got = f.statuses.result()
            if isinstance(got, _Failed):
                statuses_failed[sub] = got.error
            else:
                views.update(got)
        runner.progress.phase("VM details")
        fallback = {
            str(m["id"]).lower(): runner.submit(
                partial(compute.instance_view, self.clients.compute(s), str(m["id"])),
                "vms",
                str(m["id"]),
            )
            for s, m in chosen
            if compute.needs_agent_view(views.get(str(m["id"]).lower()))
        }
        for vm_id, future in fallback.items():
            view = _value(future)
            if view is not None:
                views[vm_id] = view
        vms: list[VirtualMachine] = []
        for sub, model in chosen:
            disks = _value(listed[sub].disks)
            view = views.get(str(model.get("id")).lower())
            if view is None and sub in statuses_failed:
                err = statuses_failed[sub]
                runner.record(FactError("vms", str(model.get("id")), err.cause, err.hint))
            elif view is None:
                runner.record(
                    FactError(
                        "vms",
                        str(model.get("id")),
                        "the VM was missing from ARM's status list (created or deleted meanwhile?)",
                        "re-run `asr-preflight collect`",
                    )
                )
            try:
                vms.append(compute.to_vm(model, view, disks))
            except Exception as exc:  # noqa: BLE001 - a VM we cannot read makes the run unknown
                runner.record(fact_error(exc, "vms", sub_scope(sub), READER))
                vm_lists_failed.add(sub)
        vms.sort(
            key=lambda v: (v.subscription_id.lower(), v.resource_group.lower(), v.name.lower())
        )
        self._check_selection(vms, vm_lists_failed)

        # -- phase 3: regional facts, resource groups, role definitions, eligibility
        runner.progress.phase("regions and eligibility")
        elig_f = (
            {
                vm.id: runner.submit(
                    partial(get_eligibility, self.clients.site_recovery(vm.subscription_id), vm),
                    "eligibility",
                    vm.id,
                    "Reader on the VM (ASR reads its replication eligibility)",
                )
                for vm in vms
            }
            if self.options.eligibility
            else {}
        )
        regions_of = self._regions(vms)  # submitted now, gathered below: all run concurrently
        key_vaults_of = self._key_vaults(vms)
        groups_of = self._resource_groups(vms, vault_f)
        net = self._network(vms, listed)
        regions, groups_f = regions_of(), groups_of()
        identity_facts = self._identity(rbac_subs, rbac_f)
        key_vaults = key_vaults_of()
        vault: Vault | None = None
        if vault_f is not None:
            vault_model = _value(vault_f)
            if vault_model is not None:
                rg_loc = next(
                    (
                        g.location
                        for g in groups_f
                        if g.id.lower() == _rg_id(str(plan.target.vault)).lower()
                    ),
                    None,
                )
                vault = resources.to_vault(vault_model, rg_loc)
                if rg_loc is None:  # the rules ask for it as a vault fact
                    rg_scope = _rg_id(str(plan.target.vault)).lower()
                    for err in list(runner.errors):
                        if err.kind == "resource_groups" and err.scope.lower() == rg_scope:
                            runner.record(FactError("vault", vault.id, err.cause, err.hint))
        storage: StorageAccount | None = _value(storage_f) if storage_f is not None else None
        eligibility: list[Eligibility] = [
            e for f in elig_f.values() if (e := _value(f)) is not None
        ]
        service_tags: ServiceTags | None = _value(tags_f)
        return {
            "vms": tuple(vms),
            "network_interfaces": tuple(net.nics[k] for k in sorted(net.nics)),
            "network_security_groups": tuple(net.nsgs[k] for k in sorted(net.nsgs)),
            "virtual_networks": tuple(net.vnets[k] for k in sorted(net.vnets)),
            "subnets": tuple(net.subnets[k] for k in sorted(net.subnets)),
            "route_tables": tuple(net.route_tables[k] for k in sorted(net.route_tables)),
            "regions": regions,
            "service_tags": service_tags,
            "vault": vault,
            "cache_storage": storage,
            "resource_groups": tuple(groups_f),
            "identity": identity_facts,
            "key_vaults": key_vaults,
            "eligibility": tuple(sorted(eligibility, key=lambda e: e.vm_id.lower())),
        }

    # -- vault, storage, resource groups -----------------------------------------------------------

    def _vault(self) -> Future[Any]:
        vault_id = str(self.plan.target.vault)
        sub = _sub_of(vault_id)

        def get() -> Any:
            from azure.core.exceptions import ResourceNotFoundError

            try:
                return resources.vault(self.clients.recovery_services(sub), vault_id)
            except ResourceNotFoundError:
                raise PlanError(
                    f"[target] vault: the Recovery Services vault {vault_id.rsplit('/', 1)[-1]!r} "
                    f"does not exist ({vault_id})"
                ) from None

        return self.runner.submit(get, "vault", vault_id)

    def _resource_groups(
        self, vms: list[VirtualMachine], vault_f: Future[Any] | None
    ) -> Callable[[], list[ResourceGroup]]:
        wanted: dict[str, tuple[str, str]] = {}
        for vm in vms:
            sub = self.plan.target.subscription or vm.subscription_id
            name = self.plan.target.resource_group or f"{vm.resource_group}-asr"
            wanted.setdefault(f"/subscriptions/{sub}/resourceGroups/{name}".lower(), (sub, name))
        if vault_f is not None:
            ref = ResourceId.parse(str(self.plan.target.vault))
            wanted.setdefault(
                _rg_id(str(self.plan.target.vault)).lower(), (ref.subscription, ref.resource_group)
            )
        futures = [
            self.runner.submit(
                partial(resources.resource_group, self.clients.resources(sub), sub, name),
                "resource_groups",
                f"/subscriptions/{sub}/resourceGroups/{name}",
            )
            for sub, name in wanted.values()
        ]

        def gather() -> list[ResourceGroup]:
            groups = [g for f in futures if (g := _value(f)) is not None]
            return sorted(groups, key=lambda g: g.id.lower())

        return gather

    # -- selection ---------------------------------------------------------------------------------

    def _check_selection(self, vms: list[VirtualMachine], lists_failed: set[str]) -> None:
        if lists_failed:
            return  # some VMs could not be listed: the engine reports the run as unknown
        names = {v.name.lower() for v in vms} | {v.id.lower() for v in vms}
        absent = [ref for ref in self.plan.select.vms if ref.lower() not in names]
        if absent:
            raise PlanError(
                f"[select] vms: {', '.join(absent)} matched no VM in subscriptions "
                f"{', '.join(self.subscriptions)} (after the resource_groups and tags filters)"
            )
        for group in self.plan.groups:
            missing = [ref for ref in group.vms if ref.lower() not in names]
            if missing:
                raise PlanError(
                    f"[[groups]] {group.name}: {', '.join(missing)} "  # noqa: S608 - not SQL
                    f"{'is' if len(missing) == 1 else 'are'} not among the selected VMs; "
                    "select them in [select] or remove them from the group"
                )

    # -- regions -----------------------------------------------------------------------------------

    def _regions(self, vms: list[VirtualMachine]) -> Callable[[], tuple[RegionCapacity, ...]]:
        target_region = self.plan.target.region
        targets = {(self.plan.target.subscription or vm.subscription_id).lower() for vm in vms}
        sources = {(vm.subscription_id.lower(), vm.location) for vm in vms}
        pairs = sorted({(s, target_region) for s in targets} | sources)
        submit = self.runner.submit
        futures: dict[tuple[str, str], dict[str, Future[Any]]] = {}  # field -> future
        for sub, region in pairs:
            c = self.clients.compute(sub)
            scope = f"{sub}/{region}"
            entry: dict[str, Future[Any]] = {
                "skus": submit(partial(regional.vm_skus, c, region), "skus", scope)
            }
            if region == target_region and sub in targets:
                n = self.clients.network(sub)
                entry["compute_usages"] = submit(
                    partial(regional.compute_usages, c, region), "compute_usages", scope
                )
                entry["network_usages"] = submit(
                    partial(regional.network_usages, n, region), "network_usages", scope
                )
            futures[(sub, region)] = entry

        def gather() -> tuple[RegionCapacity, ...]:
            out = []
            for (sub, region), entry in futures.items():
                out.append(
                    RegionCapacity(
                        subscription_id=sub,
                        region=region,
                        skus=_value(entry["skus"]),
                        compute_usages=_value(entry["compute_usages"])
                        if "compute_usages" in entry
                        else None,
                        network_usages=_value(entry["network_usages"])
                        if "network_usages" in entry
                        else None,
                    )
                )
            return tuple(out)

        return gather

    # -- network -----------------------------------------------------------------------------------

    def _network(self, vms: list[VirtualMachine], listed: dict[str, _Subscription]) -> _Network:
        net = _Network()
        nic_ids = {n.lower() for vm in vms for n in vm.nic_ids}
        raw: dict[str, dict[str, Any]] = {"nsgs": {}, "vnets": {}, "route_tables": {}}
        for f in listed.values():
            pips = network.public_ips(_value(f.public_ips) or [])
            for model in _value(f.nics) or ():
                if str(model.get("id")).lower() in nic_ids:
                    self._convert(net.nics, network.to_nic, model, pips)
            for key in raw:
                for model in _value(getattr(f, key)) or ():
                    if model.get("id"):
                        raw[key][str(model["id"]).lower()] = model
        # the subnets, VNets, NSGs and route tables the selected NICs use
        subnet_ids = {
            ipc.subnet_id.lower()
            for nic in net.nics.values()
            for ipc in nic.ip_configurations
            if ipc.subnet_id
        }
        listed_subs = {s.lower() for s in listed}
        for _round in range(2):
            vnet_ids = {s.rsplit("/subnets/", 1)[0] for s in subnet_ids}
            self._fetch_foreign(raw["vnets"], vnet_ids, listed_subs)
            for vnet_id in vnet_ids:
                model = raw["vnets"].get(vnet_id)
                if model is not None and vnet_id not in net.vnets:
                    try:
                        vnet, subnets = network.to_vnet(model)
                    except Exception as exc:  # noqa: BLE001
                        self.runner.record(fact_error(exc, "network", vnet_id, READER))
                        continue
                    net.vnets[vnet_id] = vnet
                    net.subnets.update({s.id.lower(): s for s in subnets})
            used = [net.subnets[s] for s in subnet_ids if s in net.subnets]
            nsg_ids = {s.nsg_id.lower() for s in used if s.nsg_id} | {
                n.nsg_id.lower() for n in net.nics.values() if n.nsg_id
            }
            rt_ids = {s.route_table_id.lower() for s in used if s.route_table_id}
            self._fetch_foreign(raw["nsgs"], nsg_ids, listed_subs)
            self._fetch_foreign(raw["route_tables"], rt_ids, listed_subs)
        for nsg_id in nsg_ids:
            if (model := raw["nsgs"].get(nsg_id)) is not None:
                self._convert(net.nsgs, network.to_nsg, model)
        for rt_id in rt_ids:
            if (model := raw["route_tables"].get(rt_id)) is not None:
                self._convert(net.route_tables, network.to_route_table, model)
        return net

    def _convert(
        self, into: dict[str, Any], fn: Callable[..., Any], model: Any, *args: Any
    ) -> None:
        try:
            fact = fn(model, *args)
        except Exception as exc:  # noqa: BLE001 - an unreadable item is that item's FactError
            self.runner.record(fact_error(exc, "network", str(model.get("id") or ""), READER))
            return
        into[fact.id.lower()] = fact

    def _fetch_foreign(self, into: dict[str, Any], wanted: Iterable[str], listed: set[str]) -> None:
        """GET the network resources that live in subscriptions the plan does not list (a hub
        VNet, a shared NSG): one GET per distinct resource, never per VM."""
        futures = []
        for rid in sorted(set(wanted) - set(into)):
            try:
                ref = ResourceId.parse(rid)
            except ValueError:
                continue
            if ref.subscription.lower() in listed:
                continue  # listed already: absent means it does not exist
            client = self.clients.network(ref.subscription)
            futures.append(
                (rid, self.runner.submit(partial(network.get_item, client, rid), "network", rid))
            )
        for rid, future in futures:
            model = _value(future)
            if model is not None:
                into[rid] = model

    # -- key vaults (ADE) --------------------------------------------------------------------------

    def _key_vaults(self, vms: list[VirtualMachine]) -> Callable[[], tuple[Any, ...]]:
        """List the key vaults of every subscription holding a vault an ADE disk names: one list
        per such subscription, whatever the number of VMs; keep the named vaults only."""
        wanted = keyvaults.ade_vault_ids(
            d for vm in vms for d in (vm.os_disk, *vm.data_disks) if d is not None
        )
        subs = sorted({_sub_of(v).lower() for v in wanted if _sub_of(v)})
        futures = [
            self.runner.submit(
                partial(keyvaults.list_key_vaults, self.clients.resources(sub), sub),
                "key_vaults",
                sub_scope(sub),
            )
            for sub in subs
        ]
        names = {v.lower() for v in wanted}

        def gather() -> tuple[Any, ...]:
            found = [kv for f in futures for kv in (_value(f) or ()) if kv.id.lower() in names]
            return tuple(sorted(found, key=lambda kv: kv.id.lower()))

        return gather

    # -- identity ----------------------------------------------------------------------------------

    def _rbac_subscriptions(self) -> list[str]:
        subs = list(self.subscriptions)
        for ref in (
            self.plan.target.subscription,
            self.plan.target.vault,
            self.plan.target.cache_storage_account,
        ):
            if ref:
                subs.append(_sub_of(ref) if ref.startswith("/") else ref)
        return list(dict.fromkeys(s.lower() for s in subs))

    def _rbac(self, subs: list[str]) -> dict[str, tuple[Future[Any], Future[Any]]]:
        if self.principal is None:
            return {}
        principal = self.principal
        out = {}
        for sub in subs:
            a = self.clients.authorization(sub)
            scope = sub_scope(sub)
            out[sub] = (
                self.runner.submit(
                    partial(identity.role_assignments, a, scope, principal),
                    "rbac",
                    scope,
                    RBAC_READER,
                ),
                self.runner.submit(
                    partial(identity.deny_assignments, a, scope), "rbac", scope, RBAC_READER
                ),
            )
        return out

    def _identity(
        self, subs: list[str], futures: dict[str, tuple[Future[Any], Future[Any]]]
    ) -> IdentityFacts:
        if self.principal is None:
            self.runner.record(
                FactError(
                    "rbac",
                    "",
                    "the operating principal's object id is unknown "
                    "(the access token has no oid claim)",
                    "pass --principal-id with the object id of the identity that will "
                    "enable replication",
                )
            )
            return IdentityFacts(principal_id=None)
        assignments: dict[str, RoleAssignment] = {}
        denies: dict[str, Any] = {}
        scopes = []
        ancestry: dict[str, tuple[str, ...]] = {}
        for sub, (a_f, d_f) in futures.items():
            got_a, got_d = _value(a_f), _value(d_f)
            if got_a is not None and got_d is not None:
                scopes.append(sub_scope(sub))
                listed = identity.listed_management_groups(got_a, got_d)
                above = self.under.ancestry.get(sub, ())
                ancestry[sub] = tuple(dict.fromkeys((*listed, *above)))
            for a in got_a or ():
                assignments[a.id.lower()] = a
            for d in got_d or ():
                denies[d.id.lower()] = d
        role_ids = sorted({a.role_definition_id for a in assignments.values()}, key=str.lower)
        role_f = {
            rid: self.runner.submit(
                partial(
                    identity.role_definition,
                    self.clients.authorization(_sub_of(rid) or subs[0]),
                    rid,
                ),
                "rbac",
                rid,
                RBAC_READER,
            )
            for rid in role_ids
        }
        definitions: list[RoleDefinition] = [
            d for f in role_f.values() if (d := _value(f)) is not None
        ]
        return IdentityFacts(
            principal_id=self.principal,
            role_assignments=tuple(assignments[k] for k in sorted(assignments)),
            role_definitions=tuple(sorted(definitions, key=lambda d: d.id.lower())),
            deny_assignments=tuple(denies[k] for k in sorted(denies)),
            scopes=tuple(scopes),
            management_groups=ancestry,
        )


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def resolve_management_groups(
    groups: Iterable[str], clients: Clients
) -> management_groups.Descendants:
    """The subscriptions under the named management groups: one paged listing per group, read
    before anything else (they decide what is read). A group that cannot be listed stops the run:
    checking part of what the plan names would look complete and is not."""
    listings = {}
    # a tenant-level call: any management client's pipeline serves it; the subscription id of
    # the client is not part of the URL
    client = clients.resources("00000000-0000-0000-0000-000000000000")
    for group in groups:
        try:
            listings[group] = management_groups.list_descendants(client, group)
        except Exception as exc:  # noqa: BLE001 - every failure names the group and the fix
            scope = f"/providers/Microsoft.Management/managementGroups/{group}"
            err = fact_error(exc, "vms", scope, MG_READER)
            raise PlanError(
                f"[azure] management_groups: the subscriptions under {group!r} cannot be listed: "
                f"{err.cause}; {err.hint}"
            ) from None
    return management_groups.subscriptions_under(listings)


def _source_subscriptions(plan: Plan, under: Iterable[str] = ()) -> list[str]:
    subs = [s.lower() for s in plan.azure.subscriptions]
    subs.extend(s.lower() for s in under)
    for ref in plan.select.vms:
        if ref.startswith("/"):
            subs.append(ResourceId.parse(ref).subscription.lower())
    found = list(dict.fromkeys(subs))
    if not found:
        where = (
            "[azure] management_groups: no subscription under "
            + ", ".join(repr(g) for g in plan.azure.management_groups)
            if plan.azure.management_groups
            else "[azure] subscriptions"
        )
        raise PlanError(f"{where}: no subscription to read VMs from")
    return found


def _selected(model: Any, plan: Plan) -> bool:
    select = plan.select
    vm_id = str(model.get("id") or "")
    name = str(model.get("name") or "")
    if select.resource_groups:
        try:
            rg = ResourceId.parse(vm_id).resource_group.lower()
        except ValueError:
            return False
        if rg not in {g.lower() for g in select.resource_groups}:
            return False
    if select.vms and not ({vm_id.lower(), name.lower()} & {v.lower() for v in select.vms}):
        return False
    tags = dict(model.get("tags") or {})
    return all(tags.get(k) == v for k, v in select.tags.items())


def _sub_of(resource_id: str | None) -> str:
    if not resource_id:
        return ""
    parts = resource_id.strip("/").split("/")
    lower = [p.lower() for p in parts]
    if "subscriptions" in lower and lower.index("subscriptions") + 1 < len(parts):
        return parts[lower.index("subscriptions") + 1]
    return ""


def _rg_id(resource_id: str) -> str:
    ref = ResourceId.parse(resource_id)
    return f"/subscriptions/{ref.subscription}/resourceGroups/{ref.resource_group}"
