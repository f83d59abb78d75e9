"""Small helpers shared by the plan (ASR0xx) and VM (ASR5xx) rules: fact lookups that raise
MissingFact like the RuleContext accessors, and the worst-of tally for rules that look at
several items of one VM."""

from __future__ import annotations

from dataclasses import dataclass, field

from asr_preflight.api import OUTCOME_RANK, Finding, MissingFact, Outcome, RuleContext
from asr_preflight.azure.ids import leaf as leaf  # the rules import it from here
from asr_preflight.regions import normalize
from asr_preflight.snapshot import Disk, Vault, VirtualMachine


def same_region(a: str, b: str) -> bool:
    return normalize(a) == normalize(b)


def planned_vault(ctx: RuleContext) -> Vault | None:
    """The vault the plan names, or None when the plan names none.

    Raises MissingFact when the plan names a vault that the snapshot does not describe.
    """
    if ctx.snapshot.vault is not None:
        return ctx.snapshot.vault
    vault_id = ctx.plan.target.vault
    if vault_id is None:
        return None
    raise ctx.missing("vault", vault_id, f"Recovery Services vault {leaf(vault_id)}")


def zone_to_zone(ctx: RuleContext, vm: VirtualMachine) -> bool:
    """True when the plan replicates within the VM's own region to another zone."""
    return ctx.plan.target.zone is not None and same_region(ctx.plan.target.region, vm.location)


def vm_fact_missing(ctx: RuleContext, vm: VirtualMachine, what: str) -> MissingFact:
    """A MissingFact for a per-VM fact (instance view, storage profile) of ``vm``."""
    return ctx.missing("vms", vm.id, f"{what} of {vm.name}")


@dataclass
class Tally:
    """Items of one VM with their outcomes; the finding is the worst, listing the items."""

    vm: VirtualMachine
    items: list[tuple[Outcome, str, str]] = field(default_factory=list)

    def add(self, outcome: Outcome, text: str, hint: str = "") -> None:
        self.items.append((outcome, text, hint))

    @property
    def outcome(self) -> Outcome:
        if not self.items:
            return Outcome.PASS
        return max((o for o, _, _ in self.items), key=OUTCOME_RANK.__getitem__)

    def finding(self, prefix: str, ok: str) -> Finding:
        """``prefix: item; item`` listing the items at the worst outcome, or ``ok`` on pass."""
        worst = self.outcome
        if worst is Outcome.PASS:
            return Finding(self.vm, Outcome.PASS, ok)
        texts = [t for o, t, _ in self.items if o is worst]
        hints = dict.fromkeys(h for o, _, h in self.items if o is worst and h)
        return Finding(self.vm, worst, f"{prefix}: {'; '.join(texts)}", hint=" ".join(hints))


def require_listing(ctx: RuleContext, kind: str, scope: str, what: str) -> None:
    """Raise MissingFact unless the collector listed ``kind`` completely at ``scope`` (so that
    "none found" means "none exists")."""

    def index() -> set[tuple[str, str]]:
        return {(item.kind, item.scope.lower().rstrip("/")) for item in ctx.snapshot.listings}

    listed = ctx.cached("listings", index)
    if (kind, scope.lower().rstrip("/")) not in listed:
        raise ctx.missing(kind, scope, what)


def managed_disks(vm: VirtualMachine) -> tuple[Disk, ...]:
    """The VM's managed disks (OS disk first); ephemeral OS disks and unmanaged disks excluded."""
    disks = (vm.os_disk, *vm.data_disks) if vm.os_disk is not None else vm.data_disks
    return tuple(d for d in disks if d.managed and not d.ephemeral)
