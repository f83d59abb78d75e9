"""The Azure collection: list whole collections per subscription, join locally, fetch regional
facts once per (subscription, region), and record every failure as a FactError.

Request count grows with subscriptions, regions and pages, not with VMs. The per-VM calls are
ASR's eligibility check (skipped with ``--no-eligibility``) and, only for running VMs whose
status-only listing left out the VM agent or the extensions, one instance-view GET each.

Phases, each run concurrently under ``options.concurrency``:

1. per source subscription: VMs, VM statuses (``statusOnly=true``), managed disks, NICs, NSGs,
   VNets (with subnets and peerings), route tables, public IPs, management locks; the vault, the
   cache storage account, service tags, and per relevant subscription the principal's role and
   deny assignments;
2. selection (``[select]``, groups checked) and the instance views the status list lacked;
3. per (subscription, region): VM SKUs (and, for target pairs, compute and network usages);
   resource groups; role definitions; network resources outside the listed subscriptions;
   per target subscription, disk encryption sets and the disks of the target resource groups
   (:mod:`.protection`); ASR eligibility per selected VM.

One method of :class:`_Collection` per phase; this module submits phase 1's single reads and
assembles the snapshot's facts. The per-subscription lists are a table in
:mod:`.subscription_lists`, phase 2 is :mod:`.vm_details`, phase 3's VM-decided reads
:mod:`.vm_scoped`, the network join :mod:`.network_join`, the identity part :mod:`.assignments`,
private links :mod:`.private_link_join`, protection :mod:`.protection`, and the task runner with
its progress counter :mod:`.runner`.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from typing import Any

from asr_preflight.azure import (
    management_groups,
    network_mappings,
    private_link,
    private_link_join,
    regional,
    resources,
)
from asr_preflight.azure import storage as storage_reads
from asr_preflight.azure.assignments import (
    Pending,
    gather_identity,
    rbac_subscriptions,
    submit_assignments,
)
from asr_preflight.azure.clients import Clients
from asr_preflight.azure.clouds import Cloud, CloudError, resolve_cloud
from asr_preflight.azure.credential import (
    BoundedCredential,
    acquire_token,
    make_credential,
    principal_from_token,
    quiet_sdk_logs,
)
from asr_preflight.azure.errors import fact_error
from asr_preflight.azure.guard import Deadline, collection_limit
from asr_preflight.azure.ids import ResourceId, resource_group_id, subscription_of
from asr_preflight.azure.network_join import join_network
from asr_preflight.azure.protection import submit_protection
from asr_preflight.azure.recording import Recorder, write_recording
from asr_preflight.azure.runner import READER, Progress, Runner, value
from asr_preflight.azure.subscription_lists import Listed, list_subscription
from asr_preflight.azure.vm_details import read_vms
from asr_preflight.azure.vm_scoped import (
    submit_eligibility,
    submit_key_vaults,
    submit_regions,
    submit_resource_groups,
)
from asr_preflight.options import AzureOptions, CollectOptions, ProgressCallback
from asr_preflight.plan import Plan, PlanError
from asr_preflight.snapshot import (
    CollectionInfo,
    Eligibility,
    FactError,
    ResourceGroup,
    ServiceTags,
    Snapshot,
    StorageAccount,
    Vault,
    VirtualMachine,
)


def cloud_for(plan: Plan, options: AzureOptions | CollectOptions) -> Cloud:
    """The cloud from the command line, else from the plan's ``[azure]`` keys."""
    if isinstance(options, CollectOptions):
        options = options.azure
    arm = options.arm_endpoint or plan.azure.arm_endpoint
    authority = options.authority_host or plan.azure.authority_host
    name = options.cloud or plan.azure.cloud
    try:
        if options.arm_endpoint or options.authority_host or name == "custom":
            return resolve_cloud("custom", arm, authority)
        return resolve_cloud(name)
    except CloudError as exc:
        raise PlanError(f"[azure] cloud: {exc}") from None


