"""Benchmark: Azure collection against the fake ARM with 20 ms added latency per request.

    .venv/bin/python bench/collect.py [--sizes 100,1000,10000] [--subscriptions 20]

Generated estates (VMs spread over N subscriptions, one network per subscription) are served by
the fake ARM over HTTPS on 127.0.0.1 (tests/fakes). For each size it runs the real collection
(`collect()` with the real SDK and credential, eligibility off) and a naive baseline in the same
run: list the VMs, then GET every VM (with instance view), NIC, disk, VNet (for the subnet: the
tool pins no api-version for a subnet GET) and NSG one by one, with the same concurrency. The
baseline on the largest estate is measured on a 1,000-VM sample and scaled (marked *): its
request count is exact, its time is extrapolated.
ASR eligibility (one GET per VM, the only per-VM call of the collection) is counted separately,
and the request ratio is printed with it on as well (the naive approach would make the same
per-VM eligibility GETs, so both sides add them).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "src"), str(ROOT / "rules")]

from asr_preflight.azure.clients import Clients  # noqa: E402
from asr_preflight.azure.clouds import resolve_cloud  # noqa: E402
from asr_preflight.azure.credential import make_credential  # noqa: E402
from asr_preflight.collect import collect  # noqa: E402
from asr_preflight.options import AzureOptions, CollectOptions, GuestOptions  # noqa: E402
from asr_preflight.plan import parse_plan  # noqa: E402
from fakes.arm import CLIENT_ID, TENANT, FakeAzure  # noqa: E402
from fakes.estate import EstateBuilder, VmSpec  # noqa: E402

TARGET = "westus2"
SAMPLE = 1000


def subscription(i: int) -> str:
    return f"{i:08x}-0000-4000-8000-{i:012x}"


def build(fake: FakeAzure, vms: int, subs: int) -> list[tuple[str, str, str]]:
    """Returns (subscription, resource group, name) of every VM."""
    builder = EstateBuilder(fake.estate)
    out = []
    key_vaults: dict[str, str] = {}  # one ADE key vault per subscription, for every 10th VM
    for n in range(vms):
        sub = subscription(n % subs + 1)
        rg = f"rg-app-{n % subs:02d}"
        name = f"vm-{n:05d}"
        ade = None
        if (n // subs) % 10 == 0:
            if sub not in key_vaults:
                key_vaults[sub] = builder.key_vault(sub, rg, f"kv-{n % subs:02d}", "eastus")
            ade = key_vaults[sub]
        builder.vm(sub, VmSpec(name, rg, data_disks=1, ade_vault=ade))
        out.append((sub, rg, name))
    for i in range(1, subs + 1):
        sub, rg = subscription(i), f"rg-app-{i - 1:02d}"
        builder.region(sub, TARGET)
        builder.region(sub, "eastus")
        builder.rbac(sub, fake.oid)
        # the outbound and private-link families (ASR010, ASR210, ASR211): a load balancer with
        # an outbound rule for the subscription's first VM, the Site Recovery DNS zone linked
        # to the subscription's VNet
        first = next(name for s, _, name in out if s == sub)
        nic = f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network"
        builder.load_balancer(
            sub, rg, "lb", [f"{nic}/networkInterfaces/{first}-nic"], outbound_rule=True
        )
        subnet_id, _ = builder.network(sub, rg)
        builder.dns_zone(sub, "rg-dns", [subnet_id.split("/subnets/")[0]])
    builder.service_tags(subscription(1), TARGET)
    builder.vault(subscription(1), "rg-dr", "rv-dr", TARGET)
    cache = (
        f"/subscriptions/{subscription(1)}/resourceGroups/rg-dr"
        "/providers/Microsoft.Storage/storageAccounts/cache"
    )
    subnet_id, _ = builder.network(subscription(1), "rg-app-00")
    pe = builder.private_endpoint(
        subscription(1), "rg-app-00", "pe-cache", subnet_id, cache, "blob"
    )
    builder.storage(subscription(1), "rg-dr", "cache", "eastus", private_endpoint=pe)
    return out


def plan_text(subs: int) -> str:
    ids = ", ".join(f'"{subscription(i)}"' for i in range(1, subs + 1))
    rg = f"/subscriptions/{subscription(1)}/resourceGroups/rg-dr"
    vault = f"{rg}/providers/Microsoft.RecoveryServices/vaults/rv-dr"
    cache = f"{rg}/providers/Microsoft.Storage/storageAccounts/cache"
    return (
        f'[azure]\nsubscriptions = [{ids}]\n[target]\nregion = "{TARGET}"\nvault = "{vault}"\n'
        f'cache_storage_account = "{cache}"\n'
    )


def naive(
    fake: FakeAzure, vms: list[tuple[str, str, str]], subs: int, concurrency: int
) -> tuple[int, int, float, float]:
    """The per-VM baseline: (list requests, per-VM requests, list seconds, per-VM seconds)."""
    cloud = resolve_cloud("custom", fake.url, fake.url)
    clients = Clients(make_credential(cloud), cloud, pool_size=concurrency)
    fake.reset()
    start = time.perf_counter()
    for i in range(1, subs + 1):
        list(clients.compute(subscription(i)).virtual_machines.list_all())
    list_requests, list_seconds = len(fake.arm_requests()), time.perf_counter() - start
    start = time.perf_counter()

    def one(item: tuple[str, str, str]) -> None:
        sub, rg, name = item
        compute, network = clients.compute(sub), clients.network(sub)
        vm = compute.virtual_machines.get(rg, name, expand="instanceView")
        for ref in vm.network_profile.network_interfaces:
            nic = network.network_interfaces.get(rg, ref.id.rsplit("/", 1)[1])
            subnet = nic.ip_configurations[0].subnet.id.split("/")
            network.virtual_networks.get(rg, subnet[-3])  # its subnets inline (pinned type)
            network.network_security_groups.get(rg, nic.network_security_group.id.rsplit("/", 1)[1])
        disks = [vm.storage_profile.os_disk, *vm.storage_profile.data_disks]
        for disk in disks:
            compute.disks.get(rg, disk.name)

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, vms))
    clients.close()
    per_vm = len(fake.arm_requests()) - list_requests
    return list_requests, per_vm, list_seconds, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--subscriptions", type=int, default=20)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--page-size", type=int, default=100)
    args = parser.parse_args()
    rows = []
    # import the SDK once before timing, so the first row does not pay for it
    import azure.identity
    import azure.mgmt.authorization
    import azure.mgmt.compute
    import azure.mgmt.network
    import azure.mgmt.recoveryservices
    import azure.mgmt.resource.resources  # noqa: F401

    for size in [int(s) for s in args.sizes.split(",")]:
        with tempfile.TemporaryDirectory() as tmp:
            fake = FakeAzure(Path(tmp), page_size=args.page_size).start()
            try:
                vms = build(fake, size, args.subscriptions)
                os.environ.update(
                    AZURE_TENANT_ID=TENANT,
                    AZURE_CLIENT_ID=CLIENT_ID,
                    AZURE_CLIENT_SECRET=fake.secret,
                    REQUESTS_CA_BUNDLE=str(fake.ca_file),
                )
                fake.latency = args.latency_ms / 1000
                plan = parse_plan(plan_text(args.subscriptions))
                options = CollectOptions(
                    azure=AzureOptions(
                        arm_endpoint=fake.url,
                        authority_host=fake.url,
                        eligibility=False,
                        concurrency=args.concurrency,
                    ),
                    guests=GuestOptions(enabled=False),
                )
                fake.reset()
                start = time.perf_counter()
                snap = collect(plan, options)
                wall = time.perf_counter() - start
                requests = len(fake.arm_requests())
                assert len(snap.vms) == size and not snap.errors, snap.errors[:3]
                assert snap.load_balancers and snap.private_dns_zones and snap.private_endpoints
                fake.reset()
                start = time.perf_counter()
                with_elig = collect(
                    plan,
                    dataclasses.replace(
                        options, azure=dataclasses.replace(options.azure, eligibility=True)
                    ),
                )
                elig_wall = time.perf_counter() - start
                elig_requests = len(fake.arm_requests()) - requests
                assert len(with_elig.eligibility) == size
                sample = vms if size <= SAMPLE else vms[:: size // SAMPLE][:SAMPLE]
                lists, per_vm, list_s, per_vm_s = naive(
                    fake, sample, args.subscriptions, args.concurrency
                )
                scale = size / len(sample)  # exact for requests: per-VM calls scale with VMs
                base_requests = lists + round(per_vm * scale)
                base_wall = list_s + per_vm_s * scale
                scaled = scale > 1
            finally:
                fake.stop()
        row = (size, args.subscriptions, requests, wall, base_requests, base_wall, scaled)
        rows.append((*row, elig_requests, elig_wall))

    print(
        f"\nfake ARM over HTTPS, +{args.latency_ms:.0f} ms per request, concurrency "
        f"{args.concurrency}, page size {args.page_size}; the main columns with eligibility off, "
        "the last four with it on (it adds one GET per VM, on both sides)\n"
    )
    header = (
        "| VMs | subscriptions | ARM requests | wall s | requests/VM "
        "| naive requests | naive wall s | naive req/VM | fewer requests "
        "| eligibility GETs | wall s with eligibility | requests/VM with eligibility "
        "| fewer requests with eligibility |"
    )
    print(header)
    print("|" + "---:|" * (header.count("|") - 1))
    for size, subs, req, wall, breq, bwall, scaled, ereq, ewall in rows:
        star = "*" if scaled else ""
        print(
            f"| {size:,} | {subs} | {req:,} | {wall:.1f} | {req / size:.3f} | {breq:,}{star} "
            f"| {bwall:.1f}{star} | {breq / size:.2f} | {breq / req:.0f}x "
            f"| {ereq:,} | {ewall:.1f} | {(req + ereq) / size:.3f} "
            f"| {(breq + ereq) / (req + ereq):.1f}x |"
        )
    if any(r[6] for r in rows):
        print(
            f"\n* per-VM part measured on a {SAMPLE:,}-VM sample of that estate and scaled "
            "to all VMs (request count exact, time extrapolated)"
        )


if __name__ == "__main__":
    main()
