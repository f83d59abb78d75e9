"""``asr-preflight init``: survey an estate (read-only) and write a commented plan.toml.

Registered on the main Typer app by :func:`register`. The survey is
:func:`asr_preflight.azure.survey.survey_azure`; the file,
:func:`asr_preflight.init_plan.render_plan`.
"""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from asr_preflight.cli_errors import UsageProblem
from asr_preflight.cli_help import Command
from asr_preflight.cli_options import CloudName


def init(
    subscription: Annotated[
        list[str] | None,
        typer.Option(
            "--subscription", metavar="ID", help="A subscription holding source VMs (repeatable)."
        ),
    ] = None,
    management_group: Annotated[
        list[str] | None,
        typer.Option(
            "--management-group",
            metavar="MG",
            help="Every subscription under this management group, too (repeatable).",
        ),
    ] = None,
    target_region: Annotated[
        str,
        typer.Option("--target-region", metavar="REGION", help="Where to replicate to."),
    ] = "",
    out: Annotated[Path, typer.Option("--out", help="The plan file to write.")] = Path("plan.toml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    group_tag: Annotated[
        str | None,
        typer.Option(
            "--group-tag",
            metavar="KEY",
            help="Propose multi-VM groups from this tag (default: app, application, workload "
            "or service).",
        ),
    ] = None,
    cloud: Annotated[
        CloudName | None,
        typer.Option(
            "--cloud",
            metavar="CLOUD",
            help="AzureCloud, AzureUSGovernment, AzureChinaCloud or custom (with --arm-endpoint"
            " and --authority-host).",
        ),
    ] = None,
    arm_endpoint: Annotated[
        str | None, typer.Option("--arm-endpoint", metavar="URL", help="Custom cloud ARM.")
    ] = None,
    authority_host: Annotated[
        str | None,
        typer.Option("--authority-host", metavar="URL", help="Custom cloud authority."),
    ] = None,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, metavar="N", help="Parallel ARM requests.")
    ] = 16,
) -> int:
    """Read the estate (read-only) and write a commented plan that `check` accepts as is."""
    from asr_preflight import fsutil
    from asr_preflight.azure.survey import survey_azure
    from asr_preflight.init_plan import InitRequest, render_plan
    from asr_preflight.options import AzureOptions
    from asr_preflight.plan import GUID, MANAGEMENT_GROUP, REGION, parse_plan
    from asr_preflight.printable import printable

    subs = tuple(subscription or ())
    groups = tuple(management_group or ())
    if not target_region:
        raise UsageProblem("init needs --target-region REGION (e.g. westus2)")
    if not re.fullmatch(REGION, target_region):
        raise UsageProblem(f"--target-region {target_region!r}: a region code such as westus2")
    if not subs and not groups:
        raise UsageProblem("init needs --subscription ID or --management-group MG")
    for sub in subs:
        if not re.fullmatch(GUID, sub):
            raise UsageProblem(f"--subscription {sub!r}: not a subscription id (a GUID)")
    for group in groups:
        if not re.fullmatch(MANAGEMENT_GROUP, group):
            raise UsageProblem(f"--management-group {group!r}: not a management group id")
    if out.exists() and not force:
        raise UsageProblem(f"{out} exists; pass --force to overwrite it")
    fsutil.ensure_writable_dir(out.parent)  # before surveying, not after
    options = AzureOptions(
        cloud=cloud.value if cloud is not None else None,
        arm_endpoint=arm_endpoint,
        authority_host=authority_host,
        concurrency=concurrency,
    )
    found = survey_azure(subs, groups, options)
    request = InitRequest(
        target_region=target_region,
        subscriptions=subs,
        management_groups=groups,
        cloud=options.cloud,
        arm_endpoint=arm_endpoint,
        authority_host=authority_host,
        group_tag=group_tag,
        written_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
    text = render_plan(found, request)
    parse_plan(text, source=str(out))  # never write a plan `check` would refuse
    try:  # re-checked when the file is put in place: one created meanwhile is kept
        fsutil.write_text(out, text, overwrite=force)
    except FileExistsError:
        raise UsageProblem(
            f"{out} was created while the estate was surveyed; it was left as it is: pass"
            " --force to overwrite it, or choose another --out"
        ) from None
    vaults = sum(1 for v in found.vaults if v.location == target_region)
    sys.stdout.write(
        f"wrote {out}: {len(found.vms)} VMs in {len(found.subscriptions)} subscription"
        f"{'' if len(found.subscriptions) == 1 else 's'}, {vaults} vault"
        f"{'' if vaults == 1 else 's'} in {target_region}; review its comments, then "
        f"`asr-preflight check --plan {out}`\n"
    )
    for problem in found.problems:  # ARM's error text: escaped for the terminal
        sys.stderr.write(f"warning: {printable(problem)}\n")
    return 0


def register(app: typer.Typer) -> None:
    """Add ``init`` to the main CLI app."""
    app.command("init", cls=Command)(init)
