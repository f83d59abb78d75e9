"""Shared test set-up. The network guard is installed before any test module is imported."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import netguard

netguard.install()
