"""The storage probe as a non-root user on a machine whose GRUB files are partly root-only (RHEL's
grub.cfg and grubenv are 0600; /boot/efi is often mounted root-only): the volumes it reads from
the readable files are not the whole answer, so it names what it could not read, and ASR312
never passes or skips on that partial read.

Runs the real probe in a private mount namespace with a tmpfs /boot, as nobody (needs root)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from importlib.resources import files

import pytest

from asr_preflight.guest.parse import decode, parse_storage

PROBE = files("asr_preflight_checks") / "linux" / "storage.sh"

SETUP = """
set -e
mount -t tmpfs -o mode=0755 tmpfs /boot
mkdir -p /boot/grub2 /boot/loader/entries /boot/efi/EFI/redhat
printf 'set kernelopts="root=/dev/mapper/rootvg-rootlv rd.lvm.lv=rootvg/swaplv"\\n' \
  > /boot/grub2/grubenv
chmod 0600 /boot/grub2/grubenv
printf 'options root=/dev/mapper/rootvg-rootlv rd.lvm.lv=rootvg/rootlv\\n' \
  > /boot/loader/entries/a.conf
chmod 0700 /boot/efi
exec setpriv --reuid=65534 --regid=65534 --clear-groups sh -s
"""


def test_unreadable_grub_files_are_named_and_make_the_read_partial() -> None:
    if os.geteuid() != 0 or not (shutil.which("unshare") and shutil.which("setpriv")):
        pytest.skip("needs root, unshare and setpriv (util-linux) for a private /boot")
    with PROBE.open("rb") as script:
        done = subprocess.run(
            ["unshare", "-m", "sh", "-c", SETUP],
            stdin=script,
            capture_output=True,
            timeout=60,
            check=False,
            env={"PATH": os.environ["PATH"]},
        )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert "/boot/grub2/grubenv" in data["grub_unreadable"]
    assert "/boot/efi/" in data["grub_unreadable"]
    assert data["grub_lvm_volumes"] == ["rootvg/rootlv"]  # from the readable BLS entry only
    facts = parse_storage(decode(done.stdout.decode()), windows=False)
    assert "/boot/grub2/grubenv" in facts.errors["grub"]


def test_all_grub_files_readable_is_not_partial() -> None:
    data = {"grub_lvm_volumes": ["rootvg/rootlv"], "logical_volumes": [], "luns": []}
    assert "grub" not in parse_storage(data, windows=False).errors


def test_lvs_is_told_not_to_write_its_caches() -> None:
    """lvs --readonly takes no locks, but LVM still writes caches after a scan unless told not
    to: /run/lvm/hints (2.03) and /etc/lvm/cache/.cache (2.02, RHEL 6/7, write_cache_state=1 by
    default). strace on this machine's LVM 2.03 cannot see the 2.02 write, so say it here."""
    text = PROBE.read_text()
    config = text.split("--config '", 1)[1].split("'", 1)[0]
    assert "lvs --readonly" in text
    assert 'hints = "none"' in config and "write_cache_state = 0" in config
    # no lock files either (LVM 2.03 creates /run/lock/lvm otherwise; the lab test sees that)
    assert "locking_type = 0" in config


def test_facts_and_storage_probes_look_at_the_same_grub_files() -> None:
    """ASR308 (facts.sh) and ASR312 (storage.sh) each list the GRUB files and folders they could
    not read; each probe stays a standalone script a user can run by hand, so the two lists are
    written twice: they must not drift apart (one would report a partial read the other misses)."""

    def grub_lists(text: str) -> tuple[str, str]:
        files_loop = text.split("for f in /boot/grub/menu.lst", 1)[1].split("; do", 1)[0]
        dirs_loop = text.split("for d in /boot/grub ", 1)[1].split("; do", 1)[0]
        return " ".join(files_loop.split()), " ".join(dirs_loop.split())

    facts = (files("asr_preflight_checks") / "linux" / "facts.sh").read_text()
    assert grub_lists(facts) == grub_lists(PROBE.read_text())
    assert "/boot/loader/entries/*.conf" in grub_lists(facts)[0]
