"""A third-party rule pack, installed as a user would: examples/plugin is built and installed with
pip (no index, no build isolation: hatchling comes from the test extras) into a directory of its
own, and the CLI finds it through its entry point. Broken packs installed beside it (an import
error, a duplicate code, a bad signature) leave the built-in rules and the example working and
are named by `rules list`.

Everything runs in subprocesses with ``PYTHONPATH`` set to that directory, so the development
venv never sees these packs (the project's own tests count the built-in pack only).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from asr_preflight.reporters.json import as_v1
from asr_preflight.snapshot import snapshot_to_json
from asr_preflight.testing import make_plan, make_snapshot, make_vm

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "plugin"
pytestmark = pytest.mark.slow


def _run(*args: str | Path, path: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PYTHONPATH"] = str(path)
    env["COLUMNS"] = "200"
    return subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300
    )


def _cli(*args: str | Path, path: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return _run(sys.executable, "-m", "asr_preflight", *args, path=path, cwd=cwd)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site")
    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-build-isolation"]
    done = subprocess.run(
        [*pip, "--no-deps", "--target", str(target), str(EXAMPLE)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert (target / "contoso_asr_rules" / "__init__.py").is_file()
    return target


def _dist(site: Path, name: str, module: str, code: str) -> None:
    """A minimal installed distribution (what pip leaves in site-packages) holding one module."""
    info = site / f"{name.replace('-', '_')}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[asr_preflight.rules]\n{name} = {module}:RULES\n")
    (site / f"{module}.py").write_text(code)


RULE = '''
from asr_preflight.api import passed, vm_rule

@vm_rule(code="{code}", name="some-rule", severity="fail")
def check({params}):
    """A rule.

    ## What it checks
    x
    ## Why it matters
    x
    ## How to fix
    x
    ## References
    - https://example.invalid/
    """
    return passed(vm, "ok")

RULES = (check,)
'''


@pytest.fixture(scope="module")
def with_broken(installed: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("broken-site")
    for entry in installed.iterdir():  # the example too, by symlink: one directory on the path
        (site / entry.name).symlink_to(entry)
    _dist(site, "broken-import", "broken_import", "print('hello')\nimport no_such_module_at_all\n")
    _dist(site, "zz-duplicate", "zz_duplicate", RULE.format(code="CTS001", params="ctx, vm"))
    _dist(site, "bad-signature", "bad_signature", RULE.format(code="BAD001", params="vm"))
    return site


def _plan_and_snapshot(where: Path) -> tuple[Path, Path]:
    plan = where / "plan.toml"
    plan.write_text(
        '[azure]\nsubscriptions = ["00000000-0000-0000-0000-0000000000a1"]\n'
        '[target]\nregion = "westus2"\n'
        '[plugins.contoso-asr-rules]\nrequired_tags = ["owner"]\n'
    )
    vms = [
        make_vm("vm-tagged", tags={"owner": "ana"}),
        make_vm("vm-bare", tags={}),
        make_vm("vm-unread", tags=None),
    ]
    snapshot = where / "snapshot.json"
    snapshot.write_text(snapshot_to_json(make_snapshot(vms=vms, plan=make_plan())))
    return plan, snapshot


def test_the_example_pack_is_listed_with_its_api_and_explained(
    installed: Path, tmp_path: Path
) -> None:
    listed = _cli("rules", "list", "--json", path=installed, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    rules = {r["code"]: r for r in json.loads(listed.stdout)}  # a list of rules, as always
    assert (rules["CTS001"]["pack"], rules["CTS001"]["requires_api"]) == (
        "contoso-asr-rules",
        "1.0",
    )
    assert rules["ASR505"]["pack"] == "asr-preflight"
    packed = _cli("rules", "packs", "--json", path=installed, cwd=tmp_path)
    assert packed.returncode == 0, packed.stderr
    document = json.loads(packed.stdout)
    packs = {p["name"]: p for p in document["packs"]}
    assert packs["contoso-asr-rules"]["status"] == "loaded"
    assert packs["contoso-asr-rules"]["requires_api"] == "1.0"
    assert packs["contoso-asr-rules"]["rules"] == ["CTS001"]
    assert not document["errors"]
    explained = _cli("rules", "explain", "cts001", path=installed, cwd=tmp_path)
    assert explained.returncode == 0 and "contoso-asr-rules 1.0.0" in explained.stdout


def test_the_example_rule_runs_in_check_with_its_plan_settings(
    installed: Path, tmp_path: Path
) -> None:
    plan, snapshot = _plan_and_snapshot(tmp_path)
    out = tmp_path / "reports"
    args = ["check", "--snapshot", snapshot, "--plan", plan, "--output-dir", out]
    done = _cli(*args, "--format", "json", "--select", "CTS", path=installed, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    results = as_v1(json.loads((out / "results.json").read_text()))["results"]
    assert [(r["rule"], r["vm"], r["outcome"]) for r in results] == [
        ("CTS001", "vm-tagged", "pass"),
        ("CTS001", "vm-bare", "fail"),
        ("CTS001", "vm-unread", "unknown"),
    ]
    assert "owner" in results[1]["message"] and "cost-center" not in results[1]["message"]
    # [plugins] disable turns it off: --select CTS then matches no rule, a usage error
    plan.write_text(
        plan.read_text().replace(
            "[plugins.", '[plugins]\ndisable = ["contoso-asr-rules"]\n[plugins.'
        )
    )
    off = _cli(*args, "--select", "CTS", path=installed, cwd=tmp_path)
    assert off.returncode == 2 and "CTS" in off.stderr


def test_the_example_packs_own_tests_pass(installed: Path, tmp_path: Path) -> None:
    done = _run(
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        EXAMPLE / "tests",
        path=installed,
        cwd=EXAMPLE,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 passed" in done.stdout


def test_broken_packs_are_named_and_leave_the_others_working(
    with_broken: Path, tmp_path: Path
) -> None:
    listed = _cli("rules", "list", path=with_broken, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    errors = [e for e in listed.stderr.strip().splitlines() if e != "hello"]
    assert len(errors) == 3, listed.stderr
    assert any("broken-import 0.1" in e and "No module named" in e for e in errors)
    assert any("zz-duplicate 0.1" in e and "CTS001 is defined twice" in e for e in errors)
    assert any("bad-signature 0.1" in e and "takes (vm)" in e for e in errors)
    assert "ASR505" in listed.stdout and "CTS001" in listed.stdout
    # the broken pack prints at import: never into the JSON on stdout
    as_list = json.loads(_cli("rules", "list", "--json", path=with_broken, cwd=tmp_path).stdout)
    codes = {r["code"] for r in as_list}
    assert {"ASR505", "CTS001"} <= codes and "BAD001" not in codes
    packed = _cli("rules", "list", "--json", "--packs", path=with_broken, cwd=tmp_path)
    as_json = json.loads(packed.stdout)
    assert len(as_json["errors"]) == 3
    statuses = {p["name"]: p["status"] for p in as_json["packs"]}
    assert statuses["contoso-asr-rules"] == "loaded" and statuses["asr-preflight"] == "loaded"
    assert [statuses[n] for n in ("broken-import", "zz-duplicate", "bad-signature")] == [
        "failed"
    ] * 3

    plan, snapshot = _plan_and_snapshot(tmp_path)
    out = tmp_path / "reports"
    args = [
        "check",
        "--snapshot",
        snapshot,
        "--plan",
        plan,
        "--output-dir",
        out,
        "--format",
        "json",
    ]
    done = _cli(*args, "--select", "ASR505,CTS", path=with_broken, cwd=tmp_path)
    assert done.returncode == 1, done.stderr  # CTS001 fails vm-bare
    document = as_v1(json.loads((out / "results.json").read_text()))
    assert {r["rule"] for r in document["results"]} == {"ASR505", "CTS001"}
    assert sum("no VM can be called ready" in note for note in document["notes"]) == 3

    only_builtin = _cli(*args, "--select", "ASR505", path=with_broken, cwd=tmp_path)
    assert only_builtin.returncode == 3, only_builtin.stderr  # all pass, yet never ready
    assert json.loads((out / "results.json").read_text())["verdict"] == "unknown"

    required = _cli(*args, "--require-pack", "broken-import", path=with_broken, cwd=tmp_path)
    assert required.returncode == 2
    assert "required rule pack broken-import 0.1" in required.stderr
