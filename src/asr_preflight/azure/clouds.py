"""Azure clouds: each cloud's ARM endpoint, Entra ID authority and ARM token scope."""

from __future__ import annotations

from dataclasses import dataclass


class CloudError(ValueError):
    """An unknown cloud name, or a custom cloud without its endpoints (a usage error)."""


@dataclass(frozen=True)
class Cloud:
    name: str
    arm_endpoint: str  # https://management.azure.com (no trailing slash)
    authority_host: str  # https://login.microsoftonline.com
    custom: bool = False  # a custom authority: MSAL instance discovery is disabled

    @property
    def scope(self) -> str:
        """The token scope for ARM in this cloud."""
        return f"{self.arm_endpoint}/.default"


CLOUDS: dict[str, Cloud] = {
    "AzureCloud": Cloud(
        "AzureCloud", "https://management.azure.com", "https://login.microsoftonline.com"
    ),
    "AzureUSGovernment": Cloud(
        "AzureUSGovernment",
        "https://management.usgovcloudapi.net",
        "https://login.microsoftonline.us",
    ),
    "AzureChinaCloud": Cloud(
        "AzureChinaCloud", "https://management.chinacloudapi.cn", "https://login.chinacloudapi.cn"
    ),
}


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
    if key not in CLOUDS:
        raise CloudError(f"unknown cloud {key!r} (known: {', '.join(CLOUDS)}, custom)")
    return CLOUDS[key]
