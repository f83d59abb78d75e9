"""The guest collector: run the probe scripts on every selected VM and record what they saw.

``collect_guests(plan, snapshot, options)`` returns the snapshot with one :class:`GuestFacts`
per VM that answered and one ``FactError(kind="guest", scope=<vm id>)`` per VM that could not be
reached or refused us (an unknown or changed host key, failed authentication, a timeout), so
that VM's in-guest rules say ``unknown`` with the reason; a guest is never assumed fine.

Guests are probed in parallel (``GuestOptions.concurrency`` workers, default 32), each
within its own time budget (``[guest] budget_seconds``): a hung or unreachable host costs at most
its connect timeout or its budget, and only its own rules become ``unknown``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

from asr_preflight.guest import parse
from asr_preflight.guest.endpoints import Endpoint, required_endpoints
from asr_preflight.guest.redact import Scrubber
from asr_preflight.guest.scripts import Invocation
from asr_preflight.guest.transport import CommandResult, Deadline, GuestAccessError, Transport
from asr_preflight.options import CollectOptions, GuestOptions, ProgressCallback, ProgressEvent
from asr_preflight.plan import GuestLinux, GuestSection, GuestWindows, Plan
from asr_preflight.snapshot import FactError, GuestFacts, NetworkInterface, Snapshot, VirtualMachine

log = logging.getLogger("asr_preflight.guest")

PORT_20004 = 20004
LOCAL_PROBE_TIMEOUT = 15.0  # facts, trust, proxy: local reads only


@dataclass(frozen=True)
class Target:
    """One guest to probe: where to connect, what to probe."""

    vm: VirtualMachine
    family: Literal["linux", "windows"]
    host: str
    port: int | None
    peers: dict[str, list[str]] = field(default_factory=dict)  # peer private IP -> peer VM ids
    endpoints: tuple[Endpoint, ...] = ()  # what this guest must reach (its region's cache account)


class _Job:
    def __init__(self, target: Target) -> None:
        self.target = target
        self.started: float | None = None
        self.budget = 0.0  # seconds this guest may take (its budget, or less near --timeout)
        self.transport: Transport | None = None
        self.lock = threading.Lock()

    def abort(self) -> None:
        with self.lock:
            transport = self.transport
        if transport is not None:
            with contextlib.suppress(Exception):  # aborting a hung host is best effort
                transport.close()


def collect_guests(
    plan: Plan,
    snapshot: Snapshot,
    options: GuestOptions | CollectOptions,
    progress: ProgressCallback | None = None,
) -> Snapshot:
    """Probe every selected VM's guest; see the module docstring. ``progress`` hears of each
    guest done (``CollectOptions`` is accepted too: its guest part and its callback count)."""
    if isinstance(options, CollectOptions):
        progress = progress or options.progress
        options = options.guests
    if not options.enabled:
        return replace(snapshot, collection=replace(snapshot.collection, guest_skipped=True))
    guest = plan.guest
    if guest is None:
        return snapshot
    scrub = _scrubber(guest)
    errors: list[FactError] = []
    targets: list[Target] = []
    for vm in snapshot.vms:
        try:
            endpoints = required_endpoints(plan, snapshot, vm)
        except ValueError as exc:
            errors.append(FactError("guest", vm.id, str(exc), "fix [guest.endpoints] in the plan"))
            continue
        found = _target(vm, plan, guest, snapshot)
        if isinstance(found, FactError):
            errors.append(found)
        else:
            targets.append(replace(found, endpoints=endpoints))
    runner = _Runner(guest, options, scrub)
    facts: list[GuestFacts] = []
    advance = _progress(progress, len(targets))
    for _done, outcome in runner.run_all(targets, advance):
        if isinstance(outcome, GuestFacts):
            facts.append(outcome)
        else:
            errors.append(outcome)
    probed = {f.vm_id.lower() for f in facts} | {e.scope.lower() for e in errors}
    keep_facts = tuple(f for f in snapshot.guests if f.vm_id.lower() not in probed)
    keep_errors = tuple(
        e for e in snapshot.errors if not (e.kind == "guest" and e.scope.lower() in probed)
    )
    return replace(
        snapshot,
        guests=keep_facts + tuple(sorted(facts, key=lambda f: f.vm_id.lower())),
        errors=keep_errors + tuple(sorted(errors, key=lambda e: e.scope.lower())),
    )


def _scrubber(guest: GuestSection) -> Scrubber:
    scrub = Scrubber()
    for section in (guest.linux, guest.windows):
        if section is not None and section.password_env:
            scrub.add(os.environ.get(section.password_env))
    return scrub


# -- what to probe ---------------------------------------------------------------------------


def _nic_index(snapshot: Snapshot) -> dict[str, NetworkInterface]:
    return {nic.id.lower(): nic for nic in snapshot.network_interfaces}


def _private_ip(vm: VirtualMachine, nics: dict[str, NetworkInterface]) -> str | None:
    nic = nics.get((vm.primary_nic_id or "").lower())
    ipc = nic.primary_ip_configuration if nic is not None else None
    return ipc.private_ip if ipc is not None else None


def _split_host(value: str) -> tuple[str, int | None]:
    value = value.strip()
    if value.startswith("["):  # [v6]:port
        host, _, rest = value[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else None
    if value.count(":") == 1:
        host, _, port = value.partition(":")
        if port.isdigit():
            return host, int(port)
    return value, None


def _target(
    vm: VirtualMachine, plan: Plan, guest: GuestSection, snapshot: Snapshot
) -> Target | FactError:
    if vm.os_type is None:
        return FactError(
            "guest", vm.id, "the OS type is unknown, so no transport could be chosen",
            "re-run collect; the VM's storage profile should name Linux or Windows",
        )  # fmt: skip
    family: Literal["linux", "windows"] = "windows" if vm.os_type == "Windows" else "linux"
    nics = _nic_index(snapshot)
    override = next(
        (v for k, v in guest.hosts.items() if k.lower() in (vm.name.lower(), vm.id.lower())), None
    )
    port: int | None
    if override:
        host, port = _split_host(override)
    else:
        nic = nics.get((vm.primary_nic_id or "").lower())
        ipc = nic.primary_ip_configuration if nic is not None else None
        address = None
        if ipc is not None:
            address = ipc.private_ip if guest.address == "private" else ipc.public_ip
        if not address:
            return FactError(
                "guest", vm.id,
                f"no {guest.address} IP address on its primary network interface",
                "set [guest.hosts] for this VM, or [guest] address = \"public\"/\"private\"",
            )  # fmt: skip
        host, port = address, None
    peers: dict[str, list[str]] = {}
    by_ref = {v.name.lower(): v for v in snapshot.vms} | {v.id.lower(): v for v in snapshot.vms}
    for group in plan.groups:
        members = [m for ref in group.vms if (m := by_ref.get(ref.lower())) is not None]
        if vm not in members:
            continue
        for peer in members:
            if peer.id == vm.id:
                continue
            ip = _private_ip(peer, nics)
            if ip:
                peers.setdefault(ip, []).append(peer.id)
    return Target(vm, family, host, port, peers)


# -- probing ---------------------------------------------------------------------------------


class _Runner:
    def __init__(
        self,
        guest: GuestSection,
        options: GuestOptions,
        scrub: Scrubber,
    ) -> None:
        self.guest = guest
        self.options = options
        self.scrub = scrub
        self._host_keys: Any = None
        self._jump: Any = None
        self._lock = threading.Lock()

    # the SSH pieces are created on first use, so a Windows-only estate never imports paramiko
    def _ssh_shared(self) -> tuple[Any, Any]:
        from asr_preflight.guest.ssh import HostKeys, JumpHost

        with self._lock:
            config = self.guest.linux or GuestLinux()
            if self._host_keys is None:
                self._host_keys = HostKeys(config.known_hosts, self.options.accept_new_host_keys)
                if config.jump_host:
                    self._jump = JumpHost(
                        config.jump_host,
                        config,
                        self._host_keys,
                        self.guest.connect_timeout_seconds,
                    )
            return self._host_keys, self._jump

    def run_all(
        self, targets: list[Target], advance: Callable[[str], None]
    ) -> Iterator[tuple[Target, GuestFacts | FactError]]:
        if not targets:
            return
        workers = max(1, min(self.options.concurrency, len(targets)))
        jobs = [_Job(t) for t in targets]
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="asr-guest")
        try:
            pending: dict[Future[GuestFacts | FactError], _Job] = {
                pool.submit(self._probe, job): job for job in jobs
            }
            while pending:
                done, _ = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
                for future in done:
                    job = pending.pop(future)
                    advance(job.target.vm.name)
                    yield job.target, self._result(job, future)
                now = time.monotonic()
                for future, job in list(pending.items()):
                    if job.started is not None and now > job.started + job.budget + 2.0:
                        # a host that ignores every timeout: give up on it, free its worker
                        job.abort()
                        pending.pop(future)
                        advance(job.target.vm.name)
                        yield job.target, self._budget_error(job)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
            if self._jump is not None:
                self._jump.close()

    def _result(self, job: _Job, future: Future[GuestFacts | FactError]) -> GuestFacts | FactError:
        try:
            return future.result()
        except Exception as exc:
            log.exception("guest %s: probing failed", job.target.vm.name)
            return FactError(
                "guest", job.target.vm.id,
                f"probing failed ({type(exc).__name__})",
                "this is a bug; please report it with the log",
            )  # fmt: skip

    def _budget_error(self, job: _Job) -> FactError:
        return FactError(
            "guest", job.target.vm.id,
            f"probing did not finish within its budget of {job.budget:g} s",
            "raise [guest] budget_seconds, or check why the guest answers so slowly",
        )  # fmt: skip

    def _budget(self) -> float:
        """The guest's budget, cut to what is left before the collection's deadline."""
        budget = float(self.guest.budget_seconds)
        if self.options.deadline is not None:
            budget = min(budget, self.options.deadline - time.monotonic())
        return budget

    def _transport(self, target: Target, deadline: Deadline) -> Transport:
        timeout = self.guest.connect_timeout_seconds
        if target.family == "linux":
            from asr_preflight.guest.ssh import SshTransport

            host_keys, jump = self._ssh_shared()
            config = self.guest.linux or GuestLinux()
            return SshTransport(
                target.host, target.port or config.port, config, host_keys, deadline, timeout, jump
            )
        from asr_preflight.guest.winrm import WinrmTransport

        return WinrmTransport(
            target.host, self.guest.windows or GuestWindows(), deadline, timeout, target.port
        )

    def _probe(self, job: _Job) -> GuestFacts | FactError:
        target = job.target
        job.budget = self._budget()
        job.started = time.monotonic()
        if job.budget <= 0:
            return FactError(
                "guest", target.vm.id,
                "the collection's time limit (--timeout) passed before this guest was probed",
                "raise --timeout (it covers the Azure reads and every guest)",
            )  # fmt: skip
        deadline = Deadline(job.budget)
        transport = self._transport(target, deadline)
        with job.lock:
            job.transport = transport
        try:
            transport.connect()
            facts = self._gather(target, transport, deadline)
        except GuestAccessError as exc:
            elapsed = time.monotonic() - job.started
            log.info("guest %s: refused or unreachable after %.2f s", target.vm.name, elapsed)
            log.debug("guest %s: %s", target.vm.name, self.scrub(exc.cause))
            return FactError(
                "guest",
                target.vm.id,
                self.scrub(exc.cause),
                self.scrub(exc.hint),
            )
        finally:
            transport.close()
        log.info("guest %s: probed in %.2f s", target.vm.name, time.monotonic() - job.started)
        return facts

    def _gather(self, target: Target, transport: Transport, deadline: Deadline) -> GuestFacts:
        family = target.family
        windows = family == "windows"
        t = self.guest.probe_timeout_seconds
        # sudo only when the plan allows it ([guest.linux] sudo = true): see storage.sh
        sudo = not windows and (self.guest.linux or GuestLinux()).sudo
        first = transport.run_many(
            [Invocation(p, family) for p in ("facts", "trust", "proxy")]
            + [Invocation("storage", family, ("sudo",) if sudo else ())],
            LOCAL_PROBE_TIMEOUT,
            together=True,
        )
        errors: dict[str, str] = {}
        data = {r.probe: self._decoded(r, errors) for r in first}

        values: dict[str, Any] = {}
        if (facts_data := data.get("facts")) is not None:
            try:
                basic = parse.parse_facts(facts_data, windows)
                values.update(
                    os_release=basic.os_release, kernel=basic.kernel,
                    root_free_bytes=basic.root_free_bytes,
                    grub_device_names=basic.grub_device_names,
                    grub_files=basic.grub_files, services=basic.services, clock_utc=basic.clock_utc,
                    hotfixes=basic.hotfixes,
                )  # fmt: skip
                if basic.grub_unreadable:  # the storage probe reports the same files (ASR312)
                    errors["grub"] = parse.grub_partial(basic.grub_unreadable)
            except (parse.ProbeOutputError, KeyError, TypeError, ValueError) as exc:
                errors["facts"] = f"unexpected output: {exc}"
        if (storage_data := data.get("storage")) is not None:
            try:
                storage = parse.parse_storage(storage_data, windows)
                values.update(
                    grub_lvm_volumes=storage.grub_lvm_volumes,
                    logical_volumes=storage.logical_volumes, data_disks=storage.data_disks,
                )  # fmt: skip
                errors.update(storage.errors)
            except (parse.ProbeOutputError, KeyError, TypeError, ValueError) as exc:
                errors["storage"] = f"unexpected output: {exc}"
        if (trust_data := data.get("trust")) is not None:
            try:
                store, roots = parse.parse_trust(trust_data)
                values.update(trust_store=store, root_certificates=roots)
            except (parse.ProbeOutputError, KeyError, TypeError, ValueError) as exc:
                errors["trust"] = str(exc)
        proxies = None
        if (proxy_data := data.get("proxy")) is not None:
            try:
                proxies = parse.parse_proxies(proxy_data)
                values["proxies"] = proxies
            except (parse.ProbeOutputError, KeyError, TypeError, ValueError) as exc:
                errors["proxy"] = f"unexpected output: {exc}"

        # second round, at once: endpoints (grouped by the proxy each one goes through) and ports
        agent = parse.agent_proxy(proxies or (), windows)
        groups: dict[str | None, list[Endpoint]] = {}
        for endpoint in target.endpoints:
            groups.setdefault(parse.proxy_for(agent, endpoint.host), []).append(endpoint)
        second: list[Invocation] = []
        for proxy, members in groups.items():
            args = (f"{t:g}", proxy or "-", *(e.spec for e in members))
            second.append(Invocation("endpoints", family, args))
        if target.peers:
            second.append(
                Invocation("ports", family, (f"{t:g}", str(PORT_20004), *sorted(target.peers)))
            )
        results = transport.run_many(second, 2 * t + 10) if second else []
        endpoint_probes: list[Any] = []
        endpoint_ok = True
        for inv, result in zip(second, results, strict=True):
            decoded = self._decoded(result, errors)
            if decoded is None:
                endpoint_ok = endpoint_ok and inv.probe != "endpoints"
                continue
            try:
                if inv.probe == "endpoints":
                    proxy = None if inv.args[1] == "-" else inv.args[1]
                    endpoint_probes.extend(parse.parse_endpoints(decoded, proxy))
                else:
                    values["port_probes"] = parse.parse_ports(decoded, target.peers)
            except (parse.ProbeOutputError, KeyError, TypeError, ValueError) as exc:
                errors[inv.probe] = f"unexpected output: {exc}"
                endpoint_ok = endpoint_ok and inv.probe != "endpoints"
        if target.endpoints and endpoint_ok:
            values["endpoints"] = tuple(sorted(endpoint_probes, key=lambda e: e.name))
        values["probe_errors"] = {k: self.scrub(v) for k, v in errors.items()}
        facts = GuestFacts(
            vm_id=target.vm.id,
            transport="winrm" if windows else "ssh",
            collected_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            address=target.host,
            **values,
        )
        del deadline
        return _scrub_facts(facts, self.scrub)

    def _decoded(self, result: CommandResult, errors: dict[str, str]) -> dict[str, Any] | None:
        if result.failure:
            errors[result.probe] = self.scrub(result.failure)
            return None
        if result.exit_status is None:
            why = result.stderr.strip()
            errors[result.probe] = self.scrub(
                f"did not finish in time: {why}" if why else "timed out"
            )
            return None
        if result.exit_status != 0:
            detail = result.stderr.strip().splitlines()[-1:] or ["no error output"]
            errors[result.probe] = self.scrub(
                f"exit status {result.exit_status}: {detail[0][:200]}"
            )
            return None
        try:
            return parse.decode(result.stdout)
        except parse.ProbeOutputError as exc:
            errors[result.probe] = self.scrub(str(exc))
            return None


def _scrub_facts(facts: GuestFacts, scrub: Scrubber) -> GuestFacts:
    endpoints = facts.endpoints
    if endpoints is not None:
        endpoints = tuple(
            replace(e, error=scrub(e.error) if e.error else e.error) for e in endpoints
        )
    ports = facts.port_probes
    if ports is not None:
        ports = tuple(replace(p, detail=scrub(p.detail) if p.detail else p.detail) for p in ports)
    proxies = facts.proxies
    if proxies is not None:
        proxies = tuple(replace(p, url=scrub(p.url)) for p in proxies)
    return replace(facts, endpoints=endpoints, port_probes=ports, proxies=proxies)


def _progress(callback: ProgressCallback | None, total: int) -> Callable[[str], None]:
    """What ``run_all`` calls with each guest's name when it is done."""
    if callback is None or not total:
        return lambda _name: None
    done = 0
    lock = threading.Lock()

    def advance(name: str) -> None:
        nonlocal done
        with lock:
            done += 1
            event = ProgressEvent("guests", done, total, name)
        callback(event)

    return advance
