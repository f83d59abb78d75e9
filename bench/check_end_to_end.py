"""``asr-preflight check --snapshot`` end to end on large estates: wall time, peak RSS, file sizes.

    .venv/bin/python bench/check_end_to_end.py [VMS ...]     # default: 1000 3000 10000

For each size, the bundled demo estate is replicated until it has that many VMs (each copy of a
VM renamed ``<name>-rNNNN``, with its NICs, eligibility result, guest facts and VM-scoped
collection errors; the networks, vault, identity and capacity are shared), written as a snapshot,
and checked by the real CLI in a subprocess writing all five file formats (junit, html, json,
sarif, markdown). Peak RSS is the child's maximum resident set size and CPU its user + system
time (``os.wait4``); on a shared machine the wall time also shows the load (``uptime`` is
printed). The target of issue 12 is 10,000 VMs in at most 15 s and 1 GiB.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from asr_preflight.demo import load_demo
from asr_preflight.snapshot import snapshot_to_json

FORMATS = "junit,html,json,sarif,markdown"
FILES = ("results.xml", "report.html", "results.json", "results.sarif", "summary.md")


def replicated(vm_count: int) -> dict[str, Any]:
    """The demo snapshot as a JSON document, its VMs replicated to ``vm_count``."""
    _, demo = load_demo()
    doc: dict[str, Any] = json.loads(snapshot_to_json(demo))
    per_vm_lists = ("network_interfaces", "eligibility", "guests")
    originals = list(doc["vms"])
    by_vm: dict[str, dict[str, list[Any]]] = {}
    for vm in originals:
        vid = vm["id"].lower()
        by_vm[vid] = {
            key: [item for item in doc[key] if (item.get("vm_id") or "").lower() == vid]
            for key in per_vm_lists
        }
        by_vm[vid]["errors"] = [e for e in doc["errors"] if e["scope"].lower() == vid]
    vms: list[Any] = []
    extra: dict[str, list[Any]] = {key: [] for key in (*per_vm_lists, "errors")}
    copy = 0
    while len(vms) < vm_count:
        for vm in originals:
            if len(vms) >= vm_count:
                break
            if copy == 0:
                vms.append(vm)
                continue
            name, new = vm["name"], f"{vm['name']}-r{copy:04d}"
            text = json.dumps({"vm": vm, **by_vm[vm["id"].lower()]})
            clone = json.loads(text.replace(f"/{name}", f"/{new}").replace(f'"{name}', f'"{new}'))
            vms.append(clone.pop("vm"))
            for key, items in clone.items():
                extra[key].extend(items)
        copy += 1
    doc["vms"] = vms
    for key, items in extra.items():
        doc[key] = doc[key] + items
    return doc


def run(vm_count: int, work: Path) -> dict[str, Any]:
    snapshot = work / f"snapshot-{vm_count}.json"
    snapshot.write_text(json.dumps(replicated(vm_count)), encoding="utf-8")
    out = work / f"out-{vm_count}"
    command = [
        *(sys.executable, "-m", "asr_preflight", "check"),
        *("--snapshot", str(snapshot), "--format", FORMATS, "--output-dir", str(out)),
    ]
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    stderr = child.stderr.read().decode(errors="replace") if child.stderr else ""
    if child.returncode not in (0, 1, 3, 4):
        raise SystemExit(f"check exited {child.returncode} at {vm_count} VMs:\n{stderr}")
    doc = json.loads((out / "results.json").read_text(encoding="utf-8"))
    results = sum(doc["counts"]["outcomes"].values())
    sizes = {name: (out / name).stat().st_size for name in FILES}
    return {
        "vms": vm_count,
        "results": results,
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss_mib": usage.ru_maxrss / 1024,  # Linux reports KiB
        "snapshot_mb": snapshot.stat().st_size / 1e6,
        "sizes": sizes,
    }


def main(argv: list[str]) -> None:
    counts = [int(a) for a in argv] or [1000, 3000, 10000]
    header = f"{'VMs':>6} {'results':>8} {'wall s':>7} {'CPU s':>6} {'peak RSS MiB':>12}"
    header += f" {'snapshot MB':>11}"
    header += "".join(f" {name:>13}" for name in FILES)
    print(header)
    print(f"load average before: {os.getloadavg()[0]:.1f}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="asr-bench-") as tmp:
        for count in counts:
            row = run(count, Path(tmp))
            line = f"{row['vms']:>6} {row['results']:>8} {row['wall']:>7.1f} {row['cpu']:>6.1f}"
            line += f" {row['rss_mib']:>12.0f} {row['snapshot_mb']:>11.1f}"
            line += "".join(f" {row['sizes'][n] / 1e6:>10.2f} MB" for n in FILES)
            print(line, flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
