"""ASR308 on a partial GRUB read, end to end: the real facts probe run as nobody on a machine whose
GRUB files are partly root-only (RHEL's grub.cfg and grubenv are 0600; /boot/efi is often mounted
root-only), through the real collector, into the rule. A kernel device name in a file the probe
user cannot read must never pass; one in a readable file still fails.

Each probe runs in a private mount namespace with a tmpfs /boot and /etc/default, as nobody
(needs root). The transport is the only stand-in: it runs the collector's command lines here
instead of over SSH. The same transport shows which arguments the collector gives the storage
probe (``sudo`` only with ``[guest.linux] sudo = true``)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from typing import Any

import pytest

from asr_preflight.api import Outcome
from asr_preflight.guest.collect import Target, _Runner
from asr_preflight.guest.redact import Scrubber
from asr_preflight.guest.scripts import Invocation
from asr_preflight.guest.transport import CommandResult, Deadline
from asr_preflight.options import GuestOptions
from asr_preflight.plan import Plan
from asr_preflight.snapshot import GuestFacts
from asr_preflight.testing import evaluate_rule, make_plan, make_snapshot, make_vm
from asr_preflight_rules.guest.asr308_linux_grub_persistent_names import (
    linux_grub_persistent_names,
)

VM = make_vm("vm-rhel-01")

SETUP = """
set -e
mount -t tmpfs -o mode=0755 tmpfs /boot
mount -t tmpfs -o mode=0755 tmpfs /etc/default
mkdir -p /boot/grub2 /boot/loader/entries /boot/efi/EFI/redhat
printf 'GRUB_CMDLINE_LINUX="%s"\\n' "$ASR_DEFAULT_GRUB" > /etc/default/grub
printf 'linux /vmlinuz root=/dev/sda2 ro\\n' > /boot/grub2/grub.cfg
chmod 0600 /boot/grub2/grub.cfg
printf 'options root=UUID=0a1b2c3d ro\\n' > /boot/loader/entries/a.conf
chmod 0700 /boot/efi
exec setpriv --reuid=65534 --regid=65534 --clear-groups sh -c "$1"
"""


class _AsNobodyHere:
    """Runs each probe command line on this machine, as nobody, in a private /boot."""

    def __init__(self, default_grub: str) -> None:
        self.default_grub = default_grub
        self.invocations: list[Invocation] = []

    def connect(self) -> None:
        pass

    def run_many(
        self, invocations: Sequence[Invocation], timeout: float, together: bool = False
    ) -> list[CommandResult]:
        results = []
        for inv in invocations:
            self.invocations.append(inv)
            done = subprocess.run(
                ["unshare", "-m", "sh", "-c", SETUP, "setup", inv.shell_command()],
                capture_output=True, text=True, timeout=60, check=False, cwd="/",
                env={"PATH": os.environ["PATH"], "ASR_DEFAULT_GRUB": self.default_grub},
            )  # fmt: skip
            results.append(CommandResult(inv.probe, done.returncode, done.stdout, done.stderr))
        return results

    def close(self) -> None:
        pass


def _gather(plan: Plan, transport: Any) -> GuestFacts:
    assert plan.guest is not None
    runner = _Runner(plan.guest, GuestOptions(), Scrubber())
    return runner._gather(Target(VM, "linux", "127.0.0.1", 22), transport, Deadline(120))


def _asr308(default_grub: str) -> tuple[GuestFacts, Any]:
    if os.geteuid() != 0 or not (shutil.which("unshare") and shutil.which("setpriv")):
        pytest.skip("needs root, unshare and setpriv (util-linux) for a private /boot")
    plan = make_plan(guest={"linux": {"user": "azureuser"}})
    facts = _gather(plan, _AsNobodyHere(default_grub))
    [result] = evaluate_rule(
        linux_grub_persistent_names, make_snapshot(vms=[VM], plan=plan, guests=[facts])
    )
    return facts, result


def test_a_device_name_in_an_unreadable_grub_file_is_unknown_not_pass() -> None:
    facts, result = _asr308("resume=UUID=9f8e7d6c quiet")
    assert facts.grub_files == ("/etc/default/grub", "/boot/loader/entries/a.conf")
    assert set(facts.grub_device_names or ()) == {"resume=UUID=9f8e7d6c", "root=UUID=0a1b2c3d"}
    assert "/boot/grub2/grub.cfg" in facts.probe_errors["grub"]
    assert "/boot/efi/" in facts.probe_errors["grub"]
    assert result.outcome == Outcome.UNKNOWN, result.message
    assert "/boot/grub2/grub.cfg" in result.message and "root" in (result.hint or "")


def test_a_device_name_in_a_readable_file_fails_even_on_a_partial_read() -> None:
    facts, result = _asr308("resume=/dev/sdb2 quiet")
    assert "grub" in facts.probe_errors
    assert result.outcome == Outcome.FAIL and "/dev/sdb2" in result.message


# -- which arguments the storage probe gets: sudo only with the plan's opt-in --------------------


class _Recording:
    """Records the probes the collector asks for and answers none (their facts stay unknown)."""

    def __init__(self) -> None:
        self.invocations: list[Invocation] = []

    def connect(self) -> None:
        pass

    def run_many(
        self, invocations: Sequence[Invocation], timeout: float, together: bool = False
    ) -> list[CommandResult]:
        self.invocations.extend(invocations)
        return [CommandResult(i.probe, None, "", "", "not run") for i in invocations]

    def close(self) -> None:
        pass


@pytest.mark.parametrize(
    ("linux", "args"), [({}, ()), ({"sudo": False}, ()), ({"sudo": True}, ("sudo",))]
)
def test_the_storage_probe_gets_sudo_only_from_the_plan(
    linux: dict[str, Any], args: tuple[str, ...]
) -> None:
    transport = _Recording()
    _gather(make_plan(guest={"linux": {"user": "azureuser", **linux}}), transport)
    [storage] = [i for i in transport.invocations if i.probe == "storage"]
    assert storage.args == args
    assert all(
        i.args == () for i in transport.invocations if i.probe in ("facts", "trust", "proxy")
    )