def collect_azure(
    plan: Plan,
    options: AzureOptions,
    progress: ProgressCallback | None = None,
    *,
    credential: Any = None,
) -> Snapshot:
    """Read the estate the plan names. Raises CredentialError (no token at all) and PlanError
    (a named vault that does not exist, group members not selected, a bad cloud)."""
    from asr_preflight import __version__

    cloud = cloud_for(plan, options)
    if credential is None:
        credential = make_credential(cloud)
    # --timeout (default guard.DEFAULT_TIMEOUT, 0 = none): every request and wait stays inside it
    deadline = Deadline(collection_limit(options.timeout))
    token = acquire_token(credential, cloud, timeout=deadline.remaining())
    principal = options.principal_id or principal_from_token(token)
    recorder = Recorder(cloud.arm_endpoint) if options.record is not None else None
    clients = Clients(
        BoundedCredential(credential, cloud, deadline.remaining),
        cloud,
        pool_size=options.concurrency,
        retry_total=options.retry_total,
        read_timeout=options.read_timeout,
        deadline=deadline,
        per_call_policies=[recorder.policy()] if recorder is not None else None,
    )
    runner = Runner(options.concurrency, Progress(progress))
    try:
        with quiet_sdk_logs():
            under = resolve_management_groups(plan.azure.management_groups, clients)
            facts = _Collection(plan, options, cloud, clients, runner, principal, under).run()
    finally:
        runner.close()
        clients.close()
        if recorder is not None and options.record is not None:
            write_recording(recorder, options.record, options, plan, principal)
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


@dataclass
class _Singles:
    """Phase 1's reads that are not per-subscription lists."""

    vault: Future[Any] | None
    storage: dict[str, Future[Any]]  # cache storage account id -> its read
    service_tags: Future[Any]
    rbac_subs: list[str]
    rbac: Pending
    links: private_link_join.Extra
    network_mappings: Future[Any] | None = None


