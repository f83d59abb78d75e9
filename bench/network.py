"""Time the network rules (ASR201–ASR210) on a large synthetic estate with the real service tags.

    python bench/network.py [--vms 10000] [--rules-per-nsg 50] [--vms-per-subnet 20]
                            [--nic-nsg-every 20]

The estate: ``--vms`` VMs in East US spread over VNets of 16 subnets, ``--vms-per-subnet`` VMs per
subnet; every subnet has its own NSG of about ``--rules-per-nsg`` rules (inbound allows by port
and prefix, inbound by ASG, outbound allows by service tag and to on-premises prefixes, in one NSG
in ten also by copied Storage IP prefixes, port denies, a final ``Deny-Internet-Out``); one VM
in ``--nic-nsg-every`` (20) also has its own NIC NSG of the same size; every fourth subnet has
a route table; one VM in three is in a multi-VM group of four; one VM in ``--ade-every`` (5)
uses Azure Disk Encryption (its extension, or its OS disk's encryption settings), so that ASR205
verifies the AzureKeyVault tag for them, and one in 97 was collected without its extensions
(ASR205: unknown); a cache storage account with a firewall. Service tags: Microsoft's full
published file (3,039 tags, ``tests/data/ServiceTags_Public_20251028.json``).

Prints one row per rule (results, outcomes, seconds, run in one shared RuleContext as the engine
does), then the whole network pack through ``engine.evaluate`` from a cold start (tag index and
NSG compilation included): the number that must stay within 5 s for 10,000 VMs.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

from asr_preflight.api import RuleContext
from asr_preflight.engine import _run, evaluate
from asr_preflight.netsec import service_tags_from_document
from asr_preflight.plan import Plan
from asr_preflight.snapshot import (
    Extension,
    IpConfiguration,
    NetworkInterface,
    NetworkSecurityGroup,
    Route,
    RouteTable,
    SecurityRule,
    ServiceTags,
    Snapshot,
    StorageAccount,
    Subnet,
    VirtualMachine,
    VirtualNetwork,
)
from asr_preflight.testing import make_plan, make_snapshot, make_vm
from asr_preflight_rules.catalogue import RULES

TAGS_FILE = Path(__file__).resolve().parent.parent / "tests/data/ServiceTags_Public_20251028.json"
SUB = "00000000-0000-0000-0000-0000000000a1"
NET = f"/subscriptions/{SUB}/resourceGroups/net-rg/providers/Microsoft.Network"
CACHE = (
    f"/subscriptions/{SUB}/resourceGroups/dr-rg/providers/Microsoft.Storage/storageAccounts/cache"
)
ASR_TAGS = (
    "Storage.EastUS",
    "AzureActiveDirectory",
    "AzureSiteRecovery",
    "EventHub.WestUS2",
    "AzureKeyVault",
    "GuestAndHybridManagement",
)
OTHER_TAGS = (
    "Sql.EastUS",
    "AzureMonitor",
    "AzureCloud.EastUS",
    "AzureBackup",
    "AzureFrontDoor.Backend",
)


def load_tags() -> ServiceTags:
    return service_tags_from_document(json.loads(TAGS_FILE.read_text(encoding="utf-8")))


def nsg_rules(
    rng: random.Random, count: int, local: str, tags: ServiceTags
) -> tuple[SecurityRule, ...]:
    """About ``count`` rules of the kinds real estates carry."""
    storage = next(t for t in tags.tags if t.name == "Storage.EastUS")
    rules: list[SecurityRule] = []
    priority = 100
    asg = f"{NET}/applicationSecurityGroups/asg-{rng.randrange(20)}"
    legacy_ips = rng.random() < 0.1

    def add(name: str, direction: str, access: str, proto: str, src, dst, ports, **extra) -> None:
        nonlocal priority
        rules.append(
            SecurityRule(
                f"{name}-{priority}",
                priority,
                direction,
                access,
                proto,  # type: ignore[arg-type]
                source_address_prefixes=src,
                destination_address_prefixes=dst,
                destination_port_ranges=ports,
                **extra,
            )
        )
        priority += rng.choice((5, 10, 10, 20))

    while len(rules) < count - 6:
        kind = rng.randrange(8)
        if kind <= 2:
            src = (f"10.{rng.randrange(256)}.{rng.randrange(256)}.0/24",)
            ports = tuple(str(rng.choice((22, 80, 443, 1433, 3389, 5432, 8080))) for _ in range(2))
            add("Allow-In", "Inbound", "Allow", "Tcp", src, (local,), ports)
        elif kind == 3:
            ports = (f"{rng.randrange(1000, 2000)}-{rng.randrange(2000, 9000)}",)
            add("Deny-In", "Inbound", "Deny", "*", ("Internet",), ("*",), ports)
        elif kind == 4:
            add(
                "Allow-Tag",
                "Outbound",
                "Allow",
                "Tcp",
                (local,),
                (rng.choice(OTHER_TAGS),),
                ("443",),
            )
        elif kind == 5:
            add(
                "Deny-Out",
                "Outbound",
                "Deny",
                "Tcp",
                ("*",),
                ("Internet",),
                (str(rng.choice((25, 445, 3389))),),
            )
        elif kind == 6 and legacy_ips:  # one NSG in ten still carries copied Storage IPs
            ips = tuple(rng.sample(storage.address_prefixes[:100], 3))
            add("Allow-IPs", "Outbound", "Allow", "Tcp", ("*",), ips, ("443",))
        elif kind == 6:
            onprem = (f"192.168.{rng.randrange(256)}.0/24",)
            ports = (str(rng.choice((443, 1433, 5432))),)
            add("Allow-OnPrem", "Outbound", "Allow", "Tcp", (local,), onprem, ports)
        else:
            add(
                "Allow-Asg",
                "Inbound",
                "Allow",
                "Tcp",
                ("VirtualNetwork",),
                (),
                ("20004", "30000-30100"),
                destination_asg_ids=(asg,),
            )
    for tag in rng.sample(ASR_TAGS, rng.randrange(3, 7)):
        add("Allow-ASR", "Outbound", "Allow", "Tcp", (local,), (tag,), ("443",))
    add("Deny-Internet-Out", "Outbound", "Deny", "*", ("*",), ("Internet",), ("*",))
    return tuple(rules)


ADE_EXTENSION = Extension(
    "AzureDiskEncryptionForLinux",
    "Microsoft.Azure.Security",
    "AzureDiskEncryptionForLinux",
    "1.4",
    "Succeeded",
)


def with_ade(vm: VirtualMachine, i: int, ade_every: int) -> VirtualMachine:
    """VM ``i``: with ADE (by extension, or every other one by its OS disk's encryption
    settings), with its extensions not gathered (one in 97), or as it is."""
    if i % 97 == 1:
        return replace(vm, extensions=None)
    if not ade_every or i % ade_every:
        return vm
    if (i // ade_every) % 2 and vm.os_disk is not None:
        return replace(vm, os_disk=replace(vm.os_disk, ade_encrypted=True))
    return replace(vm, extensions=(ADE_EXTENSION,))


def estate(
    n_vms: int,
    rules_per_nsg: int,
    per_subnet: int,
    tags: ServiceTags,
    nic_every: int = 20,
    ade_every: int = 5,
) -> tuple[Snapshot, Plan]:
    rng = random.Random(20251028)
    vms, nics, subnets, vnets, nsgs, tables = [], [], [], [], [], []
    n_subnets = -(-n_vms // per_subnet)
    for s in range(n_subnets):
        v, k = divmod(s, 16)
        vnet_id = f"{NET}/virtualNetworks/vnet-{v}"
        if k == 0:
            vnets.append(
                VirtualNetwork(
                    vnet_id,
                    f"vnet-{v}",
                    "eastus",
                    (f"10.{v % 256}.0.0/16",),
                    (f"10.{(v + 1) % 256}.0.0/16",),
                )
            )
        prefix = f"10.{v % 256}.{k * 16}.0/20"
        nsg = NetworkSecurityGroup(
            f"{NET}/networkSecurityGroups/nsg-{s}",
            f"nsg-{s}",
            "eastus",
            nsg_rules(rng, rules_per_nsg, prefix, tags),
        )
        nsgs.append(nsg)
        table_id = None
        if s % 4 == 0:
            table_id = f"{NET}/routeTables/rt-{s}"
            hop = rng.choice(("VirtualAppliance", "Internet", "VirtualNetworkGateway"))
            tables.append(
                RouteTable(
                    table_id,
                    f"rt-{s}",
                    (
                        Route("default", "0.0.0.0/0", hop, "10.0.0.4"),
                        Route("onprem", "192.168.0.0/16", "VirtualNetworkGateway"),
                    ),
                )
            )
        subnet = Subnet(
            f"{vnet_id}/subnets/snet-{k}",
            f"snet-{k}",
            vnet_id,
            (prefix,),
            nsg.id,
            table_id,
            ("Microsoft.Storage",),
        )
        subnets.append(subnet)
        for j in range(per_subnet):
            i = s * per_subnet + j
            if i >= n_vms:
                break
            vm = with_ade(make_vm(f"vm-{i:05d}"), i, ade_every)
            ip = f"10.{v % 256}.{k * 16 + j // 250}.{4 + j % 250}"
            nic_nsg = None
            if nic_every and i % nic_every == 0:
                extra = NetworkSecurityGroup(
                    f"{NET}/networkSecurityGroups/nsg-nic-{i}",
                    f"nsg-nic-{i}",
                    "eastus",
                    nsg_rules(rng, rules_per_nsg, f"{ip}/32", tags),
                )
                nsgs.append(extra)
                nic_nsg = extra.id
            assert vm.primary_nic_id is not None
            asgs = (f"{NET}/applicationSecurityGroups/asg-{i % 20}",)
            nics.append(
                NetworkInterface(
                    vm.primary_nic_id,
                    f"vm-{i:05d}-nic",
                    "eastus",
                    vm.id,
                    nic_nsg,
                    ip_configurations=(
                        IpConfiguration("ipconfig1", True, ip, subnet_id=subnet.id, asg_ids=asgs),
                    ),
                )
            )
            vms.append(vm)
    grouped = [vm.name for vm in vms[::3]]
    groups = [{"name": f"g{g}", "vms": grouped[g : g + 4]} for g in range(0, len(grouped) - 3, 4)]
    plan = make_plan(
        target={
            "region": "westus2",
            "cache_storage_account": CACHE,
            "vault": f"/subscriptions/{SUB}/resourceGroups/dr-rg"
            "/providers/Microsoft.RecoveryServices/vaults/v",
        },
        groups=groups,
    )
    cache = StorageAccount(
        CACHE,
        "cache",
        "eastus",
        blob_soft_delete_enabled=False,
        allow_shared_key_access=True,
        network_default_action="Deny",
        network_bypass=("AzureServices",),
        virtual_network_subnet_ids=tuple(s.id for s in subnets[::2]),
    )
    snapshot = make_snapshot(
        vms,
        plan,
        network_interfaces=tuple(nics),
        network_security_groups=tuple(nsgs),
        virtual_networks=tuple(vnets),
        subnets=tuple(subnets),
        route_tables=tuple(tables),
        service_tags=tags,
        cache_storage=cache,
    )
    return snapshot, plan


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--vms", type=int, default=10_000)
    parser.add_argument("--rules-per-nsg", type=int, default=50)
    parser.add_argument("--vms-per-subnet", type=int, default=20)
    parser.add_argument("--nic-nsg-every", type=int, default=20, help="one VM in N has a NIC NSG")
    parser.add_argument("--ade-every", type=int, default=5, help="one VM in N uses ADE")
    args = parser.parse_args()
    network = [r for r in RULES if r.code.startswith("ASR2")]

    start = time.perf_counter()
    tags = load_tags()
    load = time.perf_counter() - start
    snapshot, plan = estate(
        args.vms, args.rules_per_nsg, args.vms_per_subnet, tags, args.nic_nsg_every, args.ade_every
    )
    n_rules = sum(len(n.rules) for n in snapshot.network_security_groups)
    print(
        f"estate: {len(snapshot.vms)} VMs, {len(snapshot.network_security_groups)} NSGs"
        f" ({n_rules / len(snapshot.network_security_groups):.0f} rules each on average),"
        f" {len(snapshot.route_tables)} route tables, {len(plan.groups)} groups of 4,"
        f" {sum(vm.ade_use is True for vm in snapshot.vms)} VMs with ADE;"
        f" service tags: {len(tags.tags)} tags,"
        f" {sum(len(t.address_prefixes) for t in tags.tags)} prefixes (parsed in {load:.2f} s)"
    )
    print()

    ctx = RuleContext(snapshot, plan)
    print(f"{'rule':<8} {'name':<24} {'results':>8} {'wall s':>7} {'cpu s':>7}  outcomes")
    for rule in network:
        t0, c0 = time.perf_counter(), time.process_time()
        findings, errors = _run(rule, ctx)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        assert not errors, errors[:3]
        counts = Counter(f.outcome.value for f in findings)
        shown = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        print(
            f"{rule.code:<8} {rule.name:<24} {len(findings):>8} {wall:>7.3f} {cpu:>7.3f}  {shown}"
        )

    print()
    del ctx, findings
    for run in (1, 2, 3):  # a fresh RuleContext each time: tag index and NSGs built again
        gc.collect()  # the previous run's results and caches are garbage: do not time them
        t0, c0 = time.perf_counter(), time.process_time()
        evaluation = evaluate(snapshot, plan, network)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        print(
            f"run {run}: all network rules, cold (engine.evaluate): {len(evaluation.results)}"
            f" results in {wall:.2f} s wall, {cpu:.2f} s cpu"
            f" ({cpu / len(snapshot.vms) * 1e3:.3f} ms cpu per VM)"
        )
        del evaluation


if __name__ == "__main__":
    main()
