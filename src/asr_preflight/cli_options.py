"""The options ``check``, ``collect`` and ``demo`` share, declared once.

Each group is a frozen dataclass whose fields carry their Typer option (name, help, panel) and
default. A command takes a group as one parameter (``collection: CollectFlags``) and
:func:`flag_groups` expands it into the group's options for Typer and packs the values back into
the dataclass when the command runs. To give a new option to every command that takes a group,
add one field to the group:

- :class:`ReportFlags` (``check``, ``demo``): what to evaluate and how to report it;
- :class:`GateFlags` (``check``, ``demo``): waivers, baseline and what fails the run;
- :class:`CollectFlags` (``check``, ``collect``): how to read Azure and the guests;
- :class:`RuleFlags` (``check``, ``collect``, ``demo``): which rules run (docs/plugins.md).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, fields, is_dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, get_type_hints

import typer

if TYPE_CHECKING:
    from asr_preflight.options import CollectOptions

R = TypeVar("R")

COLLECT_PANEL = "Collection (ignored with --snapshot)"
OUTPUT_PANEL = "Output"
GATE_PANEL = "CI gate (docs/gates.md)"
RULES_PANEL = "Rules (docs/plugins.md)"


class CloudName(StrEnum):
    AzureCloud = "AzureCloud"
    AzureUSGovernment = "AzureUSGovernment"
    AzureChinaCloud = "AzureChinaCloud"
    custom = "custom"


class JunitWarnings(StrEnum):
    pass_ = "pass"  # noqa: S105 - a JUnit mode, not a password
    skipped = "skipped"
    failure = "failure"


PlanOpt = Annotated[Path | None, typer.Option("--plan", help="The plan file (TOML).")]


OutputDirOpt = Annotated[
    Path, typer.Option("--output-dir", help="Where reports go.", rich_help_panel=OUTPUT_PANEL)
]


@dataclass(frozen=True)
class ReportFlags:
    format: Annotated[
        str,
        typer.Option(
            "--format",
            help="Comma-separated: junit, html, json, sarif, markdown, console; "
            "json-v1 writes results-v1.json (schema v1).",
            rich_help_panel=OUTPUT_PANEL,
        ),
    ] = "junit,html,json,console"
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Warnings fail the run (exit 4) and are JUnit failures (unless --junit-warnings).",
            rich_help_panel=OUTPUT_PANEL,
        ),
    ] = False
    junit_warnings: Annotated[
        JunitWarnings | None,
        typer.Option(
            "--junit-warnings",
            help="How results.xml shows a warning: a passing test named with the warning, "
            "skipped, or a failure. Default: failure when warnings fail the run (--strict, "
            "--fail-on warn), else pass (docs/gates.md).",
            show_default=False,
            rich_help_panel=OUTPUT_PANEL,
        ),
    ] = None
    sarif_category: Annotated[
        str | None,
        typer.Option(
            "--sarif-category",
            metavar="CATEGORY",
            help="results.sarif's automationDetails.id, i.e. GitHub code scanning's category "
            "(default: asr-preflight/<plan file name>).",
            rich_help_panel=OUTPUT_PANEL,
        ),
    ] = None


@dataclass(frozen=True)
class GateFlags:
    waivers: Annotated[
        Path | None,
        typer.Option(
            "--waivers",
            metavar="FILE",
            help="Waivers (TOML [[waivers]]: rule, target, justification, owner, expires).",
            rich_help_panel=GATE_PANEL,
        ),
    ] = None
    baseline: Annotated[
        Path | None,
        typer.Option(
            "--baseline",
            metavar="OLD_results.json",
            help="Mark each result new, unchanged or fixed against an earlier results.json.",
            rich_help_panel=GATE_PANEL,
        ),
    ] = None
    fail_on_new: Annotated[
        bool,
        typer.Option(
            "--fail-on-new",
            help="Gate only on problems that are new against --baseline.",
            rich_help_panel=GATE_PANEL,
        ),
    ] = False
    fail_on: Annotated[
        list[str] | None,
        typer.Option(
            "--fail-on",
            metavar="fail|warn|unknown",
            help="Outcomes that fail the run (repeatable); replaces the default fail,unknown; "
            "--strict adds warn.",
            rich_help_panel=GATE_PANEL,
        ),
    ] = None


@dataclass(frozen=True)
class CollectFlags:
    no_eligibility: Annotated[
        bool,
        typer.Option(
            "--no-eligibility",
            help="Skip ASR's per-VM eligibility calls (ASR009 says skip).",
            rich_help_panel=COLLECT_PANEL,
        ),
    ] = False
    no_guest: Annotated[
        bool,
        typer.Option(
            "--no-guest",
            help="Skip in-guest probes (the ASR3xx rules say skip).",
            rich_help_panel=COLLECT_PANEL,
        ),
    ] = False
    principal_id: Annotated[
        str | None,
        typer.Option(
            "--principal-id",
            metavar="OID",
            help="Object id (a GUID) whose permissions ASR4xx check "
            "(default: the signed-in principal).",
            rich_help_panel=COLLECT_PANEL,
        ),
    ] = None
    concurrency: Annotated[
        int | None,
        typer.Option(
            "--concurrency",
            min=1,
            metavar="N",
            help="Parallel ARM requests and guest probes (default: 16 requests, 32 guests).",
            rich_help_panel=COLLECT_PANEL,
        ),
    ] = None
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            metavar="SECONDS",
            min=0,
            help="Time limit for the whole collection (Azure and guests); past it what was not "
            "read is unknown and the reports are written (default: 1800 s for the Azure part, "
            "the guests their budgets; 0: no limit).",
            rich_help_panel=COLLECT_PANEL,
        ),
    ] = None
    cloud: Annotated[
        CloudName | None,
        typer.Option(
            "--cloud",
            metavar="CLOUD",
            help="AzureCloud, AzureUSGovernment, AzureChinaCloud or custom (with --arm-endpoint"
            " and --authority-host); overrides the plan's azure.cloud.",
            rich_help_panel=COLLECT_PANEL,
        ),
    ] = None
    arm_endpoint: Annotated[
        str | None,
        typer.Option(
            "--arm-endpoint",
            metavar="URL",
            help="Custom cloud ARM endpoint.",
            rich_help_panel=COLLECT_PANEL,
        ),
    ] = None
    authority_host: Annotated[
        str | None,
        typer.Option(
            "--authority-host",
            metavar="URL",
            help="Custom cloud authority.",
            rich_help_panel=COLLECT_PANEL,
        ),
    ] = None
    accept_new_host_keys: Annotated[
        bool,
        typer.Option(
            "--accept-new-host-keys",
            help="Trust SSH host keys not yet in known_hosts (a changed key is still refused).",
            rich_help_panel=COLLECT_PANEL,
        ),
    ] = False

    def options(self) -> CollectOptions:
        """The collectors' options (no progress callback: the caller adds its own).
        Raises UsageProblem for a ``--principal-id`` that is not an object id."""
        from asr_preflight.cli_errors import UsageProblem
        from asr_preflight.options import (
            AzureOptions,
            CollectOptions,
            GuestOptions,
            is_object_id,
            principal_id_problem,
        )

        if self.principal_id is not None and not is_object_id(self.principal_id):
            raise UsageProblem(principal_id_problem(self.principal_id))

        return CollectOptions(
            azure=AzureOptions(
                cloud=self.cloud.value if self.cloud is not None else None,
                arm_endpoint=self.arm_endpoint,
                authority_host=self.authority_host,
                principal_id=self.principal_id,
                eligibility=not self.no_eligibility,
                concurrency=self.concurrency or 16,
                timeout=self.timeout,
            ),
            guests=GuestOptions(
                enabled=not self.no_guest,
                concurrency=self.concurrency or 32,
                accept_new_host_keys=self.accept_new_host_keys,
            ),
        )


@dataclass(frozen=True)
class RuleFlags:
    select: Annotated[
        list[str] | None,
        typer.Option(
            "--select",
            metavar="CODES",
            help="Run only these rules: codes or prefixes (ASR2, ASR301), comma-separated or "
            "repeated; replaces the plan's [rules] select.",
            rich_help_panel=RULES_PANEL,
        ),
    ] = None
    ignore: Annotated[
        list[str] | None,
        typer.Option(
            "--ignore",
            metavar="CODES",
            help="Leave these rules out entirely (not even as skip): codes or prefixes; added to "
            "the plan's [rules] ignore. The more specific of --select and --ignore wins.",
            rich_help_panel=RULES_PANEL,
        ),
    ] = None
    require_pack: Annotated[
        list[str] | None,
        typer.Option(
            "--require-pack",
            metavar="DIST",
            help="Exit 2 if this rule pack (distribution name) is not installed or fails to "
            "load (repeatable); added to the plan's [plugins] require.",
            rich_help_panel=RULES_PANEL,
        ),
    ] = None


FLAG_GROUPS = (ReportFlags, GateFlags, CollectFlags, RuleFlags)


def flag_groups(command: Callable[..., R]) -> Callable[..., R]:
    """Let Typer see each flag-group parameter of ``command`` as the group's own options, in the
    group's field order, where the group parameter stands; the command receives the dataclass."""
    hints = get_type_hints(command, include_extras=True)
    params: list[inspect.Parameter] = []
    groups: dict[str, type[Any]] = {}
    for param in inspect.signature(command).parameters.values():
        hint = hints.get(param.name, param.annotation)
        if isinstance(hint, type) and is_dataclass(hint) and hint in FLAG_GROUPS:
            groups[param.name] = hint
            group_hints = get_type_hints(hint, include_extras=True)
            params += [
                inspect.Parameter(
                    f.name,
                    inspect.Parameter.KEYWORD_ONLY,
                    default=f.default,
                    annotation=group_hints[f.name],
                )
                for f in fields(hint)
            ]
        else:
            kind = inspect.Parameter.KEYWORD_ONLY
            params.append(param.replace(kind=kind, annotation=hint))
    names = [p.name for p in params]
    if len(names) != len(set(names)):
        raise TypeError(f"{command.__name__}: an option name occurs twice: {names}")

    @functools.wraps(command)
    def run(**values: Any) -> R:
        for name, group in groups.items():
            values[name] = group(**{f.name: values.pop(f.name) for f in fields(group)})
        return command(**values)

    run.__signature__ = inspect.Signature(params, return_annotation=hints.get("return"))  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in params}
    del run.__wrapped__  # Typer must see the expanded signature
    return run