class _Collection:
    def __init__(
        self,
        plan: Plan,
        options: AzureOptions,
        cloud: Cloud,
        clients: Clients,
        runner: Runner,
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

    def run(self) -> dict[str, Any]:
        self.runner.progress.phase("subscriptions")
        listed = {
            sub: list_subscription(self.runner, self.clients, sub) for sub in self.subscriptions
        }
        singles = self._phase1_singles()
        if singles.vault is not None:
            singles.vault.result()  # a vault that does not exist is a plan error: say so early
        self.runner.progress.phase("VM details")
        vms = read_vms(self.plan, self.runner, self.clients, listed, self.subscriptions)
        self.runner.progress.phase("regions and eligibility")
        return self._phase3_regional(vms, listed, singles)

    # -- phase 1 ---------------------------------------------------------------------------------

    def _phase1_singles(self) -> _Singles:
        plan, runner = self.plan, self.runner
        vault_f = self._vault() if plan.target.vault else None
        # the storage reads are raw JSON GETs (azure/storage.py): Clients.raw's pipeline, since
        # azure-mgmt-storage at its floor (21, a multi-API client) has no send_request
        storage_f = {
            account: runner.submit(
                partial(
                    storage_reads.storage_account,
                    self.clients.raw(subscription_of(account)),
                    account,
                ),
                "cache_storage",
                account,
            )
            for account in plan.target.cache_account_ids()
        }
        tag_sub = plan.target.subscription or self.subscriptions[0]
        tags_f = runner.submit(
            lambda: regional.service_tags(
                self.clients.network(tag_sub), plan.target.region, self.cloud.name
            ),
            "service_tags",
            "",
            f"Reader on /subscriptions/{tag_sub}",
        )
        rbac_subs = rbac_subscriptions(plan, self.subscriptions)
        rbac_f = submit_assignments(runner, self.clients, self.principal, rbac_subs)
        link_subs = private_link_join.link_subscriptions(plan, self.subscriptions)
        links = private_link_join.submit_extra(
            runner,
            self.clients,
            link_subs,
            private_link_join.dns_subscriptions(plan, [*self.subscriptions, *link_subs]),
        )
        mappings_f = None
        if plan.target.vault:
            vault_id = str(plan.target.vault)
            mappings_f = runner.submit(
                partial(
                    network_mappings.list_network_mappings,
                    self.clients.raw(subscription_of(vault_id)),
                    vault_id,
                ),
                "vault",
                f"{vault_id}/replicationNetworkMappings",  # below the vault: not the vault's error
            )
        return _Singles(vault_f, storage_f, tags_f, rbac_subs, rbac_f, links, mappings_f)

    def _vault(self) -> Future[Any]:
        vault_id = str(self.plan.target.vault)
        sub = subscription_of(vault_id)

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

    # -- phase 3: regional facts, resource groups, network, role definitions, eligibility ---------

    def _phase3_regional(
        self, vms: list[VirtualMachine], listed: dict[str, Listed], singles: _Singles
    ) -> dict[str, Any]:
        runner, clients, plan = self.runner, self.clients, self.plan
        elig_f = submit_eligibility(runner, clients, vms) if self.options.eligibility else {}
        self._mapped_network_assignments(singles)
        # submitted now, gathered below: all run concurrently
        regions_of = submit_regions(runner, clients, plan, vms)
        key_vaults_of = submit_key_vaults(runner, clients, vms)
        groups_of = submit_resource_groups(runner, clients, plan, vms, singles.vault is not None)
        protection_of = submit_protection(self.runner, self.clients, self.plan, vms, listed)
        net = join_network(self.runner, self.clients, vms, listed)
        regions, groups = regions_of(), groups_of()
        identity_facts = gather_identity(
            self.runner,
            self.clients,
            self.principal,
            singles.rbac_subs,
            singles.rbac,
            self.under.ancestry,
        )
        key_vaults = key_vaults_of()
        vault = self._vault_fact(singles.vault, groups)
        if vault is not None and singles.network_mappings is not None:
            vault = replace(vault, network_mappings=value(singles.network_mappings))
        accounts: dict[str, StorageAccount] = {
            a.lower(): got for a, f in singles.storage.items() if (got := value(f)) is not None
        }
        single = self.plan.target.cache_storage_account
        storage = accounts.get(single.lower()) if single else None
        per_region = () if single else tuple(accounts[k] for k in sorted(accounts))
        endpoints = private_link_join.private_endpoints(
            self.runner,
            self.clients,
            listed,
            singles.links,
            private_link_join.wanted_endpoints(vault, accounts.values()),
        )
        eligibility: list[Eligibility] = [e for f in elig_f.values() if (e := value(f)) is not None]
        service_tags: ServiceTags | None = value(singles.service_tags)
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
            "cache_storage_accounts": per_region,
            "load_balancers": private_link_join.load_balancers(self.runner, listed),
            "private_endpoints": endpoints,
            "private_dns_zones": private_link_join.dns_zones(
                self.runner, self.clients, listed, singles.links
            ),
            "vault_identity": private_link_join.vault_identity(
                self.runner, self.clients, vault, self.plan.target.cache_account_ids()
            ),
            "resource_groups": tuple(groups),
            "identity": identity_facts,
            "key_vaults": key_vaults,
            "eligibility": tuple(sorted(eligibility, key=lambda e: e.vm_id.lower())),
            **protection_of(),
        }

    def _mapped_network_assignments(self, singles: _Singles) -> None:
        """The principal's assignments in the subscriptions of the target networks the vault's
        network mappings name (ASR402 judges the subnet join there): one more pair of lists per
        such subscription not read yet."""
        if singles.network_mappings is None:
            return
        mappings = value(singles.network_mappings) or ()
        extra = sorted(
            {subscription_of(m.target_vnet_id).lower() for m in mappings}
            - {s.lower() for s in singles.rbac_subs}
            - {""}
        )
        if extra:
            singles.rbac.update(
                submit_assignments(self.runner, self.clients, self.principal, extra)
            )
            singles.rbac_subs.extend(extra)

    def _vault_fact(self, vault_f: Future[Any] | None, groups: list[ResourceGroup]) -> Vault | None:
        if vault_f is None:
            return None
        vault_model = value(vault_f)
        if vault_model is None:
            return None
        rg_scope = resource_group_id(str(self.plan.target.vault)).lower()
        rg_loc = next((g.location for g in groups if g.id.lower() == rg_scope), None)
        vault = resources.to_vault(vault_model, rg_loc)
        try:
            vault = replace(vault, **private_link.vault_access(vault_model))
        except Exception as exc:  # noqa: BLE001 - unread private-link fields: ASR010 unknown
            self.runner.record(fact_error(exc, "vault", vault.id, READER))
        if rg_loc is None:  # the rules ask for it as a vault fact
            for err in list(self.runner.errors):
                if err.kind == "resource_groups" and err.scope.lower() == rg_scope:
                    self.runner.record(FactError("vault", vault.id, err.cause, err.hint))
        return vault


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


MG_READER = "Management Group Reader (Microsoft.Management/managementGroups/descendants/read)"


def resolve_management_groups(
    groups: Iterable[str], clients: Clients
) -> management_groups.Descendants:
    """The subscriptions under the named management groups: one paged listing per group, read
    before anything else (they decide what is read). A group that cannot be listed stops the run:
    checking part of what the plan names would look complete and is not."""
    listings = {}
    # a tenant-level call: any management client's pipeline serves it; the subscription id of
    # the client is not part of the URL
    client = clients.raw("00000000-0000-0000-0000-000000000000")
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
