"""The plan file: what the administrator intends to protect, and where to.

The TOML contract is fixed in DESIGN.md §3. Validation is strict: an unknown key is an error (a
typo must never silently switch a check off), and every error names the key and its line:

    plan.toml:7: [target] regoin: unknown key (did you mean 'region'?)
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from asr_preflight.fsutil import load_input

GUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
REGION = r"^[a-z][a-z0-9]*$"
MANAGEMENT_GROUP = r"^[A-Za-z0-9_().-]{1,90}$"  # a management group id (ARM's naming rules)
Cloud = Literal["AzureCloud", "AzureUSGovernment", "AzureChinaCloud", "custom"]


class PlanError(ValueError):
    """A plan file that cannot be used. The message names the file, line and key."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AzureSection(_Section):
    cloud: Cloud = "AzureCloud"
    arm_endpoint: str | None = None
    authority_host: str | None = None
    subscriptions: list[Annotated[str, Field(pattern=GUID)]] = []
    # every subscription under these management groups (ids, as in the portal), too
    management_groups: list[Annotated[str, Field(pattern=MANAGEMENT_GROUP)]] = []
    # where the Site Recovery private DNS zones are also looked for (ASR010): a hub-and-spoke
    # landing zone keeps them in a connectivity subscription the plan does not otherwise name
    private_dns_subscriptions: list[Annotated[str, Field(pattern=GUID)]] = []

    @model_validator(mode="after")
    def _custom_cloud_has_endpoints(self) -> AzureSection:
        if self.cloud == "custom" and not (self.arm_endpoint and self.authority_host):
            raise ValueError('cloud = "custom" needs arm_endpoint and authority_host')
        for url in (self.arm_endpoint, self.authority_host):
            if url is not None and not url.startswith("https://"):
                raise ValueError(f"{url!r} must be an https:// URL")
        return self


class SelectSection(_Section):
    resource_groups: list[str] = []
    vms: list[str] = []
    tags: dict[str, str] = {}


