"""The bundled demo estate behind ``asr-preflight demo``.

``load_demo()`` reads the two bundled files (``plan.toml`` and the generated ``snapshot.json``);
``build_demo()`` builds the same facts in code: :func:`estate.base` (VMs, disks, NICs, VNets,
subnets, plain NSGs, vault, resource groups, cache storage account, eligibility), then each area
module's ``apply`` in turn. ``python -m asr_preflight.demo`` regenerates ``snapshot.json``; a test
fails when the file is stale.
"""

from __future__ import annotations

from importlib import resources

from asr_preflight.plan import Plan, parse_plan
from asr_preflight.snapshot import Snapshot, snapshot_from_json

from . import capacity, estate, guests, identity, network, private_link, protection

PLAN_FILE = "plan.toml"
SNAPSHOT_FILE = "snapshot.json"

#: The area modules, applied in this order on top of estate.base().
AREAS = (capacity, network, identity, guests, protection, private_link)


def _read(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def plan_text() -> str:
    """The bundled demo plan's TOML text."""
    return _read(PLAN_FILE)


def demo_plan() -> Plan:
    return parse_plan(_read(PLAN_FILE), source=f"demo/{PLAN_FILE}")


def build_demo() -> Snapshot:
    """The demo snapshot, built in code from the estate and the area modules."""
    snapshot = estate.base(demo_plan())
    for area in AREAS:
        snapshot = area.apply(snapshot)
    return snapshot


def load_demo() -> tuple[Plan, Snapshot]:
    """The bundled demo plan and snapshot, as ``asr-preflight demo`` checks them."""
    return demo_plan(), snapshot_from_json(_read(SNAPSHOT_FILE))
