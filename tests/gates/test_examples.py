"""The CI examples: scheduled, workload identity, baseline from the previous run, JUnit + SARIF."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

EXAMPLES = Path(__file__).parents[2] / "examples"


def load(name: str) -> dict[Any, Any]:
    data = yaml.safe_load((EXAMPLES / name).read_text())
    assert isinstance(data, dict)
    return data


def check_command(script: str) -> str:
    """The `asr-preflight check …` command of a script, continuation lines joined."""
    joined = script.replace("\\\n", " ")
    [line] = [ln for ln in joined.splitlines() if "asr-preflight check" in ln]
    return " ".join(line.split())


def formats(command: str) -> set[str]:
    match = re.search(r"--format (\S+)", command)
    assert match
    return set(match.group(1).split(","))


# -- GitHub Actions ----------------------------------------------------------------------------


def test_github_workflow_is_scheduled_with_oidc_and_no_secret() -> None:
    wf = load("github-actions.yml")
    triggers = wf.get("on", wf.get(True))  # YAML 1.1 reads a bare `on` as true
    assert triggers["schedule"][0]["cron"].count(" ") == 4
    assert wf["permissions"]["id-token"] == "write"
    assert wf["permissions"]["security-events"] == "write"
    steps = wf["jobs"]["readiness"]["steps"]
    [login] = [s for s in steps if str(s.get("uses", "")).startswith("azure/login@")]
    assert set(login["with"]) == {"client-id", "tenant-id", "subscription-id"}
    text = (EXAMPLES / "github-actions.yml").read_text()
    assert "secrets." not in text and "client-secret" not in text and "creds" not in text


def test_github_workflow_keeps_the_previous_results_as_baseline_and_publishes() -> None:
    steps = load("github-actions.yml")["jobs"]["readiness"]["steps"]
    uses = [str(s.get("uses", "")).split("@")[0] for s in steps]
    names = [s.get("name", "") for s in steps]
    download = uses.index("actions/download-artifact")
    login = uses.index("azure/login")
    check = names.index("Check readiness")
    assert download < check and login < check
    command = check_command(steps[check]["run"])
    assert "--baseline baseline/results.json --fail-on-new" in steps[check]["run"]
    assert {"junit", "sarif", "json", "markdown"} <= formats(command)
    assert "--output-dir reports" in command
    got = steps[download]["with"]
    upload = steps[uses.index("actions/upload-artifact")]
    assert got["name"] == upload["with"]["name"] and got["path"] == "baseline"
    assert upload["with"]["path"].rstrip("/") == "reports"
    sarif = steps[uses.index("github/codeql-action/upload-sarif")]
    assert sarif["with"]["sarif_file"] == "reports/results.sarif"
    junit = steps[uses.index("mikepenz/action-junit-report")]
    assert junit["with"]["report_paths"] == "reports/results.xml"
    for step in (upload, sarif, junit):
        assert "always()" in step["if"], step  # publish even when the gate failed
    # results.sarif names its category (automationDetails.id, --sarif-category); the upload
    # action's `category` input does not override it, so setting it there would mislead
    assert "category" not in sarif["with"]


def test_github_job_outlives_the_collection_deadline() -> None:
    """The job's timeout leaves check's collection deadline (--timeout) room for the reports."""
    job = load("github-actions.yml")["jobs"]["readiness"]
    command = check_command(
        next(s["run"] for s in job["steps"] if s.get("name") == "Check readiness")
    )
    match = re.search(r"--timeout (\d+)", command)
    from asr_preflight.azure.guard import DEFAULT_TIMEOUT

    deadline = int(match.group(1)) if match else DEFAULT_TIMEOUT
    assert job["timeout-minutes"] * 60 >= deadline + 600


# -- Azure Pipelines ---------------------------------------------------------------------------


def test_azure_pipeline_is_scheduled_and_signs_in_through_a_service_connection() -> None:
    pipe = load("azure-pipelines.yml")
    [schedule] = pipe["schedules"]
    assert schedule["cron"].count(" ") == 4 and schedule["always"] is True
    steps = pipe["steps"]
    [cli] = [s for s in steps if s.get("task") == "AzureCLI@2"]
    assert cli["inputs"]["azureSubscription"] == "$(serviceConnection)"
    text = (EXAMPLES / "azure-pipelines.yml").read_text()
    assert "$(secret" not in text.lower() and "AZURE_CLIENT_SECRET" not in text


def test_azure_pipeline_keeps_the_previous_results_as_baseline_and_publishes() -> None:
    pipe = load("azure-pipelines.yml")
    steps = pipe["steps"]
    tasks = [s.get("task", "") for s in steps]
    download = tasks.index("DownloadPipelineArtifact@2")
    check = tasks.index("AzureCLI@2")
    assert download < check
    dl = steps[download]["inputs"]
    assert dl["allowFailedBuilds"] is True and dl["buildVersionToDownload"] == "latestFromBranch"
    script = steps[check]["inputs"]["inlineScript"]
    assert '--baseline "$(baseline)/results.json" --fail-on-new' in script
    command = check_command(script)
    assert {"junit", "sarif", "json"} <= formats(command)
    assert '--output-dir "$(reports)"' in command
    [junit] = [s for s in steps if s.get("task") == "PublishTestResults@2"]
    assert junit["inputs"]["testResultsFormat"] == "JUnit"
    assert junit["inputs"]["testResultsFiles"] == "$(reports)/results.xml"
    published = {
        s["inputs"]["artifact"]: s for s in steps if s.get("task") == "PublishPipelineArtifact@1"
    }
    assert published[dl["artifactName"]]["inputs"]["targetPath"] == "$(reports)"
    assert published["CodeAnalysisLogs"]["inputs"]["targetPath"] == "$(reports)/results.sarif"
    for step in (junit, *published.values()):
        assert step["condition"] == "always()"


def test_the_example_waiver_file_is_valid() -> None:
    from datetime import date

    from asr_preflight.engine import load_rules
    from asr_preflight.waivers import lint_waivers, load_waivers

    loaded = load_waivers(EXAMPLES / "waivers.toml")
    assert [w.waiver.rule for w in loaded] == ["ASR505", "ASR3*"]
    findings = lint_waivers(loaded, load_rules(), date(2026, 11, 25))
    assert findings == []  # the guest rules are installed, so ASR3* matches them


def test_examples_check_the_dr_operator_not_the_scan_identity() -> None:
    """The scan identity has Reader only: ASR401-404 must judge whoever enables replication."""
    gh = next(
        s
        for s in load("github-actions.yml")["jobs"]["readiness"]["steps"]
        if s.get("name") == "Check readiness"
    )
    assert gh["env"]["DR_OPERATOR_OBJECT_ID"] == "${{ vars.DR_OPERATOR_OBJECT_ID }}"
    assert '--principal-id "$DR_OPERATOR_OBJECT_ID"' in gh["run"]
    assert '"${operator[@]}"' in check_command(gh["run"])
    pipe = load("azure-pipelines.yml")
    assert "drOperatorObjectId" in pipe["variables"]
    [cli] = [s for s in pipe["steps"] if s.get("task") == "AzureCLI@2"]
    script = cli["inputs"]["inlineScript"]
    assert '--principal-id "$(drOperatorObjectId)"' in script
    assert '"${operator[@]}"' in check_command(script)
