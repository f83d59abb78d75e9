"""Benchmark: probe N namespace guests (real sshd, every probe) at 32-way concurrency.

    sudo .venv/bin/python bench/guests.py [--guests 50] [--concurrency 32] [--connect-timeout 3]

Builds the guest lab (tests/lab/lab.py) with N Linux guests in multi-VM groups of 10 (so each
guest also probes port 20004 on 9 peers) plus one guest whose firewall drops port 22, runs
``collect_guests`` once, and prints a table: wall time, per-guest median and maximum, and what
the unreachable guest cost (it should be no more than the connect timeout).

CPU is measured per side, not host-wide: the lab (every sshd, the probe scripts they run, the
proxies and the fake Azure endpoint) starts inside a cgroup of its own, and the checker moves to
another one before probing, so the table shows the lab's CPU and the checker's, undisturbed by
whatever else the machine runs. (cgroup v2, hybrid ``unified``, or v1 ``cpuacct``; the groups
are removed afterwards.)
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "lab"))

from asr_preflight.guest.collect import collect_guests  # noqa: E402
from asr_preflight.options import GuestOptions  # noqa: E402
from asr_preflight.snapshot import IpConfiguration, NetworkInterface  # noqa: E402
from asr_preflight.testing import make_plan, make_snapshot, make_vm  # noqa: E402
from lab import AZURE_NAMES, UBUNTU, Lab, VmSpec, missing_prerequisites  # noqa: E402


class Timings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.seconds: dict[str, float] = {}
        self.failed: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg == "guest %s: probed in %.2f s" and record.args:
            name, elapsed = record.args  # type: ignore[misc]
            self.seconds[str(name)] = float(elapsed)
        elif record.msg == "guest %s: refused or unreachable after %.2f s" and record.args:
            name, elapsed = record.args  # type: ignore[misc]
            self.failed[str(name)] = float(elapsed)


def _own_cgroup(v2: bool) -> str:
    """This process's cgroup path in the v2 hierarchy, or in v1's cpuacct one."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if (v2 and controllers == "") or (not v2 and "cpuacct" in controllers.split(",")):
            return path
    return "/"


