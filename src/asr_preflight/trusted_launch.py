"""Azure Site Recovery's limits for trusted launch VMs, as data (``data/trusted_launch.json``).

The table quotes the trusted-VM page with its commit and date (see ``data/SOURCES.md``); ASR511
reads it, and ``rules explain ASR511`` names the date. Updating it is editing one JSON file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib.resources import files
from typing import Any

from asr_preflight.regions import normalize


@dataclass(frozen=True)
class TrustedLaunchLimits:
    source: str
    read: str  # when the page was read (ISO date)
    linux_created_after: date  # Linux trusted launch VMs created before this date: unsupported
    linux_excluded_regions: frozenset[str]  # normalized region names
    government_groups: dict[str, frozenset[str]]  # "US Gov" -> its regions, "US DoD" -> …

    def government_group(self, region: str) -> str | None:
        wanted = normalize(region)
        for name, regions in self.government_groups.items():
            if wanted in regions:
                return name
        return None


@cache
def trusted_launch_limits() -> TrustedLaunchLimits:
    text = files("asr_preflight").joinpath("data/trusted_launch.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return TrustedLaunchLimits(
        source=str(data["source"]),
        read=str(data["read"]),
        linux_created_after=date.fromisoformat(data["linux_created_after"]),
        linux_excluded_regions=frozenset(normalize(r) for r in data["linux_excluded_regions"]),
        government_groups={
            str(k): frozenset(normalize(r) for r in v) for k, v in data["government_groups"].items()
        },
    )
