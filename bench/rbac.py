"""Benchmark: ASR401-ASR403 over a large estate (10,000 VMs, 200 role assignments).

    .venv/bin/python bench/rbac.py [--vms 10000] [--assignments 200] [--repeat 3]

Builds the facts in memory (no I/O), runs the three identity rules through the real engine and
prints a table. The evaluator is built once per run (ctx.cached), assignments are indexed by
scope, role patterns compiled once and every (action, scope) answer remembered. Wall time is
noisy on a shared machine; CPU time is the process's own.
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter

from asr_preflight.engine import evaluate
from asr_preflight.plan import Plan
from asr_preflight.rbac import builtin_roles
from asr_preflight.snapshot import (
    DenyAssignment,
    IdentityFacts,
    Permission,
    RoleAssignment,
    Snapshot,
)
from asr_preflight.testing import make_plan, make_snapshot, make_vm
from asr_preflight_rules.identity.asr401_vault_permissions import vault_permissions
from asr_preflight_rules.identity.asr402_target_create_permissions import (
    target_create_permissions,
)
from asr_preflight_rules.identity.asr403_source_vm_permissions import source_vm_permissions

PRINCIPAL = "5a3c1b9e-0d6f-4e8a-9b2c-7f1e0d3a4b5c"
EVERYONE = "00000000-0000-0000-0000-000000000000"
SUBS = [f"{i:08x}-0000-4000-8000-000000000000" for i in range(1, 11)]
RULES = [vault_permissions, target_create_permissions, source_vm_permissions]


def estate(n_vms: int, n_assignments: int) -> tuple[Plan, Snapshot]:
    """VMs over 10 subscriptions x 40 resource groups; assignments of random built-in roles
    (Owner excepted) at subscriptions, resource groups, VMs and target groups, a third of them
    through groups; a deny assignment on extension writes for one VM in 500."""
    rng = random.Random(7)
    vms = [
        make_vm(f"vm-{i:05d}", subscription_id=SUBS[i % 10], resource_group=f"rg-{i % 40:02d}")
        for i in range(n_vms)
    ]
    roles = [r for r in builtin_roles() if r.role_name != "Owner"]
    assignments = []
    for n in range(n_assignments):
        sub = f"/subscriptions/{rng.choice(SUBS)}"
        scope = (
            sub,
            f"{sub}/resourceGroups/rg-{rng.randrange(40):02d}",
            rng.choice(vms).id,
            f"{sub}/resourceGroups/rg-{rng.randrange(40):02d}-asr",
        )[n % 4]
        principal = PRINCIPAL if n % 3 else f"{n:08x}-1111-4111-8111-111111111111"  # a group
        ra_id = f"{scope}/providers/Microsoft.Authorization/roleAssignments/{n}"
        assignments.append(RoleAssignment(ra_id, scope, rng.choice(roles).id, principal))
    denies = tuple(
        DenyAssignment(
            id=f"{vm.id}/providers/Microsoft.Authorization/denyAssignments/d{i}",
            name=f"d{i}",
            scope=vm.id,
            permissions=(Permission(("Microsoft.Compute/virtualMachines/extensions/*",)),),
            principal_ids=(EVERYONE,),
        )
        for i, vm in enumerate(vms[::500])
    )
    identity = IdentityFacts(
        principal_id=PRINCIPAL,
        role_assignments=tuple(assignments),
        role_definitions=builtin_roles(),
        deny_assignments=denies,
        group_ids=(),
    )
    dr = f"/subscriptions/{SUBS[0]}/resourceGroups/dr/providers"
    plan = make_plan(
        azure={"subscriptions": SUBS},
        target={
            "region": "westus2",
            "vault": f"{dr}/Microsoft.RecoveryServices/vaults/v",
            "cache_storage_account": f"{dr}/Microsoft.Storage/storageAccounts/c",
        },
    )
    return plan, make_snapshot(vms, plan=plan, identity=identity)


def main() -> None:
    parser = argparse.ArgumentParser(description="ASR401-ASR403 benchmark")
    parser.add_argument("--vms", type=int, default=10_000)
    parser.add_argument("--assignments", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = []
    sizes = ((1_000, 50), (args.vms, args.assignments), (args.vms, args.assignments * 5))
    for n_vms, n_ass in sizes:
        plan, snapshot = estate(n_vms, n_ass)
        walls, cpus = [], []
        for _ in range(args.repeat):  # a fresh engine run each time: nothing cached across runs
            wall, cpu = time.perf_counter(), time.process_time()
            evaluation = evaluate(snapshot, plan, RULES)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        counts = Counter(r.outcome.value for r in evaluation.results)
        rows.append((n_vms, n_ass, len(evaluation.results), min(walls), min(cpus), counts))
    print(f"ASR401-ASR403 through the engine, best of {args.repeat} runs")
    print("| VMs | assignments | results | wall s | CPU s | results/s | pass | fail | unknown |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n_vms, n_ass, n_results, wall, cpu, counts in rows:
        print(
            f"| {n_vms:,} | {n_ass} | {n_results:,} | {wall:.2f} | {cpu:.2f} "
            f"| {n_results / wall:,.0f} | {counts['pass']} | {counts['fail']} "
            f"| {counts['unknown']} |"
        )


if __name__ == "__main__":
    main()
