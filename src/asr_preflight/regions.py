"""Azure regions as Azure Site Recovery (Azure-to-Azure) sees them.

Which regions exist (programmatic name -> display name, cloud, geography), which are restricted
to in-country disaster recovery, and which source/target/vault combinations ASR refuses. Used by
rule ASR005 (region-pair-allowed); plain data and pure functions, no I/O.

Sources (published page = https://learn.microsoft.com/azure/<path without .md>):

* REGIONS: ``articles/reliability/regions-list.md`` (ms.date 2025-03-21): region, physical
  location, geography, access-restricted marker. Programmatic names are the display names in
  lower case without spaces (ARM ``location``), as ``az account list-locations`` prints them.
* SM: ``articles/site-recovery/azure-to-azure-support-matrix.md`` (ms.date 2025-06-13),
  section "Region support": the restricted regions reserved for in-country DR, Brazil South
  (source only, with its list of targets), Brazil Southeast (target only), New Zealand (no
  vault), "You can replicate and recover VMs between any two Azure regions in the world".
* JIO: earlier versions of SM ("geographic cluster" table): "Replication can't be done between
  JIO and non-JIO regions for Virtual Machines present in JIO subscriptions".
* SOV: earlier versions of SM and docs.azure.cn's support matrix: Azure Government and Azure
  China are clusters of their own; VMs cannot be replicated between clouds. In Azure China,
  China North is source-only and China East target-only.

A region name not in the table is reported as unknown (never assumed fine): the table is a
snapshot of the published list and new regions open every year.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Cloud = Literal["AzureCloud", "AzureUSGovernment", "AzureChinaCloud"]
IssueLevel = Literal["fail", "warn", "unknown"]


@dataclass(frozen=True)
class Region:
    name: str  # programmatic name: "eastus"
    display_name: str  # "East US"
    cloud: Cloud
    geography: str  # "United States", "Europe", "Brazil", …
    #: access-restricted region reserved for the in-country DR of this region (SM, REGIONS)
    reserved_for: str | None = None
    source_only: bool = False  # may not be a replication target (SM: Brazil South)
    target_only: bool = False  # may not be a replication source (SM: Brazil Southeast)
    vault_allowed: bool = True  # a Recovery Services vault can be created here (SM: New Zealand)
    jio: bool = False  # a JIO region (JIO)
    #: when set, the only regions this source may replicate to (SM: Brazil South)
    allowed_targets: frozenset[str] | None = None


def _r(
    name: str, display: str, geography: str, cloud: Cloud = "AzureCloud", **kw: object
) -> Region:
    return Region(name, display, cloud, geography, **kw)  # type: ignore[arg-type]


# SM: "For Brazil South, you can replicate and fail over to these regions: Brazil Southeast,
# South Central US, West Central US, East US, East US 2, West US, West US 2, and North Central US."
_BRAZIL_SOUTH_TARGETS = frozenset(
    {
        "brazilsoutheast",
        "southcentralus",
        "westcentralus",
        "eastus",
        "eastus2",
        "westus",
        "westus2",
        "northcentralus",
    }
)

_REGIONS: tuple[Region, ...] = (
    # -- Azure public cloud (REGIONS) ----------------------------------------------------------
    _r("australiacentral", "Australia Central", "Australia"),
    # REGIONS marks Australia Central 2 access-restricted (paired with Australia Central)
    _r("australiacentral2", "Australia Central 2", "Australia", reserved_for="australiacentral"),
    _r("australiaeast", "Australia East", "Australia"),
    _r("australiasoutheast", "Australia Southeast", "Australia"),
    _r("austriaeast", "Austria East", "Austria"),  # REGIONS: coming soon
    # SM: Brazil South is source-only, with a fixed list of targets
    _r(
        "brazilsouth",
        "Brazil South",
        "Brazil",
        source_only=True,
        allowed_targets=_BRAZIL_SOUTH_TARGETS,
    ),
    # SM: "Brazil Southeast for Brazil South customers"; "can only be used as a target region"
    _r(
        "brazilsoutheast",
        "Brazil Southeast",
        "Brazil",
        reserved_for="brazilsouth",
        target_only=True,
    ),
    _r("canadacentral", "Canada Central", "Canada"),
    _r("canadaeast", "Canada East", "Canada"),
    _r("centralindia", "Central India", "India"),
    _r("centralus", "Central US", "United States"),
    _r("eastasia", "East Asia", "Asia Pacific"),
    _r("eastus", "East US", "United States"),
    _r("eastus2", "East US 2", "United States"),
    _r("francecentral", "France Central", "France"),
    # SM: "France South reserved for France Central"
    _r("francesouth", "France South", "France", reserved_for="francecentral"),
    # SM: "Germany North for Germany West Central customers"
    _r("germanynorth", "Germany North", "Germany", reserved_for="germanywestcentral"),
    _r("germanywestcentral", "Germany West Central", "Germany"),
    _r("indonesiacentral", "Indonesia Central", "Indonesia"),  # REGIONS: coming soon
    _r("israelcentral", "Israel Central", "Israel"),
    _r("italynorth", "Italy North", "Italy"),
    _r("japaneast", "Japan East", "Japan"),
    _r("japanwest", "Japan West", "Japan"),
    # JIO regions (SM: "JIO India Central for JIO India West customers")
    _r("jioindiacentral", "JIO India Central", "India", reserved_for="jioindiawest", jio=True),
    _r("jioindiawest", "JIO India West", "India", jio=True),
    _r("koreacentral", "Korea Central", "Korea"),
    # REGIONS marks Korea South access-restricted (paired with Korea Central)
    _r("koreasouth", "Korea South", "Korea", reserved_for="koreacentral"),
    _r("mexicocentral", "Mexico Central", "Mexico"),
    # SM: "New Zealand is only supported as a source or target region … creating recovery
    # services vault isn't supported in New Zealand."
    _r("newzealandnorth", "New Zealand North", "New Zealand", vault_allowed=False),
    _r("northcentralus", "North Central US", "United States"),
    _r("northeurope", "North Europe", "Europe"),
    _r("norwayeast", "Norway East", "Norway"),
    # SM: "Norway West for Norway East customers"
    _r("norwaywest", "Norway West", "Norway", reserved_for="norwayeast"),
    _r("polandcentral", "Poland Central", "Poland"),
    _r("qatarcentral", "Qatar Central", "Qatar"),
    _r("southafricanorth", "South Africa North", "South Africa"),
    # SM: "South Africa West for South Africa North customers"
    _r("southafricawest", "South Africa West", "South Africa", reserved_for="southafricanorth"),
    _r("southcentralus", "South Central US", "United States"),
    _r("southindia", "South India", "India"),
    _r("southeastasia", "Southeast Asia", "Asia Pacific"),
    _r("spaincentral", "Spain Central", "Spain"),
    _r("swedencentral", "Sweden Central", "Sweden"),
    # REGIONS marks Sweden South access-restricted (paired with Sweden Central)
    _r("swedensouth", "Sweden South", "Sweden", reserved_for="swedencentral"),
    _r("switzerlandnorth", "Switzerland North", "Switzerland"),
    # SM: "Switzerland West reserved for Switzerland North"
    _r("switzerlandwest", "Switzerland West", "Switzerland", reserved_for="switzerlandnorth"),
    # SM: "UAE Central for UAE North customers"
    _r("uaecentral", "UAE Central", "UAE", reserved_for="uaenorth"),
    _r("uaenorth", "UAE North", "UAE"),
    _r("uksouth", "UK South", "United Kingdom"),
    _r("ukwest", "UK West", "United Kingdom"),
    _r("westcentralus", "West Central US", "United States"),
    _r("westeurope", "West Europe", "Europe"),
    _r("westindia", "West India", "India"),
    _r("westus", "West US", "United States"),
    _r("westus2", "West US 2", "United States"),
    _r("westus3", "West US 3", "United States"),
    # -- Azure Government (SOV; REG-012 cluster "Azure Government") ------------------------
    _r("usgovarizona", "US Gov Arizona", "US Government", "AzureUSGovernment"),
    _r("usgoviowa", "US Gov Iowa", "US Government", "AzureUSGovernment"),
    _r("usgovtexas", "US Gov Texas", "US Government", "AzureUSGovernment"),
    _r("usgovvirginia", "US Gov Virginia", "US Government", "AzureUSGovernment"),
    _r("usdodcentral", "US DoD Central", "US Government", "AzureUSGovernment"),
    _r("usdodeast", "US DoD East", "US Government", "AzureUSGovernment"),
    # -- Azure China (SOV: "China North source-only, China East target-only") -------------
    _r("chinaeast", "China East", "China", "AzureChinaCloud", target_only=True),
    _r("chinaeast2", "China East 2", "China", "AzureChinaCloud"),
    _r("chinaeast3", "China East 3", "China", "AzureChinaCloud"),
    _r("chinanorth", "China North", "China", "AzureChinaCloud", source_only=True),
    _r("chinanorth2", "China North 2", "China", "AzureChinaCloud"),
    _r("chinanorth3", "China North 3", "China", "AzureChinaCloud"),
)

REGIONS: dict[str, Region] = {r.name: r for r in _REGIONS}


def normalize(name: str | None) -> str:
    """ARM's programmatic form of a region name: ``"East US 2"`` -> ``"eastus2"`` (None -> "").

    The one region-name normaliser: collectors store locations this way, rules compare with it.
    """
    return "".join((name or "").split()).lower()


def lookup(name: str) -> Region | None:
    """The region called ``name`` (programmatic or display name), or None when not in the table."""
    return REGIONS.get(normalize(name))


def display(name: str) -> str:
    """``"East US (eastus)"`` for a known region, the name itself otherwise."""
    region = lookup(name)
    return f"{region.display_name} ({region.name})" if region else name


@dataclass(frozen=True)
class RegionIssue:
    level: IssueLevel
    message: str


def check_regions(
    source: str, target: str, vault: str | None = None, *, cloud: str | None = None
) -> list[RegionIssue]:
    """What ASR says about replicating from ``source`` to ``target`` with a vault in ``vault``.

    ``cloud`` is the plan's cloud (``AzureCloud``…); ``None`` or ``custom`` skips that test.
    An empty list means the combination is allowed. Zone-to-zone DR (source == target) is only
    checked for the cloud and the vault region.
    """
    issues: list[RegionIssue] = []
    named = {"source": source, "target": target}
    if vault is not None:
        named["vault"] = vault
    known: dict[str, Region] = {}
    for role, name in named.items():
        region = lookup(name)
        if region is None:
            issues.append(
                RegionIssue(
                    "unknown",
                    f"{role} region {name!r} is not in asr-preflight's region table "
                    "(a misspelling, or a region newer than this version)",
                )
            )
        else:
            known[role] = region
    clouds = {r.cloud for r in known.values()}
    if len(clouds) > 1:
        where = ", ".join(f"{role} {r.name} ({r.cloud})" for role, r in known.items())
        issues.append(RegionIssue("fail", f"regions are in different clouds: {where}"))
    if cloud not in (None, "custom"):
        for role, r in known.items():
            if r.cloud != cloud:
                issues.append(
                    RegionIssue(
                        "fail",
                        f"{role} region {r.name} is in {r.cloud}, the plan's cloud is {cloud}",
                    )
                )
    v = known.get("vault")
    if v is not None and not v.vault_allowed:
        issues.append(
            RegionIssue(
                "fail",
                f"a Recovery Services vault cannot be created in {v.display_name} ({v.name})",
            )
        )
    s, t = known.get("source"), known.get("target")
    if s is None or t is None or s.name == t.name:
        return issues
    if s.target_only:
        issues.append(RegionIssue("fail", f"{s.name} can only be a target region, not a source"))
    if t.source_only:
        issues.append(RegionIssue("fail", f"{t.name} can only be a source region, not a target"))
    if s.allowed_targets is not None and t.name not in s.allowed_targets:
        allowed = ", ".join(sorted(s.allowed_targets))
        issues.append(
            RegionIssue("fail", f"{s.name} can replicate only to {allowed}, not to {t.name}")
        )
    if s.jio != t.jio:
        issues.append(
            RegionIssue(
                "fail",
                f"replication between JIO and non-JIO regions ({s.name} -> {t.name}) "
                "is not supported",
            )
        )
    for role, r in (("source", s), ("target", t)):
        if r.reserved_for is not None:
            served = REGIONS.get(r.reserved_for)
            label = served.display_name if served else r.reserved_for
            issues.append(
                RegionIssue(
                    "warn",
                    f"{role} region {r.name} is access-restricted (reserved for in-country DR of "
                    f"{label}): both subscriptions must be allowlisted through a region "
                    "access request",
                )
            )
    return issues
