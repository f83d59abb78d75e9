"""``python -m asr_preflight.demo``: regenerate the bundled snapshot.json from build_demo()."""

from __future__ import annotations

import sys
from pathlib import Path

from asr_preflight import fsutil
from asr_preflight.demo import SNAPSHOT_FILE, build_demo
from asr_preflight.snapshot import snapshot_to_json


def main() -> int:
    path = Path(__file__).with_name(SNAPSHOT_FILE)
    fsutil.write_text(path, snapshot_to_json(build_demo()) + "\n")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
