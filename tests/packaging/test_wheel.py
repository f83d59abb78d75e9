"""A plain, non-editable install of the wheel works: CLI, rule pack, probe scripts, templates.

The wheel is built from this tree without build isolation and installed without dependencies
into a fresh venv that sees the development venv's packages through a .pth file, so nothing is
fetched from an index.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
pytestmark = pytest.mark.slow


def _run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    return subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    pip = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation"]
    built = _run(*pip, "--no-index", "-w", dist, ROOT)
    assert built.returncode == 0, built.stderr
    [found] = dist.glob("asr_preflight-*.whl")
    return found


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("venv")
    made = _run(sys.executable, "-m", "venv", "--without-pip", home)
    assert made.returncode == 0, made.stderr
    python = home / "bin" / "python"
    purelib = _run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    site = Path(purelib.stdout.strip())
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "_dev_dependencies.pth").write_text("\n".join(sorted(deps)) + "\n")
    pip = [sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps"]
    installed = _run(*pip, "--no-index", wheel)
    assert installed.returncode == 0, installed.stderr
    return home


def test_wheel_holds_packages_data_and_entry_points(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        points = zf.read(entry_points).decode()
    for expected in (
        "asr_preflight/cli.py",
        "asr_preflight/reporters/templates/report.html.j2",
        "asr_preflight/reporters/templates/report.js",
        "asr_preflight/schemas/snapshot-v1.schema.json",
        "asr_preflight/schemas/results-v1.schema.json",
        "asr_preflight_rules/catalogue.py",
        "asr_preflight_rules/kit.py",
        "asr_preflight_checks/__init__.py",
        "asr_preflight/py.typed",  # PEP 561: packs type-check against the contract
        "asr_preflight_rules/py.typed",
    ):
        assert expected in names, expected
    assert "asr-preflight = asr_preflight.cli:main" in points
    assert "builtin = asr_preflight_rules.catalogue:RULES" in points


def test_installed_cli_runs_from_the_wheel(venv: Path, tmp_path: Path) -> None:
    exe = venv / "bin" / "asr-preflight"
    version = _run(exe, "--version", cwd=tmp_path)
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith("asr-preflight ")

    listed = _run(exe, "rules", "list", "--json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    rules = json.loads(listed.stdout)
    assert "ASR505" in [rule["code"] for rule in rules]
    assert {rule["pack"] for rule in rules} == {"asr-preflight"}
    packed = _run(exe, "rules", "packs", "--json", cwd=tmp_path)
    assert packed.returncode == 0, packed.stderr
    document = json.loads(packed.stdout)
    builtin = next(p for p in document["packs"] if p["name"] == "asr-preflight")
    assert builtin["status"] == "loaded" and builtin["requires_api"] and not document["errors"]

    explained = _run(exe, "rules", "explain", "ASR505", cwd=tmp_path)
    assert explained.returncode == 0, explained.stderr
    assert "How to fix" in explained.stdout


def test_packages_come_from_the_venv_with_probe_scripts(venv: Path, tmp_path: Path) -> None:
    code = (
        "import json, importlib.resources as r, asr_preflight, asr_preflight_rules;"
        "checks = r.files('asr_preflight_checks');"
        "print(json.dumps([asr_preflight.__file__, asr_preflight_rules.__file__,"
        " str(checks), checks.is_dir()]))"
    )
    probe = _run(venv / "bin" / "python", "-c", code, cwd=tmp_path)
    assert probe.returncode == 0, probe.stderr
    core, rules, checks, is_dir = json.loads(probe.stdout)
    for path in (core, rules, checks):
        assert Path(path).resolve().is_relative_to(venv.resolve()), path
    assert is_dir


def test_installed_demo_runs(venv: Path, tmp_path: Path) -> None:
    demo = _run(venv / "bin" / "asr-preflight", "demo", "--output-dir", tmp_path, cwd=tmp_path)
    assert demo.returncode in (0, 1, 3, 4), demo.stderr
    assert (tmp_path / "results.json").is_file() and (tmp_path / "report.html").is_file()