class TargetSection(_Section):
    region: Annotated[str, Field(pattern=REGION)]
    subscription: Annotated[str, Field(pattern=GUID)] | None = None
    resource_group: str | None = None
    vault: str | None = None
    cache_storage_account: str | None = None  # one source region
    cache_storage_accounts: dict[str, str] = {}  # source region -> storage account id
    zone: Literal["1", "2", "3"] | None = None
    sizes: dict[str, str] = {}  # VM name -> pinned target size
    proximity_placement_group: str | None = None  # target PPG id
    availability_sets: dict[str, str] = {}  # source availability set id -> target set id
    disk_encryption_sets: dict[str, str] = {}  # source DES id -> target DES id (CMK disks)

    @field_validator("vault")
    @classmethod
    def _vault_is_an_id(cls, value: str | None) -> str | None:
        if (
            value is not None
            and "/providers/microsoft.recoveryservices/vaults/" not in value.lower()
        ):
            raise ValueError(
                "must be a Recovery Services vault resource id (/subscriptions/…/vaults/NAME)"
            )
        return value

    @field_validator("cache_storage_account")
    @classmethod
    def _storage_is_an_id(cls, value: str | None) -> str | None:
        if (
            value is not None
            and "/providers/microsoft.storage/storageaccounts/" not in value.lower()
        ):
            raise ValueError(
                "must be a storage account resource id (/subscriptions/…/storageAccounts/NAME)"
            )
        return value

    @field_validator("proximity_placement_group")
    @classmethod
    def _ppg_is_an_id(cls, value: str | None) -> str | None:
        if value is not None:
            _require_id(value, _PPG, "a proximity placement group")
        return value

    @field_validator("availability_sets")
    @classmethod
    def _sets_are_ids(cls, value: dict[str, str]) -> dict[str, str]:
        for source, target in value.items():
            _require_id(source, _AVSET, "an availability set", f"key {source!r}")
            _require_id(target, _AVSET, "an availability set", f"value of {source!r}")
        return value

    @field_validator("disk_encryption_sets")
    @classmethod
    def _encryption_sets_are_ids(cls, value: dict[str, str]) -> dict[str, str]:
        for source, target in value.items():
            _require_id(source, _DES, "a disk encryption set", f"key {source!r}")
            _require_id(target, _DES, "a disk encryption set", f"value of {source!r}")
        return value

    @field_validator("cache_storage_accounts")
    @classmethod
    def _storage_per_region(cls, value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        if value and info.data.get("cache_storage_account"):
            raise ValueError(
                "name the cache storage either as cache_storage_account (one source region) or"
                " as cache_storage_accounts = { region = id }, not both"
            )
        out: dict[str, str] = {}
        for region, account in value.items():
            key = region.replace(" ", "").lower()
            if not re.fullmatch(REGION, key):
                raise ValueError(f"{region!r} is not a region name (e.g. eastus)")
            if key in out:
                raise ValueError(f"region {key!r} is named twice")
            cls._storage_is_an_id(account)
            out[key] = account
        return out

    def cache_account_for(self, region: str) -> str | None:
        """The cache storage account the plan names for VMs in ``region``: the per-region entry,
        else the single ``cache_storage_account`` (whatever its region), else None."""
        if self.cache_storage_accounts:
            return self.cache_storage_accounts.get(region.replace(" ", "").lower())
        return self.cache_storage_account

    def cache_account_ids(self) -> list[str]:
        """Every cache storage account the plan names."""
        if self.cache_storage_account:
            return [self.cache_storage_account]
        return list(dict.fromkeys(self.cache_storage_accounts.values()))


_PPG = "/providers/Microsoft.Compute/proximityPlacementGroups/"
_AVSET = "/providers/Microsoft.Compute/availabilitySets/"
_DES = "/providers/Microsoft.Compute/diskEncryptionSets/"


def _require_id(value: str, marker: str, what: str, where: str = "") -> None:
    """A resource id of the given type: ``/subscriptions/…/providers/Microsoft.Compute/…/NAME``."""
    lower, wanted = value.lower(), marker.lower()
    name = lower.split(wanted, 1)[1] if wanted in lower else ""
    if not lower.startswith("/subscriptions/") or not name or "/" in name.strip("/"):
        kind = marker.strip("/").rsplit("/", 1)[-1]
        prefix = f"{where}: " if where else ""
        raise ValueError(
            f"{prefix}must be {what} resource id (/subscriptions/…/{kind}/NAME), not {value!r}"
        )


class PolicySection(_Section):
    retention_hours: Annotated[int, Field(ge=0)] = 24
    app_consistent_frequency_hours: Annotated[int, Field(ge=0)] = 4  # 0 = off
    auto_update: bool = True


class Group(_Section):
    name: Annotated[str, Field(min_length=1)]
    vms: Annotated[list[str], Field(min_length=1)]


class GuestLinux(_Section):
    user: str = "azureuser"
    port: Annotated[int, Field(ge=1, le=65535)] = 22
    key_file: str | None = None
    password_env: str | None = None  # name of the environment variable holding the password
    known_hosts: str = "~/.ssh/known_hosts"
    jump_host: str | None = None  # user@host[:port]
    # run `sudo -n lvs` (ASR312) when the user is not root; off by default: a refused sudo logs
    # a failed authentication and writes its timestamp file in the guest
    sudo: StrictBool = False


class GuestWindows(_Section):
    user: str = "dradmin"
    password_env: str | None = None
    transport: Literal["ntlm", "kerberos", "credssp", "certificate"] = "ntlm"
    port: Annotated[int, Field(ge=1, le=65535)] | None = None  # default 5986 (https) / 5985 (http)
    scheme: Literal["https", "http"] = "https"  # http only with message encryption
    ca_bundle: str | None = None
    cert_pem: str | None = None  # transport = "certificate"
    cert_key_pem: str | None = None


class GuestEndpoints(_Section):
    login: str | None = None
    storage: str | None = None
    site_recovery: str | None = None
    service_bus: str | None = None


class GuestSection(_Section):
    address: Literal["private", "public"] = "private"
    connect_timeout_seconds: Annotated[float, Field(gt=0)] = 10
    probe_timeout_seconds: Annotated[float, Field(gt=0)] = 5
    budget_seconds: Annotated[float, Field(gt=0)] = 60  # the whole of one host's probing
    linux: GuestLinux | None = None
    windows: GuestWindows | None = None
    hosts: dict[str, str] = {}
    endpoints: GuestEndpoints = GuestEndpoints()


class Waiver(_Section):
    rule: Annotated[str, Field(min_length=1)]
    target: Annotated[str, Field(min_length=1)]
    justification: Annotated[str, Field(min_length=1)]
    owner: Annotated[str, Field(min_length=1)]
    expires: date


PACK_NAME = r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$"
SELECTOR = r"^([A-Za-z]{1,6}[0-9]{0,3}|ALL|all)$"


def normalize_pack(name: str) -> str:
    """A distribution name as packaging compares them (PEP 503): ``Contoso_ASR`` ->
    ``contoso-asr``."""
    return re.sub(r"[-_.]+", "-", name).lower()


class PluginsSection(_Section):
    """``[plugins]``: which rule packs must load, which are off, and each pack's own table.

    ``[plugins.<distribution>]`` tables are the packs' settings (``RuleContext.settings()``);
    their content is the pack's to validate, only their shape (a table) is checked here."""

    model_config = ConfigDict(extra="allow", frozen=True)

    require: list[Annotated[str, Field(pattern=PACK_NAME)]] = []
    disable: list[Annotated[str, Field(pattern=PACK_NAME)]] = []

    @model_validator(mode="after")
    def _pack_tables(self) -> PluginsSection:
        for name, value in (self.model_extra or {}).items():
            if not re.fullmatch(PACK_NAME, name):
                raise ValueError(f"{name!r} is not a distribution name")
            if not isinstance(value, dict):
                raise ValueError(
                    f"{name!r} is neither require nor disable, nor a [plugins.{name}] table of "
                    "a pack's settings"
                )
        return self

    def settings(self, pack: str) -> dict[str, Any]:
        """The ``[plugins.<pack>]`` table (names compared as PEP 503 normalises them)."""
        wanted = normalize_pack(pack)
        for name, value in (self.model_extra or {}).items():
            if normalize_pack(name) == wanted and isinstance(value, dict):
                return value
        return {}


class RulesSection(_Section):
    """``[rules]``: which rules run, as codes or prefixes (``ASR2``, ``ASR301``), ruff-style."""

    select: list[str] = []  # empty = every rule
    ignore: list[str] = []

    @field_validator("select", "ignore")
    @classmethod
    def _selectors(cls, value: list[str]) -> list[str]:
        for item in value:
            if not re.fullmatch(SELECTOR, item):
                raise ValueError(f"{item!r} is not a rule code or prefix (e.g. ASR2, ASR301, ALL)")
        return [item.upper() for item in value]


class Plan(_Section):
    azure: AzureSection = AzureSection()
    select: SelectSection = SelectSection()
    target: TargetSection
    policy: PolicySection = PolicySection()
    groups: list[Group] = []
    guest: GuestSection | None = None
    waivers: list[Waiver] = []
    rules: RulesSection = RulesSection()
    plugins: PluginsSection = PluginsSection()

    @model_validator(mode="after")
    def _groups_are_distinct(self) -> Plan:
        seen: dict[str, str] = {}
        for group in self.groups:
            for vm in group.vms:
                key = vm.lower()
                if key in seen and seen[key] != group.name:
                    raise ValueError(
                        f"VM {vm!r} is in two groups ({seen[key]!r} and {group.name!r})"
                    )
                seen[key] = group.name
        return self


# ---------------------------------------------------------------------------------------------
# Loading, with errors that name the key and the line
# ---------------------------------------------------------------------------------------------


def load_plan(path: Path) -> Plan:
    return load_input(path, "plan file", PlanError, parse_plan)


def parse_plan(text: str, source: str = "plan.toml") -> Plan:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PlanError(f"{source}: not valid TOML: {exc}") from None
    try:
        return Plan.model_validate(data)
    except ValidationError as exc:
        raise PlanError(_describe(exc, text, source, data)) from None


def _describe(exc: ValidationError, text: str, source: str, data: dict[str, Any]) -> str:
    errors = exc.errors()
    typos = [e for e in errors if e["type"] == "extra_forbidden"]
    err = (typos or errors)[0]  # an unknown key usually explains the rest
    loc: tuple[str | int, ...] = tuple(err["loc"])
    line = locate(text, loc)
    where = f"{source}:{line}" if line else source
    key = _key_name(loc)
    if err["type"] == "extra_forbidden":
        hint = _did_you_mean(loc, data)
        return f"{where}: {key}: unknown key{hint}"
    if err["type"] == "missing":
        return f"{where}: {key}: required key is missing"
    msg = str(err["msg"]).removeprefix("Value error, ")
    return f"{where}: {key}: {msg}"


def _key_name(loc: Sequence[str | int]) -> str:
    tables: list[str] = []
    for part in loc:
        if isinstance(part, int):
            tables[-1] = f"{tables[-1]}[{part}]" if tables else f"[{part}]"
        else:
            tables.append(part)
    if len(tables) <= 1:
        return tables[0] if tables else "(plan)"
    return f"[{'.'.join(tables[:-1])}] {tables[-1]}"


def _did_you_mean(loc: Sequence[str | int], data: dict[str, Any]) -> str:
    model: Any = Plan
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if hasattr(model, "model_fields") else None
        if field is None:
            return ""
        model = _inner_model(field.annotation)
        if model is None:
            return ""
    names = list(getattr(model, "model_fields", {}))
    close = difflib.get_close_matches(str(loc[-1]), names, n=1)
    return f" (did you mean {close[0]!r}?)" if close else f" (known keys: {', '.join(names)})"


def _inner_model(annotation: Any) -> Any:
    import typing

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_.-]+)\s*=""")


def locate(text: str, loc: Sequence[str | int]) -> int | None:
    """The 1-based line of the key at ``loc`` (pydantic's error location), or of its table.

    A small scanner over the TOML text, enough for the plan's shape: tables, arrays of tables
    (``[[groups]]``), dotted table names and inline tables on one line.
    """
    keys = list(loc)
    best: int | None = None
    best_len = 0
    array_counts: dict[str, int] = {}
    current: list[str | int] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        header = _HEADER.match(line)
        if header:
            names: list[str | int] = [n.strip().strip("\"'") for n in header.group(2).split(".")]
            if header.group(1) == "[[":
                dotted = ".".join(str(n) for n in names)
                index = array_counts.get(dotted, -1) + 1
                array_counts[dotted] = index
                names = [*names, index]
            current = names
            if keys[: len(current)] == current and len(current) >= best_len:
                best, best_len = number, len(current)
            continue
        key = _KEY.match(line)
        if key:
            name = key.group(1).strip("\"'")
            full: list[str | int] = [*current, *name.split(".")]
            if full == keys[: len(full)]:
                return number
    return best
