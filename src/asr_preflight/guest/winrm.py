"""WinRM transport (pywinrm), safe by default.

- HTTPS on 5986 with the server certificate validated (against ``[guest.windows] ca_bundle``
  when set, else the default trust of ``requests``/certifi or ``REQUESTS_CA_BUNDLE``).
- Authentication: ``ntlm`` (default), ``kerberos``, ``credssp`` or ``certificate``
  (``cert_pem``/``cert_key_pem``). The password is read from the environment variable the plan
  names (``password_env``); it is never part of a URL.
- Plain HTTP (5985) only when the plan says ``scheme = "http"``, and then only with an auth
  that encrypts the messages (ntlm, kerberos, credssp; message encryption forced on).
- One WinRS shell per host, reused for all its probes; proxies from the environment are not
  used to reach a guest.

pywinrm is imported when the first Windows guest is probed.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Sequence
from typing import Any

from requests.adapters import HTTPAdapter

from asr_preflight.guest.scripts import Invocation, encoded_powershell
from asr_preflight.guest.transport import (
    MAX_PROBE_OUTPUT,
    CommandResult,
    Deadline,
    GuestAccessError,
    OutputTooLarge,
)
from asr_preflight.plan import GuestWindows

ENCRYPTING = ("ntlm", "kerberos", "credssp")


def endpoint_url(host: str, config: GuestWindows) -> str:
    port = config.port or (5986 if config.scheme == "https" else 5985)
    shown = f"[{host}]" if ":" in host else host
    return f"{config.scheme}://{shown}:{port}/wsman"


class WinrmTransport:
    def __init__(
        self,
        host: str,
        config: GuestWindows,
        deadline: Deadline,
        connect_timeout: float,
        port: int | None = None,
    ) -> None:
        self.host = host
        self.config = config if port is None else config.model_copy(update={"port": port})
        self.deadline = deadline
        self.connect_timeout = connect_timeout
        self.protocol: Any = None
        self.shell_id: str | None = None

    def _protocol(self, operation_timeout: int) -> Any:
        config = self.config
        if config.scheme == "http" and config.transport not in ENCRYPTING:
            raise GuestAccessError(
                f"refused: WinRM over plain HTTP with {config.transport} auth would send "
                "unencrypted messages",
                'use scheme = "https", or an auth that encrypts (ntlm, kerberos, credssp)',
            )
        password: str | None = None
        if config.transport in ("ntlm", "credssp") or (
            config.transport == "kerberos" and config.password_env
        ):
            if not config.password_env:
                raise GuestAccessError(
                    f"no password for WinRM {config.transport} auth",
                    "set [guest.windows] password_env to the name of an environment variable",
                )
            password = os.environ.get(config.password_env)
            if not password:
                raise GuestAccessError(
                    f"environment variable {config.password_env} (the WinRM password) is not set",
                    f"export {config.password_env} before running",
                )
        try:
            from winrm.protocol import Protocol
        except ImportError:  # pragma: no cover - pywinrm is a dependency
            raise GuestAccessError("pywinrm is not installed", "pip install pywinrm") from None
        kwargs: dict[str, Any] = {
            "endpoint": endpoint_url(self.host, config),
            "transport": config.transport,
            "username": config.user,
            "password": password,
            "server_cert_validation": "validate",
            "read_timeout_sec": operation_timeout + 10,
            "operation_timeout_sec": operation_timeout,
            "message_encryption": "always" if config.scheme == "http" else "auto",
            "proxy": None,
        }
        if config.ca_bundle:
            kwargs["ca_trust_path"] = os.path.expanduser(config.ca_bundle)
        if config.transport == "certificate":
            if not (config.cert_pem and config.cert_key_pem):
                raise GuestAccessError(
                    "certificate auth needs cert_pem and cert_key_pem",
                    "set them in [guest.windows]",
                )
            kwargs["cert_pem"] = os.path.expanduser(config.cert_pem)
            kwargs["cert_key_pem"] = os.path.expanduser(config.cert_key_pem)
        try:
            protocol = Protocol(**kwargs)
        except Exception as exc:  # noqa: BLE001 - e.g. "kerberos requested but not installed"
            raise GuestAccessError(
                f"WinRM {config.transport} auth is not available: {exc}",
                f"install the extra it needs (pip install 'pywinrm[{config.transport}]')",
            ) from None
        _bound(protocol.transport, self.deadline)
        return protocol

    def connect(self) -> None:
        timeout = max(1, int(self.deadline.clamp(self.connect_timeout)))
        self.protocol = self._protocol(max(timeout, 20))
        try:
            self.shell_id = self.protocol.open_shell(codepage=65001)
        except Exception as exc:  # noqa: BLE001 - requests/pywinrm raise many kinds
            raise self._describe(exc) from None

    def _describe(self, exc: Exception) -> GuestAccessError:
        from winrm.exceptions import InvalidCredentialsError

        url = endpoint_url(self.host, self.config)
        name = type(exc).__name__
        text = str(exc)
        if isinstance(exc, InvalidCredentialsError):
            return GuestAccessError(
                f"WinRM {self.config.transport} login as {self.config.user!r} on {url} failed",
                "check [guest.windows] user, password_env and transport",
            )
        if "CERTIFICATE_VERIFY_FAILED" in text or name == "SSLError":
            return GuestAccessError(
                f"refused: the WinRM certificate of {url} could not be verified",
                "give the CA that issued the listener's certificate in [guest.windows] ca_bundle",
            )
        if "timed out" in text.lower() or "Timeout" in name:
            return GuestAccessError(
                f"no WinRM answer from {url} within {self.connect_timeout:g} s",
                "check that the address is reachable and the WinRM HTTPS listener (5986) is open",
            )
        return GuestAccessError(
            f"cannot connect to {url}: {name}", "check the address, the port and the WinRM listener"
        )

    def run_many(
        self, invocations: Sequence[Invocation], timeout: float, together: bool = False
    ) -> list[CommandResult]:
        results = []
        for inv in invocations:
            if self.deadline.expired:
                results.append(CommandResult(inv.probe, None, "", "the host's time budget ran out"))
                continue
            try:
                command_id = self.protocol.run_command(
                    self.shell_id,
                    "powershell.exe",
                    [
                        "-NoProfile",
                        "-NonInteractive",
                        "-EncodedCommand",
                        encoded_powershell(inv.powershell()),
                    ],
                )
                try:
                    stdout, stderr, status = self._output(command_id, timeout)
                finally:
                    with contextlib.suppress(Exception):  # stops a command we gave up on
                        self.protocol.cleanup_command(self.shell_id, command_id)
            except OutputTooLarge as exc:
                results.append(CommandResult(inv.probe, None, "", "", str(exc)))
                continue
            except TimeoutError:
                results.append(CommandResult(inv.probe, None, "", "the host's time budget ran out"))
                continue
            except Exception as exc:  # noqa: BLE001
                results.append(CommandResult(inv.probe, None, "", f"{type(exc).__name__}: {exc}"))
                continue
            results.append(
                CommandResult(inv.probe, status, stdout.decode("utf-8", "replace"), _clean(stderr))
            )
        return results

    def _output(self, command_id: str, timeout: float) -> tuple[bytes, bytes, int]:
        """pywinrm's ``get_command_output`` with bounds: at most MAX_PROBE_OUTPUT bytes, and
        not past ``timeout`` nor the host's budget (each Receive waits at most the operation
        timeout), however fast the guest keeps sending."""
        from winrm.exceptions import WinRMOperationTimeoutError

        end = time.monotonic() + self.deadline.clamp(timeout)
        out: list[bytes] = []
        err: list[bytes] = []
        size = 0
        while True:
            if time.monotonic() >= end:
                raise TimeoutError
            try:
                stdout, stderr, status, done = self.protocol.get_command_output_raw(
                    self.shell_id, command_id
                )
            except WinRMOperationTimeoutError:
                continue  # nothing yet: WinRM's long poll ended; ask again
            out.append(stdout)
            err.append(stderr)
            size += len(stdout) + len(stderr)
            if size > MAX_PROBE_OUTPUT:
                raise OutputTooLarge()
            if done:
                return b"".join(out), b"".join(err), int(status)

    def close(self) -> None:
        if self.protocol is not None and self.shell_id is not None:
            with contextlib.suppress(Exception):  # closing is best effort
                self.protocol.close_shell(self.shell_id)
        self.protocol = None
        self.shell_id = None


#: One WinRM HTTP answer may hold at most this much: a Receive of a probe's whole
#: :data:`MAX_PROBE_OUTPUT` is ~1.4 MiB in base64 and SOAP (Windows sends 500 KB by default).
MAX_WINRM_RESPONSE = 4 * MAX_PROBE_OUTPUT
#: A 401 challenge is passed on unread (its socket serves NTLM channel binding) only with a
#: declared length up to this (Windows sends none).
MAX_CHALLENGE_BODY = 4096


def _bound(transport: Any, deadline: Deadline) -> None:
    """Mount :class:`_BoundedAdapter` on the session pywinrm builds (auth, certificate
    validation and proxies as pywinrm sets them), before its first message: before the
    message-encryption handshake too, whose NTLM context belongs to the connection."""
    build, setup = transport.build_session, transport.setup_encryption

    def mount(session: Any) -> None:
        if not isinstance(session.get_adapter("https://"), _BoundedAdapter):
            adapter = _BoundedAdapter(deadline)
            session.mount("https://", adapter)
            session.mount("http://", adapter)

    def setup_encryption(session: Any) -> None:
        mount(session)
        setup(session)

    def build_session() -> Any:
        session = build()
        mount(session)
        return session

    transport.setup_encryption = setup_encryption
    transport.build_session = build_session


class _BoundedAdapter(HTTPAdapter):
    """Reads each answer one socket read at a time: at most :data:`MAX_WINRM_RESPONSE` bytes
    (else OutputTooLarge) and not past the host's budget (else TimeoutError)."""

    def __init__(self, deadline: Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def send(  # type: ignore[override]
        self, request: Any, stream: bool = False, **kwargs: Any
    ) -> Any:
        response = super().send(request, stream=True, **kwargs)
        if response.status_code == 401:
            # an auth challenge: requests-ntlm reads its TLS socket (channel binding), which a
            # read to the end would close; Windows sends it empty, so only a short one is read
            try:
                declared = int(response.headers.get("Content-Length", ""))
            except ValueError:
                declared = -1
            if not 0 <= declared <= MAX_CHALLENGE_BODY:
                response.close()
                raise OutputTooLarge(MAX_CHALLENGE_BODY)
            return response
        chunks: list[bytes] = []
        size = 0
        raw = response.raw
        read1 = getattr(raw, "read1", None)  # urllib3 2: one socket read, so drips end too
        reads = (
            iter(lambda: read1(256 * 1024, decode_content=True), b"")
            if read1 is not None
            else raw.stream(256 * 1024, decode_content=True)
        )
        try:
            for chunk in reads:
                size += len(chunk)
                if size > MAX_WINRM_RESPONSE:
                    raise OutputTooLarge(MAX_WINRM_RESPONSE)
                if self.deadline.expired:
                    raise TimeoutError("the host's time budget ran out")
                chunks.append(chunk)
        except (OutputTooLarge, TimeoutError):
            response.close()
            raise
        response._content = b"".join(chunks)
        response._content_consumed = True
        return response


def _clean(stderr: bytes) -> str:
    """PowerShell's CLIXML error stream, as plain text."""
    text = stderr.decode("utf-8", "replace")
    if text.startswith("#< CLIXML"):
        import re

        parts = re.findall(r"<S S=\"Error\">(.*?)</S>", text, re.S)
        text = "".join(parts).replace("_x000D__x000A_", "\n").strip()
    return text
