"""The support table: generated from a verbatim copy of the support-matrix page section
(tests/data/support_matrix/page.md), shipped in the package, and the verdicts it gives."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import pytest

from asr_preflight.support_matrix import judge, kernel_matches, load, to_json
from asr_preflight.support_matrix.__main__ import main, with_rule_date
from asr_preflight.support_matrix.generate import PageError, parse_page
from asr_preflight_rules.guest.asr311_os_supported import os_supported

PAGE = Path(__file__).parent.parent / "data" / "support_matrix" / "page.md"


@pytest.fixture(scope="module")
def page() -> str:
    return PAGE.read_text("utf-8")


def rows(matrix, distribution, version):
    return matrix.rows_for(distribution, version)


def test_the_shipped_table_is_what_the_page_generates(page: str) -> None:
    """Updating is one command: the shipped file is exactly the generator's output for the
    copied page (replace page.md and run `python -m asr_preflight.support_matrix update`)."""
    shipped = files("asr_preflight").joinpath("data", "support_matrix.json").read_text("utf-8")
    generated = parse_page(page, commit="00d971288f151435fae54d1334f816601ca20a84")
    assert to_json(generated) == shipped
    assert load().date == "2025-06-13"


def test_every_row_names_its_page_section_and_date() -> None:
    matrix = load()
    assert len(matrix.rows) > 200
    for row in matrix.rows:
        assert row.date == matrix.date
        assert row.source.startswith(
            "https://learn.microsoft.com/azure/site-recovery/azure-to-azure-support-matrix#"
        ), row
    anchors = {r.source.split("#")[1] for r in matrix.rows}
    assert "supported-ubuntu-kernel-versions-for-azure-virtual-machines" in anchors
    assert "windows" in anchors and "linux" in anchors


def test_rows_read_from_the_page() -> None:
    m = load()
    assert [r.kernels for r in rows(m, "rhel", "8.4")] == [(">=4.18.0-305.30.1.el8_4.x86_64",)]
    assert [r.kernels for r in rows(m, "rhel", "8.10")] == [None]  # no kernel restriction
    assert [(r.status, r.note) for r in rows(m, "debian", "9.0")] == [
        ("unsupported", "Debian 9.0 isn't supported")
    ]
    sles = [r for r in rows(m, "sles", "15.5") if r.agent == "9.64"]
    assert (
        sles
        and "*-default" in sles[0].kernels
        and (
            "5.14.21-150500.33.72-azure" in sles[0].kernels  # ":5" (the service pack) dropped
        )
    )
    rocky = {r.version: r.agent for r in m.rows_for("rocky") if r.kernels is None}
    assert rocky == {"8.8": "9.57", "8.9": "9.57", "8.7": "9.56", "9.0": "9.56"}
    ubuntu16 = rows(m, "ubuntu", "16.04")
    assert {r.agent for r in ubuntu16 if r.kernels == ()} == {f"9.6{i}" for i in range(6)}
    [r2008] = rows(m, "windows-server", "2008 R2")
    assert r2008.requires == ("KB4474419", "KB4490628") and r2008.builds == ("6.1.7601",) * 2
    [win11] = rows(m, "windows", "11")
    assert win11.agent == "9.56" and win11.arch == "x64"
    assert {r.version for r in m.rows_for("windows-server")} == {
        "2025", "2022", "2019", "2016", "2012 R2", "2012", "2008 R2"
    }  # fmt: skip


@pytest.mark.parametrize(
    ("pattern", "kernel", "expected"),
    [
        ("5.15.0-1082-azure", "5.15.0-1082-azure", True),
        ("5.15.0-1082-azure", "5.15.0-1082-generic", False),
        (">=5.14.0-503.11.1", "5.14.0-503.11.1.el9_5.x86_64", True),
        (">=5.14.0-503.11.1", "5.14.0-503.40.1.el9_5.x86_64", True),
        (">=5.14.0-503.11.1", "5.14.0-427.13.1.el9_4.x86_64", False),
        (">=5.14.0-503.11.1", "6.12.0-55.el10.x86_64", False),  # another series: not "higher"
        (">=4.18.0-305.30.1.el8_4.x86_64", "4.18.0-305.100.1.el8_4.x86_64", True),
        (">=4.18.0-305.30.1.el8_4.x86_64", "4.18.0-305.3.1.el8_4.x86_64", False),
        ("*-default", "5.14.21-150500.55.83-default", True),
        ("*-default", "5.14.21-150500.33.99-azure", False),
    ],
)
def test_kernel_patterns(pattern: str, kernel: str, expected: bool) -> None:
    assert kernel_matches(pattern, kernel) is expected


@pytest.mark.parametrize(
    ("release", "kernel", "outcome", "words"),
    [
        ({"ID": "ubuntu", "VERSION_ID": "22.04"}, "5.15.0-1082-azure", "pass", "agent 9.65"),
        ({"ID": "ubuntu", "VERSION_ID": "22.04"}, "5.15.0-1099-azure", "unknown", "2025-06-13"),
        ({"ID": "ubuntu", "VERSION_ID": "16.04"}, "4.15.0-142-generic", "unknown", "2025-06-13"),
        ({"ID": "rhel", "VERSION_ID": "8.4"}, "4.18.0-305.25.1.el8_4.x86_64", "fail", "or later"),
        ({"ID": "rhel", "VERSION_ID": "8.10"}, "4.18.0-553.el8_10.x86_64", "pass", "no kernel"),
        ({"ID": "rhel", "VERSION_ID": "8.10"}, "6.18.44-custom", "unknown", "stock"),
        ({"ID": "rhel", "VERSION_ID": "8.10"}, "4.18.0-553.el9.x86_64", "unknown", "stock"),
        ({"ID": "ol", "VERSION_ID": "8.3"}, "5.4.17-2011.7.4.el8uek.x86_64", "pass", "Oracle"),
        ({"ID": "rhel", "VERSION_ID": "9.5"}, "5.14.0-503.15.1.el9_5.x86_64", "pass", "9.65"),
        ({"ID": "rhel", "VERSION_ID": "10.0"}, "6.12.0-55.el10.x86_64", "unknown", "6.7 to 9.5"),
        ({"ID": "debian", "VERSION_ID": "9.0"}, "4.9.0-3-amd64", "fail", "not supported"),
        (
            {"ID": "debian", "VERSION_ID": "9", "DEBIAN_VERSION": "9.0"},
            "4.9.0-3-amd64",
            "fail",
            "Debian 9.0 is listed as not supported",
        ),
        (
            {"ID": "debian", "VERSION_ID": "9", "DEBIAN_VERSION": "9.13"},
            "4.9.0-19-amd64",
            "unknown",
            "Debian 9.13: kernel",
        ),
        (
            {"ID": "debian", "VERSION_ID": "12", "DEBIAN_VERSION": "12.8"},
            "6.1.0-28-amd64",
            "pass",
            "Debian 12.8 with kernel",
        ),
        ({"ID": "sles", "VERSION_ID": "15.5"}, "5.14.21-150500.55.83-default", "pass", "SUSE"),
        ({"ID": "sles_sap", "VERSION_ID": "15.5"}, "5.14.21-150500.33.72-azure", "pass", "9.64"),
        ({"ID": "fedora", "VERSION_ID": "41"}, "6.11.4-301.fc41.x86_64", "unknown", "2025-06-13"),
        ({}, "6.1.0-28-amd64", "unknown", "os-release"),
    ],
)
def test_linux_verdicts(release: dict[str, str], kernel: str, outcome: str, words: str) -> None:
    verdict = judge(load(), release, kernel, windows=False)
    assert verdict.outcome == outcome, verdict
    assert words in verdict.message


WS = {"NAME": "Microsoft Windows Server 2008 R2 Datacenter", "VERSION_ID": "6.1.7601",
      "PRODUCT_TYPE": "3", "ARCHITECTURE": "64-bit"}  # fmt: skip


@pytest.mark.parametrize(
    ("release", "hotfixes", "outcome", "words"),
    [
        (WS, ["KB4474419", "KB4490628"], "pass", "with KB4474419, KB4490628"),
        (WS, ["kb4474419"], "fail", "lacks KB4490628"),
        (WS, [], "fail", "lacks KB4474419, KB4490628"),
        (WS, None, "unknown", "installed updates were not reported"),
        ({**WS, "VERSION_ID": "6.1.7600"}, [], "unknown", "build 6.1.7600"),  # 2008 R2 RTM
        ({**WS, "NAME": "Microsoft Windows Server 2019", "VERSION_ID": "10.0.17763"}, [], "pass",
         "Windows Server 2019"),
        ({**WS, "NAME": "Windows Server 2022 Azure Edition", "VERSION_ID": "10.0.25398"}, [],
         "unknown", "2025-06-13"),
        ({"NAME": "Microsoft Windows 10 Pro", "VERSION_ID": "10.0.19045", "PRODUCT_TYPE": "1",
          "ARCHITECTURE": "32-bit"}, [], "fail", "x64 only"),
        ({"NAME": "Microsoft Windows 11 Enterprise", "VERSION_ID": "10.0.22631",
          "PRODUCT_TYPE": "1", "ARCHITECTURE": "64-bit"}, [], "pass", "Windows 11"),
    ],
)  # fmt: skip
def test_windows_verdicts(
    release: dict[str, str], hotfixes: list[str] | None, outcome: str, words: str
) -> None:
    verdict = judge(load(), release, None, windows=True, hotfixes=hotfixes)
    assert verdict.outcome == outcome, verdict
    assert words in verdict.message


def test_rules_explain_names_the_table_date() -> None:
    assert f"support table dated {load().date}" in os_supported.doc


def test_update_writes_the_table_and_the_rule_date(tmp_path: Path, page: str) -> None:
    out = tmp_path / "table.json"
    newer = page.replace("ms.date: 06/13/2025", "ms.date: 07/01/2025")
    source = tmp_path / "page.md"
    source.write_text(newer)
    assert main(["update", str(source), "--output", str(out), "--no-rule-date"]) == 0
    data = json.loads(out.read_text())
    assert data["date"] == "2025-07-01" and data["commit"].startswith("00d97128")
    assert {r["date"] for r in data["rows"]} == {"2025-07-01"}
    rule_text = Path(os_supported.func.__code__.co_filename).read_text()
    assert "support table dated 2025-07-01" in with_rule_date(rule_text, "2025-07-01")
    assert with_rule_date(rule_text, load().date) == rule_text


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (("ms.date: 06/13/2025", "ms.date: soon"), "ms.date"),
        (("Windows Server 2012 R2 | Supported.", "Windows Server 2030 | Supported."), "2030"),
        (("| 9.65 | 6.1.0-32-amd64 <br>", "| 9.65 | six-one <br>"), "not a kernel"),
        (("Debian 12 | 9.64 |", "Debian 12 | soon |"), "mobility agent"),
        (("Alma Linux | [See", "Gentoo | [See"), "unknown distribution"),
    ],
)
def test_a_page_that_changed_shape_is_an_error(
    page: str, change: tuple[str, str], error: str
) -> None:
    assert change[0] in page
    with pytest.raises(PageError, match=error):
        parse_page(page.replace(change[0], change[1], 1))


def test_update_reports_a_bad_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "page.md"
    bad.write_text("---\nms.date: 06/13/2025\n---\n# nothing here\n")
    out = tmp_path / "table.json"
    assert main(["update", str(bad), "--output", str(out), "--no-rule-date"]) == 1
    assert "no Windows or no Linux" in capsys.readouterr().err and not out.exists()
