"""Shared test set-up. The network guard is installed before any test module is imported."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import netguard

netguard.install()


def pytest_configure(config: object) -> None:
    """The project's tests run the built-in rule pack only: a third-party pack installed in the
    same environment (docs/plugins.md) must not change what they count. Discovery is narrowed
    here, once, for the whole run; tests/packaging installs packs and runs the CLI in
    subprocesses, where discovery is whole."""
    from asr_preflight import packs

    find = packs.entry_points

    def builtin_only(**selection: str) -> list[object]:
        return [p for p in find(**selection) if packs._dist_name(p) == packs.BUILTIN_PACK]

    packs.entry_points = builtin_only  # type: ignore[assignment]
