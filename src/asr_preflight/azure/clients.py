"""One management client per (service, subscription), all sharing one credential, one HTTP
session, the read-only policy, the api-version policy (every call's version from
api_versions.PINS) and the bounds of :mod:`guard` (ARM's host only, timeouts inside the
collection's deadline, capped Retry-After, bounded answers); with a recorder, every final ARM
response is recorded too (recording.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from asr_preflight.azure.api_versions import ApiVersionPolicy
from asr_preflight.azure.clouds import Cloud
from asr_preflight.azure.guard import (
    ARM_ENDPOINT_ATTR,
    CONNECT_TIMEOUT,
    READ_TIMEOUT,
    RETRY_TOTAL,
    BoundedAdapter,
    BoundedRetryPolicy,
    Deadline,
    GuardPolicy,
)
from asr_preflight.azure.readonly import ReadOnlyPolicy


class Clients:
    def __init__(
        self,
        credential: Any,
        cloud: Cloud,
        *,
        pool_size: int = 16,
        retry_total: int | None = None,
        read_timeout: float | None = None,
        connect_timeout: float | None = None,
        deadline: Deadline | None = None,
        per_call_policies: list[Any] | None = None,
    ) -> None:
        import requests
        from azure.core.pipeline.transport import RequestsTransport

        self.credential = credential
        self.cloud = cloud
        self._session = requests.Session()
        self.deadline = deadline or Deadline(None)
        adapter = BoundedAdapter(self.deadline, pool_connections=4, pool_maxsize=pool_size + 4)
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)
        transport_kwargs: dict[str, Any] = {"session": self._session, "session_owner": False}
        self._read_timeout = read_timeout if read_timeout is not None else READ_TIMEOUT
        self._connect_timeout = connect_timeout if connect_timeout is not None else CONNECT_TIMEOUT
        transport_kwargs["read_timeout"] = self._read_timeout
        transport_kwargs["connection_timeout"] = self._connect_timeout
        self._transport = RequestsTransport(**transport_kwargs)
        self._retry_total = retry_total if retry_total is not None else RETRY_TOTAL
        # first in every pipeline: they see each request once (before retries) and its final answer
        self._per_call = [ApiVersionPolicy(), *(per_call_policies or ())]
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str], Any] = {}

    def _kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "base_url": self.cloud.arm_endpoint,
            "credential_scopes": [self.cloud.scope],
            "per_call_policies": list(self._per_call),
            "per_retry_policies": [
                ReadOnlyPolicy(),
                GuardPolicy(
                    self.cloud.arm_endpoint,
                    self.deadline,
                    connect_timeout=self._connect_timeout,
                    read_timeout=self._read_timeout,
                ),
            ],
            "retry_policy": BoundedRetryPolicy(self.deadline, retry_total=self._retry_total),
            "transport": self._transport,
        }
        return kwargs

    def _get(self, service: str, subscription: str, factory: Callable[[], Any]) -> Any:
        key = (service, subscription.lower())
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = factory()
                setattr(client, ARM_ENDPOINT_ATTR, self.cloud.arm_endpoint)  # for raw.list_all
                self._clients[key] = client
            return client

    def compute(self, subscription: str) -> Any:
        from azure.mgmt.compute import ComputeManagementClient

        return self._get(
            "compute",
            subscription,
            lambda: ComputeManagementClient(self.credential, subscription, **self._kwargs()),
        )

    def network(self, subscription: str) -> Any:
        from azure.mgmt.network import NetworkManagementClient

        return self._get(
            "network",
            subscription,
            lambda: NetworkManagementClient(self.credential, subscription, **self._kwargs()),
        )

    def raw(self, subscription: str) -> Any:
        """The client whose pipeline carries raw.py's hand-built GETs (``list_all``/``get_json``)
        of resources that are not its own (locks, key vaults, management groups, vaults, network
        mappings, storage accounts): azure-mgmt-network's, which has a public ``send_request`` at
        its floor. Same credential, session and policies as every client; the clients of
        azure-mgmt-resource 23 and azure-mgmt-storage 21 (multi-API), azure-mgmt-recoveryservices 3
        and azure-mgmt-authorization (every version up to 4.0) have no public ``send_request``."""
        return self.network(subscription)

    def authorization(self, subscription: str) -> Any:
        from azure.mgmt.authorization import AuthorizationManagementClient

        return self._get(
            "authorization",
            subscription,
            lambda: AuthorizationManagementClient(self.credential, subscription, **self._kwargs()),
        )

    def recovery_services(self, subscription: str) -> Any:
        from azure.mgmt.recoveryservices import RecoveryServicesClient

        return self._get(
            "recoveryservices",
            subscription,
            lambda: RecoveryServicesClient(self.credential, subscription, **self._kwargs()),
        )

    def site_recovery(self, subscription: str) -> Any:
        from azure.mgmt.recoveryservicessiterecovery import SiteRecoveryManagementClient

        return self._get(
            "siterecovery",
            subscription,
            lambda: SiteRecoveryManagementClient(self.credential, subscription, **self._kwargs()),
        )

    def storage(self, subscription: str) -> Any:
        from azure.mgmt.storage import StorageManagementClient

        return self._get(
            "storage",
            subscription,
            lambda: StorageManagementClient(self.credential, subscription, **self._kwargs()),
        )

    def resources(self, subscription: str) -> Any:
        from azure.mgmt.resource.resources import ResourceManagementClient

        return self._get(
            "resources",
            subscription,
            lambda: ResourceManagementClient(self.credential, subscription, **self._kwargs()),
        )

    def close(self) -> None:
        self._session.close()