class CpuGroup:
    """A cgroup of our own whose CPU time can be read; processes a member starts join it."""

    def __init__(self, name: str) -> None:
        base = Path("/sys/fs/cgroup")
        if (base / "cgroup.controllers").exists():  # cgroup v2
            self.root, self.v2 = base, True
        elif (base / "unified" / "cgroup.procs").exists():  # hybrid: v2 beside v1
            self.root, self.v2 = base / "unified", True
        else:  # v1
            self.root, self.v2 = base / "cpuacct", False
        self.home = self.root / _own_cgroup(self.v2).lstrip("/")  # where this process is now
        self.path = self.home / name
        self.path.mkdir()

    def enter(self) -> None:
        """Move this process (all its threads) into the group."""
        (self.path / "cgroup.procs").write_text(str(os.getpid()))

    def seconds(self) -> float:
        if self.v2:
            stat = dict(line.split() for line in (self.path / "cpu.stat").read_text().splitlines())
            return int(stat["usage_usec"]) / 1e6
        return int((self.path / "cpuacct.usage").read_text()) / 1e9

    def remove(self) -> None:
        """Move this process back home and remove the group (its processes are gone)."""
        with contextlib.suppress(OSError):
            (self.home / "cgroup.procs").write_text(str(os.getpid()))
        for _ in range(50):  # killed lab processes may take a moment to leave
            try:
                self.path.rmdir()
                return
            except OSError:
                time.sleep(0.1)
        print(f"note: could not remove {self.path}", file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--guests", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--connect-timeout", type=float, default=3.0)
    args = parser.parse_args()
    reason = missing_prerequisites()
    if reason:
        print(f"cannot run: {reason}", file=sys.stderr)
        return 2
    specs = [VmSpec(f"g{i:03d}", UBUNTU, listen_20004=i % 2 == 0) for i in range(args.guests)]
    specs.append(VmSpec("blackhole", UBUNTU, drop_ports=(22,)))
    with tempfile.TemporaryDirectory(prefix="asr-bench-") as tmp:
        lab = Lab(Path(tmp), "Bench-Password-1", "Bench-Proxy-1")
        lab_cpu = CpuGroup(f"asr-bench-lab-{os.getpid()}")
        checker_group = CpuGroup(f"asr-bench-checker-{os.getpid()}")
        lab_cpu.enter()  # what lab.up starts stays in the lab's group
        t0 = time.perf_counter()
        try:
            lab.up(specs)
        finally:
            checker_group.enter()
        lab_up = time.perf_counter() - t0
        try:
            vms, nics = [], []
            for spec in specs:
                nic_id = f"/nics/{spec.name}"
                vms.append(make_vm(spec.name, nic_ids=(nic_id,)))
                ipc = IpConfiguration("ipconfig1", primary=True, private_ip=spec.ip)
                nics.append(NetworkInterface(nic_id, spec.name, ip_configurations=(ipc,)))
            names = [s.name for s in specs if s.name != "blackhole"]
            groups = [
                {"name": f"grp{n}", "vms": names[n : n + 10]} for n in range(0, len(names), 10)
            ]
            groups = [g for g in groups if len(g["vms"]) > 1]
            plan = make_plan(
                groups=groups,
                guest={
                    "connect_timeout_seconds": args.connect_timeout,
                    "probe_timeout_seconds": 2,
                    "linux": {
                        "user": "azureuser",
                        "key_file": str(lab.client_key),
                        "known_hosts": str(lab.known_hosts),
                    },
                    "endpoints": dict(
                        zip(
                            ("login", "storage", "site_recovery", "service_bus"),
                            AZURE_NAMES,
                            strict=True,
                        )
                    ),
                },
            )
            snapshot = make_snapshot(vms=vms, plan=plan, network_interfaces=tuple(nics))
            timings = Timings()
            log = logging.getLogger("asr_preflight.guest")
            log.addHandler(timings)
            log.setLevel(logging.INFO)
            options = GuestOptions(concurrency=args.concurrency)
            import resource

            lab0, group0 = lab_cpu.seconds(), checker_group.seconds()
            cpu0 = resource.getrusage(resource.RUSAGE_SELF)
            t1 = time.perf_counter()
            result = collect_guests(plan, snapshot, options)
            wall = time.perf_counter() - t1
            cpu1 = resource.getrusage(resource.RUSAGE_SELF)
            checker_cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
            lab_seconds = lab_cpu.seconds() - lab0
            checker_group_seconds = checker_group.seconds() - group0
        finally:
            lab.down()
            checker_group.remove()
            lab_cpu.remove()
    per_guest = sorted(timings.seconds.values())
    refused = [e for e in result.errors if e.scope.endswith("/blackhole")]
    ok = len(result.guests)
    ports = sum(len(g.port_probes or ()) for g in result.guests)
    rows = [
        ("guests probed (answered / unreachable)", f"{ok} / {len(result.errors)}"),
        ("concurrency", str(args.concurrency)),
        ("probes per guest", "facts, trust, proxy, storage, endpoints (4), ports (9 peers)"),
        ("port-20004 probes in total", str(ports)),
        ("lab start (not part of the run)", f"{lab_up:.2f} s"),
        ("wall time, collect_guests", f"{wall:.2f} s"),
        ("checker CPU time (this process, rusage)", f"{checker_cpu:.2f} s"),
        ("checker CPU time (its cgroup)", f"{checker_group_seconds:.2f} s"),
        ("lab CPU time (its cgroup: guests' sshd, probes, proxies)", f"{lab_seconds:.2f} s"),
        ("per-guest median", f"{statistics.median(per_guest):.2f} s" if per_guest else "-"),
        ("per-guest max (reachable)", f"{max(per_guest):.2f} s" if per_guest else "-"),
        (
            f"guest dropping port 22 (connect timeout {args.connect_timeout:g} s)",
            f"unknown after {timings.failed['blackhole']:.2f} s"
            if refused and "blackhole" in timings.failed
            else "NOT REPORTED",
        ),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"| {'measure':<{width}} | value |")
    print(f"|{'-' * (width + 2)}|-------|")
    for key, value in rows:
        print(f"| {key:<{width}} | {value} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
