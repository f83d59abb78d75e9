"""Azure clouds: each cloud's ARM endpoint, Entra ID authority and ARM token scope.

The three Microsoft clouds come from the Azure libraries, not from a table of ours: the ARM
endpoint and token scope from azure-mgmt-core's ``get_arm_endpoints`` (the values every azure-mgmt
client uses), the authority host from azure-identity's ``AzureAuthorityHosts``. Note that the US
Government token audience is ``https://management.core.usgovcloudapi.net/``, not the ARM endpoint
(``https://management.usgovcloudapi.net``): the scope is the library's, never derived from the
endpoint. A custom cloud (Azure Stack Hub, a private cloud, a test double) has no library entry;
its scope is its ARM endpoint plus ``/.default``, as ARM's metadata endpoint documents for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class CloudError(ValueError):
    """An unknown cloud name, or a custom cloud without its endpoints (a usage error)."""


@dataclass(frozen=True)
class Cloud:
    name: str
    arm_endpoint: str  # https://management.azure.com (no trailing slash)
    authority_host: str  # https://login.microsoftonline.com
    custom: bool = False  # a custom authority: MSAL instance discovery is disabled
    scope_override: str | None = field(default=None, repr=False)

    @property
    def scope(self) -> str:
        """The token scope for ARM in this cloud (the library's for a Microsoft cloud)."""
        return self.scope_override or f"{self.arm_endpoint}/.default"


#: Our cloud names (the Azure CLI's) -> (azure-core AzureClouds member, AzureAuthorityHosts name).
NAMES: dict[str, tuple[str, str]] = {
    "AzureCloud": ("AZURE_PUBLIC_CLOUD", "AZURE_PUBLIC_CLOUD"),
    "AzureUSGovernment": ("AZURE_US_GOVERNMENT", "AZURE_GOVERNMENT"),
    "AzureChinaCloud": ("AZURE_CHINA_CLOUD", "AZURE_CHINA"),
}


def known_cloud(name: str) -> Cloud:
    """A Microsoft cloud, with its endpoints from azure-mgmt-core and azure-identity."""
    from azure.core import AzureClouds
    from azure.identity import AzureAuthorityHosts
    from azure.mgmt.core.tools import get_arm_endpoints

    setting, authority = NAMES[name]
    endpoints = get_arm_endpoints(AzureClouds[setting])
    host = str(getattr(AzureAuthorityHosts, authority))
    return Cloud(
        name,
        str(endpoints["resource_manager"]).rstrip("/"),
        host if host.startswith("https://") else f"https://{host}",
        scope_override=str(endpoints["credential_scopes"][0]),
    )


def resolve_cloud(
    name: str | None, arm_endpoint: str | None = None, authority_host: str | None = None
) -> Cloud:
    """The cloud to talk to. Endpoints given explicitly make it a custom cloud (Azure Stack Hub,
    a private cloud, or a test double); ``name`` may then be ``None`` or ``"custom"``."""
    if arm_endpoint or authority_host or name == "custom":
        if not (arm_endpoint and authority_host):
            raise CloudError("a custom cloud needs both --arm-endpoint and --authority-host")
        for url in (arm_endpoint, authority_host):
            if not url.startswith("https://"):
                raise CloudError(f"{url!r} must be an https:// URL")
        return Cloud("custom", arm_endpoint.rstrip("/"), authority_host.rstrip("/"), custom=True)
    key = name or "AzureCloud"
    if key not in NAMES:
        raise CloudError(f"unknown cloud {key!r} (known: {', '.join(NAMES)}, custom)")
    return known_cloud(key)
