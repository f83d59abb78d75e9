"""The plan file: the DESIGN.md example parses; every error names the key and its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from asr_preflight.plan import PlanError, load_plan, parse_plan

FULL = """\
[azure]
cloud = "AzureCloud"
subscriptions = ["11111111-1111-4111-8111-111111111111"]

[select]
resource_groups = ["prod-rg"]
vms = ["vm-web-01"]
tags = { dr = "true" }

[target]
region = "westus2"
subscription = "22222222-2222-4222-8222-222222222222"
resource_group = "prod-rg-asr"
vault = "/subscriptions/22222222-2222-4222-8222-222222222222/resourceGroups/rg-dr/providers/Microsoft.RecoveryServices/vaults/rv"
cache_storage_account = "/subscriptions/11111111-1111-4111-8111-111111111111/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/cache"
zone = "1"

[policy]
retention_hours = 24
app_consistent_frequency_hours = 4
auto_update = true

[[groups]]
name = "sap"
vms = ["vm-sap-app-01", "vm-sap-db-01"]

[guest]
address = "private"
connect_timeout_seconds = 10
probe_timeout_seconds = 5
[guest.linux]
user = "azureuser"
key_file = "~/.ssh/id_ed25519"
known_hosts = "~/.ssh/known_hosts"
[guest.windows]
user = "dradmin"
password_env = "ASR_PREFLIGHT_WINRM_PASSWORD"
transport = "ntlm"
[guest.hosts]
"vm-web-01" = "127.0.0.1:2201"
[guest.endpoints]
login = "login.microsoftonline.com:443"
storage = "mycache.blob.core.windows.net:443"
"""


def test_the_design_example_parses() -> None:
    plan = parse_plan(FULL)
    assert plan.target.region == "westus2"
    assert plan.target.zone == "1"
    assert plan.select.tags == {"dr": "true"}
    assert plan.groups[0].vms == ["vm-sap-app-01", "vm-sap-db-01"]
    assert plan.guest is not None and plan.guest.hosts["vm-web-01"] == "127.0.0.1:2201"
    assert plan.guest.windows is not None and plan.guest.windows.transport == "ntlm"
    assert plan.guest.endpoints.login == "login.microsoftonline.com:443"


def test_defaults_of_a_minimal_plan() -> None:
    plan = parse_plan('[target]\nregion = "westus2"\n')
    assert plan.azure.cloud == "AzureCloud"
    assert plan.policy.retention_hours == 24 and plan.policy.auto_update
    assert plan.guest is None and plan.groups == [] and plan.waivers == []


def _error(text: str) -> str:
    with pytest.raises(PlanError) as info:
        parse_plan(text, source="p.toml")
    return str(info.value)


@pytest.mark.parametrize(
    ("needle", "replacement", "expected"),
    [
        (
            'region = "westus2"',
            'regoin = "westus2"',
            "p.toml:11: [target] regoin: unknown key (did you mean 'region'?)",
        ),
        (
            "retention_hours = 24",
            "retention_hours = -1",
            "p.toml:19: [policy] retention_hours: Input should be greater than or equal to 0",
        ),
        (
            'cloud = "AzureCloud"',
            'cloud = "AzurePublic"',
            "p.toml:2: [azure] cloud: Input should be",
        ),
        (
            'transport = "ntlm"',
            'transport = "basic"',
            "p.toml:38: [guest.windows] transport: Input should be",
        ),
        ('zone = "1"', 'zone = "4"', "p.toml:16: [target] zone:"),
        (
            '"vm-web-01" = "127.0.0.1:2201"',
            '"vm-web-01" = 2201',
            "p.toml:40: [guest.hosts] vm-web-01: Input should be a valid string",
        ),
        (
            'login = "login',
            'logon = "login',
            "p.toml:42: [guest.endpoints] logon: unknown key (did you mean 'login'?)",
        ),
    ],
)
def test_errors_name_the_key_and_line(needle: str, replacement: str, expected: str) -> None:
    assert needle in FULL
    assert _error(FULL.replace(needle, replacement, 1)).startswith(expected)


def test_guest_linux_sudo_is_off_unless_the_plan_says_true() -> None:
    plan = parse_plan(FULL)
    assert plan.guest is not None and plan.guest.linux is not None
    assert plan.guest.linux.sudo is False
    known = 'known_hosts = "~/.ssh/known_hosts"'
    on = parse_plan(FULL.replace(known, known + "\nsudo = true", 1))
    assert on.guest is not None and on.guest.linux is not None and on.guest.linux.sudo is True
    # a string is not a boolean (no "yes" / "false" that would read as truthy)
    assert _error(FULL.replace(known, known + '\nsudo = "false"', 1)).startswith(
        "p.toml:35: [guest.linux] sudo: Input should be a valid boolean"
    )


def test_unknown_key_in_the_second_group_names_that_group() -> None:
    text = FULL + '\n[[groups]]\nname = "web"\nvmz = ["a"]\n'
    message = _error(text)
    assert message.startswith("p.toml:47: [groups[1]] vmz: unknown key (did you mean 'vms'?)"), (
        message
    )


def test_unknown_top_level_table() -> None:
    assert _error(FULL + "\n[targte]\nregion = 'x'\n").startswith("p.toml:45: targte: unknown key")


def test_missing_target_region() -> None:
    message = _error(
        '[target]\nvault = "/subscriptions/x/resourceGroups/r/providers/Microsoft.RecoveryServices/vaults/v"\n'
    )
    assert message == "p.toml:1: [target] region: required key is missing"


def test_subscription_must_be_a_guid() -> None:
    message = _error(FULL.replace('"11111111-1111-4111-8111-111111111111"]', '"prod-sub"]'))
    assert message.startswith("p.toml:3: [azure] subscriptions[0]") or message.startswith(
        "p.toml:3: [azure.subscriptions"
    )
    assert "pattern" in message


def test_vault_must_be_a_vault_resource_id() -> None:
    message = _error(
        FULL.replace("Microsoft.RecoveryServices/vaults/rv", "Microsoft.Storage/storageAccounts/rv")
    )
    assert message.startswith(
        "p.toml:14: [target] vault: must be a Recovery Services vault resource id"
    )


def test_vm_in_two_groups_is_an_error() -> None:
    message = _error(FULL + '\n[[groups]]\nname = "web"\nvms = ["VM-SAP-DB-01"]\n')
    assert "VM 'VM-SAP-DB-01' is in two groups ('sap' and 'web')" in message


def test_custom_cloud_needs_https_endpoints() -> None:
    base = '[azure]\ncloud = "custom"\n{extra}[target]\nregion = "westus2"\n'
    assert "needs arm_endpoint and authority_host" in _error(base.format(extra=""))
    plain = 'arm_endpoint = "http://127.0.0.1:1"\nauthority_host = "https://127.0.0.1:2"\n'
    assert "must be an https:// URL" in _error(base.format(extra=plain))
    good = 'arm_endpoint = "https://127.0.0.1:1"\nauthority_host = "https://127.0.0.1:2"\n'
    assert parse_plan(base.format(extra=good)).azure.arm_endpoint == "https://127.0.0.1:1"


def test_invalid_toml_gives_the_parsers_line() -> None:
    message = _error('[target]\nregion = "westus2\n')
    assert message.startswith("p.toml: not valid TOML:") and "line 2" in message


def test_load_plan_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "plan.toml"
    path.write_text('[target]\nregion = "westus2"\nextra = 1\n')
    with pytest.raises(PlanError, match=r"plan\.toml:3: \[target\] extra: unknown key"):
        load_plan(path)
    with pytest.raises(PlanError, match="cannot read plan file"):
        load_plan(tmp_path / "absent.toml")


COMPUTE = "/subscriptions/22222222-2222-4222-8222-222222222222/resourceGroups/rg-dr/providers/Microsoft.Compute"


def test_placement_and_encryption_set_keys() -> None:
    text = FULL.replace(
        'zone = "1"\n',
        f'zone = "1"\n'
        f'proximity_placement_group = "{COMPUTE}/proximityPlacementGroups/ppg-west"\n'
        f'availability_sets = {{ "{COMPUTE}/availabilitySets/a" = "{COMPUTE}/availabilitySets/b" }}\n'
        f'disk_encryption_sets = {{ "{COMPUTE}/diskEncryptionSets/x" = "{COMPUTE}/diskEncryptionSets/y" }}\n',
    )
    target = parse_plan(text).target
    assert target.proximity_placement_group == f"{COMPUTE}/proximityPlacementGroups/ppg-west"
    assert target.availability_sets == {
        f"{COMPUTE}/availabilitySets/a": f"{COMPUTE}/availabilitySets/b"
    }
    assert target.disk_encryption_sets[f"{COMPUTE}/diskEncryptionSets/x"].endswith("/y")
    assert parse_plan('[target]\nregion = "westus2"\n').target.availability_sets == {}


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            'proximity_placement_group = "ppg-west"',
            "plan.toml:17: [target] proximity_placement_group: must be a proximity placement "
            "group resource id (/subscriptions/…/proximityPlacementGroups/NAME), not 'ppg-west'",
        ),
        (
            f'availability_sets = {{ "{COMPUTE}/availabilitySets/a" = "avset-b" }}',
            "plan.toml:17: [target] availability_sets: value of "
            f"'{COMPUTE}/availabilitySets/a': must be an availability set resource id",
        ),
        (
            f'disk_encryption_sets = {{ "{COMPUTE}/disks/x" = "{COMPUTE}/diskEncryptionSets/y" }}',
            f"plan.toml:17: [target] disk_encryption_sets: key '{COMPUTE}/disks/x': must be a "
            "disk encryption set resource id",
        ),
        (
            f'availability_sets = {{ "{COMPUTE}/availabilitySets/a/extra" = "{COMPUTE}/availabilitySets/b" }}',
            "plan.toml:17: [target] availability_sets: key",
        ),
    ],
)
def test_placement_keys_name_the_key_and_line(line: str, expected: str) -> None:
    text = FULL.replace('zone = "1"\n', f'zone = "1"\n{line}\n')
    with pytest.raises(PlanError) as err:
        parse_plan(text)
    assert str(err.value).startswith(expected), str(err.value)


CACHE = "/subscriptions/11111111-1111-4111-8111-111111111111/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/c"


def test_cache_storage_per_source_region() -> None:
    plan = parse_plan(
        f'[target]\nregion = "westus2"\n'
        f'cache_storage_accounts = {{ eastus = "{CACHE}1", "Central US" = "{CACHE}2" }}\n'
    )
    assert plan.target.cache_account_for("eastus") == CACHE + "1"
    assert plan.target.cache_account_for("centralus") == CACHE + "2"  # region names normalised
    assert plan.target.cache_account_for("westus") is None
    assert plan.target.cache_account_ids() == [CACHE + "1", CACHE + "2"]
    single = parse_plan(f'[target]\nregion = "westus2"\ncache_storage_account = "{CACHE}"\n')
    assert single.target.cache_account_for("anywhere") == CACHE  # judged for every VM


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (
            'cache_storage_accounts = { eastus = "not-an-id" }',
            "p.toml:3: [target] cache_storage_accounts: must be a storage account resource id",
        ),
        (
            f'cache_storage_accounts = {{ "east-us" = "{CACHE}" }}',
            "p.toml:3: [target] cache_storage_accounts: 'east-us' is not a region name",
        ),
        (
            f'cache_storage_account = "{CACHE}"\ncache_storage_accounts = {{ eastus = "{CACHE}" }}',
            "p.toml:4: [target] cache_storage_accounts: name the cache storage either as",
        ),
    ],
)
def test_cache_storage_accounts_errors_name_key_and_line(lines: str, expected: str) -> None:
    assert _error(f'[target]\nregion = "westus2"\n{lines}\n').startswith(expected)


def test_private_dns_subscriptions_are_guids_named_by_key_and_line() -> None:
    good = '[azure]\nprivate_dns_subscriptions = ["33333333-3333-4333-8333-333333333333"]\n'
    target = '[target]\nregion = "westus2"\n'
    plan = parse_plan(good + target)
    assert plan.azure.private_dns_subscriptions == ["33333333-3333-4333-8333-333333333333"]
    bad = '[azure]\nsubscriptions = []\nprivate_dns_subscriptions = ["hub-connectivity"]\n'
    message = _error(bad + target)
    assert message.startswith("p.toml:3: [azure] private_dns_subscriptions"), message
