"""The plan ``asr-preflight init`` writes: a commented ``plan.toml`` from a read-only survey.

Everything init could decide is a key; everything it could not (which VMs, which cache account,
which vault when there are several, multi-VM groups) is a comment the administrator can turn
into a key. The file parses with :func:`asr_preflight.plan.parse_plan` as written, so ``check``
accepts it as is. Strings from Azure (names, tags) are escaped for TOML and stripped of control
characters in comments: the estate's strings are not trusted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from asr_preflight.azure.survey import Found, Survey, tag_values

#: Tags whose values name an application: the first present proposes the groups.
GROUP_TAGS = ("app", "application", "workload", "service")
#: ASR's multi-VM consistency group size (ASR008).
MAX_GROUP = 16

_Add = Callable[[str], None]  # ``lines.append``


@dataclass(frozen=True)
class InitRequest:
    target_region: str
    subscriptions: tuple[str, ...] = ()
    management_groups: tuple[str, ...] = ()
    cloud: str | None = None  # None: AzureCloud
    arm_endpoint: str | None = None
    authority_host: str | None = None
    group_tag: str | None = None  # None: the first of GROUP_TAGS the VMs carry
    written_at: str = ""


def toml_string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and every control character escaped; a lone
    surrogate (JSON can carry one, TOML and UTF-8 cannot) becomes U+FFFD."""
    out = ['"']
    for ch in text:
        if "\ud800" <= ch <= "\udfff":
            out.append("\ufffd")
        elif ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _safe(text: str) -> str:
    """Text for a comment: no control characters (a newline would end the comment)."""
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def _array(items: Iterable[str]) -> str:
    return "[" + ", ".join(toml_string(i) for i in items) + "]"


def render_plan(survey: Survey, request: InitRequest) -> str:
    region = request.target_region
    lines: list[str] = []
    add = lines.append
    add("# asr-preflight plan, written by `asr-preflight init` from a read-only survey of Azure")
    if request.written_at:
        add(f"# on {_safe(request.written_at)}.")
    add("# Every commented line is something init could not decide for you: review them, then")
    add("#   asr-preflight check --plan <this file>")
    for problem in survey.problems:
        add(f"# NOT READ: {_safe(problem)}")
    add("")
    _azure(add, survey, request)
    add("")
    _select(add, survey)
    add("")
    _target(add, survey, region)
    add("")
    add("# [policy]                            # the defaults ASR applies:")
    add("# retention_hours = 24")
    add("# app_consistent_frequency_hours = 4  # 0 = off")
    add("# auto_update = true")
    add("")
    _groups(add, survey, request.group_tag)
    add("")
    add("# [guest]                             # omit to skip in-guest checks (ASR3xx say skip)")
    add('# address = "private"                 # private | public IP of the primary NIC')
    add("# [guest.linux]")
    add('# user = "azureuser"')
    add('# key_file = "~/.ssh/id_ed25519"')
    add("# [guest.windows]")
    add('# user = "dradmin"')
    add('# password_env = "ASR_PREFLIGHT_WINRM_PASSWORD"')
    return "\n".join(lines) + "\n"


def _azure(add: _Add, survey: Survey, request: InitRequest) -> None:
    add("[azure]")
    if request.arm_endpoint or request.authority_host or request.cloud == "custom":
        add('cloud = "custom"')
        add(f"arm_endpoint = {toml_string(request.arm_endpoint or '')}")
        add(f"authority_host = {toml_string(request.authority_host or '')}")
    else:
        add(f"cloud = {toml_string(request.cloud or 'AzureCloud')}")
    if request.subscriptions:
        add(f"subscriptions = {_array(s.lower() for s in request.subscriptions)}")
    if request.management_groups:
        add(f"management_groups = {_array(request.management_groups)}")
        named = {s.lower() for s in request.subscriptions}
        under = [s for s in survey.subscriptions if s not in named]
        add(f"# under them today: {_safe(', '.join(under)) or 'no subscription'}")


def _select(add: _Add, survey: Survey) -> None:
    add("[select]                              # empty = every VM in the subscriptions")
    if not survey.vms:
        add("# no VM was found in the subscriptions")
        return
    add(f"# {len(survey.vms)} VM{'s' if len(survey.vms) != 1 else ''} found:")
    by_group: dict[tuple[str, str], list[Found]] = {}
    for vm in survey.vms:
        by_group.setdefault((vm.subscription, vm.resource_group), []).append(vm)
    for (sub, rg), vms in by_group.items():
        names = ", ".join(f"{vm.name} ({vm.location})" for vm in vms)
        add(f"#   {_safe(sub)} / {_safe(rg)}: {_safe(names)}")
    groups = list(dict.fromkeys(rg for _, rg in by_group))
    add(f"# resource_groups = {_safe(_array(groups))}")
    add(f"# vms = {_safe(_array(vm.name for vm in survey.vms[:3]))}   # names or resource ids")
    add('# tags = { dr = "true" }')


def _target(add: _Add, survey: Survey, region: str) -> None:
    add("[target]")
    add(f"region = {toml_string(region)}")
    sources = sorted({vm.location for vm in survey.vms})
    if region in sources:
        add(f"# NOTE: VMs found in {region} itself; ASR needs a different target region (ASR002)")
    shown = _safe(", ".join(sources))
    add('# subscription = "<id>"               # default: each VM\'s own subscription')
    add('# resource_group = "<name>"           # default: "<source rg>-asr", created by ASR')
    vaults = [v for v in survey.vaults if v.location == region]
    if len(vaults) == 1:
        add(f"vault = {toml_string(vaults[0].id)}")
        add(f"# the only Recovery Services vault found in {region}")
    elif vaults:
        add(f"# {len(vaults)} Recovery Services vaults found in {region}; choose one:")
        for vault in vaults:
            add(f"# vault = {_safe(toml_string(vault.id))}")
    else:
        elsewhere = _safe(", ".join(sorted({v.location for v in survey.vaults}))) or "none anywhere"
        add(f'# vault = "<id>"  # no Recovery Services vault found in {region} ({elsewhere});')
        add("#                   # create one there, then name it (ASR401 is unknown without)")
    candidates = [
        s
        for s in survey.storage_accounts
        if s.location in sources and (s.kind or "").lower() in ("storagev2", "blockblobstorage")
    ]
    if candidates:
        add("# cache storage: ASR creates one per source region when none is named; or choose")
        add("# an existing account in the VMs' region (general-purpose v2, same subscription):")
        for account in candidates:
            line = f"# cache_storage_account = {toml_string(account.id)}  # {account.location}"
            add(_safe(line))
    else:
        add(
            '# cache_storage_account = "<id>"   # none found in the source regions '
            f"({shown or 'none'}): ASR creates one"
        )
    add('# zone = "1"')


def _groups(add: _Add, survey: Survey, group_tag: str | None) -> None:
    keys = [group_tag] if group_tag else list(GROUP_TAGS)
    key = next((k for k in keys if tag_values(survey.vms, k)), None)
    if key is None:
        add("# [[groups]]                          # multi-VM consistency groups: none proposed")
        add(f'# name = "<group>"                   # (no VM carries a tag {" / ".join(keys)})')
        add('# vms = ["<vm>", "<vm>"]')
        return
    names = Counter(vm.name.lower() for vm in survey.vms)
    proposed = [
        (value, vms)
        for value, vms in sorted(tag_values(survey.vms, key).items())
        if 2 <= len(vms) <= MAX_GROUP
    ]
    add(f"# Multi-VM consistency groups proposed from the tag {_safe(toml_string(key))} (2 to")
    add(f"# {MAX_GROUP} VMs sharing a value). Uncomment the ones that must recover consistently:")
    if not proposed:
        add("# (no value of that tag is shared by 2 to 16 VMs)")
    for value, vms in proposed:
        refs = _refs(vms, names)
        add("# [[groups]]")
        add(f"# name = {_safe(toml_string(value))}")
        add(f"# vms = {_safe(_array(refs))}")


def _refs(vms: Sequence[Found], names: Counter[str]) -> list[str]:
    """VM names, or ids where a name is not unique in the survey."""
    return [vm.name if names[vm.name.lower()] == 1 else vm.id for vm in vms]
