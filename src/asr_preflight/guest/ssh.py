"""SSH transport (paramiko), safe by default.

- Host keys are verified against the plan's ``known_hosts`` file only (hashed entries work):
  a host whose key is absent is refused (paramiko's RejectPolicy), and a host whose key differs
  is always refused. ``--accept-new-host-keys`` records the key of a host that has *no* entry
  yet (hashed, appended to the file) and never accepts a changed key.
- Authentication: the plan's key file, else a password read from the environment variable the
  plan names (``password_env``), else the SSH agent. No key is searched for in ~/.ssh.
- Timeouts: ``connect_timeout_seconds`` bounds the TCP connect, the banner and authentication
  together (one deadline: a host that accepts TCP but never sends an SSH banner costs exactly
  that, and is reported in one line); every command is bounded by its own timeout and by the
  host's time budget as a wall-clock deadline, however fast the guest keeps sending.
- Output: at most :data:`MAX_PROBE_OUTPUT` bytes per probe (stdout and stderr together); past
  it reading stops, the channel is closed and the probe reports nothing (``unknown``).
- One connection per host, reused for all its probes (several probes run at once on it);
  an optional jump host (``jump_host = "user@host[:port]"``) is connected once per run.

paramiko is imported when the first Linux guest is probed.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from asr_preflight.guest.scripts import Invocation
from asr_preflight.guest.transport import (
    MAX_PROBE_OUTPUT,
    CommandResult,
    Deadline,
    GuestAccessError,
    OutputTooLarge,
)
from asr_preflight.plan import GuestLinux

MAX_CHANNELS = 8  # OpenSSH's default MaxSessions is 10 per connection
_MARK = "@@asr-preflight-end"
_MARK_RE = re.compile(r"\n?@@asr-preflight-end (\w+) (\d+)@@\n")


def _paramiko() -> Any:
    import logging

    import paramiko

    # paramiko's transport thread logs each failed handshake with a traceback; without a handler
    # of ours Python prints that on stderr (logging's last resort). We report it in one line.
    logger = logging.getLogger("paramiko")
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())
    return paramiko


def fingerprint(key: Any) -> str:
    """``ssh-ed25519 SHA256:…`` as ``ssh-keygen -lf`` prints it."""
    import base64
    import hashlib

    digest = base64.b64encode(hashlib.sha256(key.asbytes()).digest()).decode().rstrip("=")
    return f"{key.get_name()} SHA256:{digest}"


def _known_hosts_name(host: str, port: int) -> str:
    return host if port == 22 else f"[{host}]:{port}"


class HostKeys:
    """The known_hosts file of one run: loaded once, appended to (under a lock) when new keys
    are accepted explicitly."""

    def __init__(self, path: str, accept_new: bool) -> None:
        self.path = Path(path).expanduser()
        self.accept_new = accept_new
        self.lock = threading.Lock()
        paramiko = _paramiko()
        self.keys = paramiko.HostKeys()
        self.recorded: list[tuple[str, Any]] = []
        if self.path.exists():
            self.keys.load(str(self.path))

    def policy(self) -> Any:
        paramiko = _paramiko()
        store = self

        class RefuseUnknown(paramiko.RejectPolicy):  # type: ignore[misc,name-defined]
            def missing_host_key(self, client: Any, hostname: str, key: Any) -> None:
                raise UnknownHostKey(hostname, key)

        class RecordNew(paramiko.MissingHostKeyPolicy):  # type: ignore[misc,name-defined]
            """--accept-new-host-keys: record the key of a host with no entry yet."""

            def missing_host_key(self, client: Any, hostname: str, key: Any) -> None:
                store.record(hostname, key)
                if client.get_host_keys() is not store.keys:
                    client.get_host_keys().add(hostname, key.get_name(), key)

        return RecordNew() if self.accept_new else RefuseUnknown()

    def record(self, hostname: str, key: Any) -> None:
        paramiko = _paramiko()
        with self.lock:
            self.keys.add(hostname, key.get_name(), key)
            self.recorded.append((hostname, key))
            hashed = paramiko.HostKeys.hash_host(hostname)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(f"{hashed} {key.get_name()} {key.get_base64()}\n")

    def known(self, hostname: str) -> Any:
        with self.lock:
            return self.keys.lookup(hostname)


class UnknownHostKey(Exception):
    def __init__(self, hostname: str, key: Any) -> None:
        super().__init__(f"host key of {hostname} is not in known_hosts")
        self.hostname = hostname
        self.key = key


class JumpHost:
    """One connection to the jump host per run, shared by every guest behind it."""

    def __init__(self, spec: str, config: GuestLinux, host_keys: HostKeys, timeout: float) -> None:
        user, _, rest = spec.rpartition("@")
        host, _, port = rest.partition(":")
        self.user = user or config.user
        self.host = host
        self.port = int(port or 22)
        self.config = config
        self.host_keys = host_keys
        self.timeout = timeout
        self.lock = threading.Lock()
        self.client: Any = None

    def channel(self, host: str, port: int, timeout: float) -> Any:
        with self.lock:
            if self.client is None:
                self.client = _open_client(
                    self.host, self.port, self.user, self.config, self.host_keys, timeout, None
                )
            transport = self.client.get_transport()
        try:
            return transport.open_channel(
                "direct-tcpip", (host, port), ("127.0.0.1", 0), timeout=timeout
            )
        except Exception as exc:  # noqa: BLE001 - paramiko raises several types here
            raise GuestAccessError(
                f"jump host {self.host} could not open a connection to {host}:{port} ({exc})",
                "check that the jump host can reach the VM and allows TCP forwarding",
            ) from None

    def close(self) -> None:
        with self.lock:
            if self.client is not None:
                self.client.close()
                self.client = None


def _credentials(config: GuestLinux) -> dict[str, Any]:
    if config.key_file:
        path = Path(config.key_file).expanduser()
        if not path.exists():
            raise GuestAccessError(
                f"SSH key file {path} does not exist", "fix [guest.linux] key_file in the plan"
            )
        return {"key_filename": str(path), "allow_agent": False}
    if config.password_env:
        password = os.environ.get(config.password_env)
        if not password:
            raise GuestAccessError(
                f"environment variable {config.password_env} (the SSH password) is not set",
                f"export {config.password_env} before running, or use key_file",
            )
        return {"password": password, "allow_agent": False}
    return {"allow_agent": True}


def _open_client(
    host: str,
    port: int,
    user: str,
    config: GuestLinux,
    host_keys: HostKeys,
    timeout: float,
    sock: Any,
) -> Any:
    paramiko = _paramiko()
    client = paramiko.SSHClient()
    # only the plan's known_hosts file (and keys accepted in this run): no system-wide file.
    # The file is parsed once per run and shared by every connection (thousands of hosts).
    if isinstance(getattr(client, "_host_keys", None), paramiko.HostKeys):
        client._host_keys = host_keys.keys
    else:  # pragma: no cover - a paramiko without the attribute: parse the file per host
        if host_keys.path.exists():
            client.load_host_keys(str(host_keys.path))
        with host_keys.lock:
            for name, key in host_keys.recorded:
                client.get_host_keys().add(name, key.get_name(), key)
    client.set_missing_host_key_policy(host_keys.policy())
    shown = f"{host}:{port}"
    end = time.monotonic() + timeout  # TCP, banner and authentication share one deadline
    credentials = _credentials(config)
    if sock is None:
        sock = _tcp_connect(host, port, timeout, shown)

    def left() -> float:
        return max(0.05, end - time.monotonic())

    try:
        client.connect(
            host,
            port=port,
            username=user,
            timeout=left(),
            banner_timeout=left(),
            auth_timeout=left(),
            channel_timeout=left(),
            look_for_keys=False,
            sock=sock,
            **credentials,
        )
    except UnknownHostKey as exc:
        client.close()
        raise GuestAccessError(
            f"refused: the host key of {shown} ({fingerprint(exc.key)}) is not in {host_keys.path}",
            "verify the key out of band and add it to known_hosts (ssh-keyscan), or run once "
            "with --accept-new-host-keys to record new keys",
        ) from None
    except paramiko.BadHostKeyException as exc:
        client.close()
        raise GuestAccessError(
            f"refused: host key mismatch for {shown}: it offered {fingerprint(exc.key)}, "
            f"{host_keys.path} has {fingerprint(exc.expected_key)}",
            "if the VM was rebuilt, verify its new key out of band and replace the entry "
            f"(ssh-keygen -R {_known_hosts_name(host, port)}); otherwise treat it as an attack",
        ) from None
    except paramiko.AuthenticationException:
        client.close()
        how = "key file" if config.key_file else "password" if config.password_env else "SSH agent"
        raise GuestAccessError(
            f"SSH authentication as {user!r} on {shown} failed ({how})",
            "check [guest.linux] user and the key or password the plan names",
        ) from None
    except TimeoutError:
        client.close()
        raise GuestAccessError(
            f"no SSH answer from {shown} within {timeout:g} s",
            "check that the address is reachable from this machine and port "
            f"{port} is open (NSG, guest firewall), or set [guest.hosts] for this VM",
        ) from None
    except (paramiko.SSHException, OSError) as exc:
        transport = client.get_transport()
        banner = getattr(transport, "remote_version", "") if transport is not None else ""
        client.close()
        sock.close()
        if not banner:  # the port took the connection, but no SSH server spoke
            raise GuestAccessError(
                f"no SSH banner from {shown} within {timeout:g} s: the port accepts TCP "
                "connections but no SSH server answered",
                f"check that sshd (not another service or a tarpit) listens on port {port}, "
                "or set [guest.hosts] for this VM",
            ) from None
        raise GuestAccessError(
            f"cannot connect to {shown} over SSH: {_one_line(exc)}",
            "check the address, the port and that sshd is running",
        ) from None
    return client


def _tcp_connect(host: str, port: int, timeout: float, shown: str) -> Any:
    import socket

    try:
        return socket.create_connection((host, port), timeout=timeout)
    except TimeoutError:
        raise GuestAccessError(
            f"no SSH answer from {shown} within {timeout:g} s",
            "check that the address is reachable from this machine and port "
            f"{port} is open (NSG, guest firewall), or set [guest.hosts] for this VM",
        ) from None
    except OSError as exc:
        raise GuestAccessError(
            f"cannot connect to {shown} over SSH: {_one_line(exc)}",
            "check the address, the port and that sshd is running",
        ) from None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


class SshTransport:
    def __init__(
        self,
        host: str,
        port: int,
        config: GuestLinux,
        host_keys: HostKeys,
        deadline: Deadline,
        connect_timeout: float,
        jump: JumpHost | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.config = config
        self.host_keys = host_keys
        self.deadline = deadline
        self.connect_timeout = connect_timeout
        self.jump = jump
        self.client: Any = None

    def connect(self) -> None:
        timeout = self.deadline.clamp(self.connect_timeout)
        sock = self.jump.channel(self.host, self.port, timeout) if self.jump else None
        self.client = _open_client(
            self.host, self.port, self.config.user, self.config, self.host_keys, timeout, sock
        )

    def run_many(
        self, invocations: Sequence[Invocation], timeout: float, together: bool = False
    ) -> list[CommandResult]:
        """Run the probes at once on this connection, each in its own session (``together``:
        one after the other in a single session, which costs the guest one login instead of
        several; for the quick, local probes)."""
        if together and len(invocations) > 1:
            return self._run_together(invocations, timeout)
        results: list[CommandResult] = []
        transport = self.client.get_transport()
        for start in range(0, len(invocations), MAX_CHANNELS):
            batch = invocations[start : start + MAX_CHANNELS]
            started = []
            for inv in batch:
                try:
                    chan = transport.open_session(timeout=self.deadline.clamp(timeout))
                    chan.exec_command(inv.shell_command())
                    chan.shutdown_write()
                except Exception as exc:  # noqa: BLE001 - a dead channel is that probe's error
                    results.append(CommandResult(inv.probe, None, "", f"cannot start: {exc}"))
                    continue
                started.append((inv, chan))
            end = time.monotonic() + self.deadline.clamp(timeout)
            for inv, chan in started:
                results.append(_read(inv.probe, chan, end))
        return results

    def _run_together(
        self, invocations: Sequence[Invocation], timeout: float
    ) -> list[CommandResult]:
        command = "\n".join(
            f"{inv.shell_command()}\nprintf '\\n{_MARK} {inv.probe} %s@@\\n' \"$?\""
            for inv in invocations
        )
        combined = Invocation("+".join(inv.probe for inv in invocations), invocations[0].family)
        try:
            chan = self.client.get_transport().open_session(timeout=self.deadline.clamp(timeout))
            chan.exec_command(command)
            chan.shutdown_write()
        except Exception as exc:  # noqa: BLE001
            return [
                CommandResult(inv.probe, None, "", f"cannot start: {exc}") for inv in invocations
            ]
        result = _read(combined.probe, chan, time.monotonic() + self.deadline.clamp(timeout))
        found = {m.group(1): m for m in _MARK_RE.finditer(result.stdout)}
        out: list[CommandResult] = []
        start = 0
        for inv in invocations:
            match = found.get(inv.probe)
            if match is None:
                out.append(CommandResult(inv.probe, None, "", result.stderr, result.failure))
                continue
            status = int(match.group(2))
            out.append(
                CommandResult(
                    inv.probe, status, result.stdout[start : match.start()], result.stderr
                )
            )
            start = match.end()
        return out

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None


def _read(probe: str, chan: Any, end: float, limit: int = MAX_PROBE_OUTPUT) -> CommandResult:
    """A command's output until it exits, ``end`` (a wall-clock deadline, however fast the guest
    sends) or ``limit`` bytes of stdout and stderr together, whichever comes first."""
    out: list[bytes] = []
    err: list[bytes] = []
    size = 0
    failure: str | None = None
    status: int | None = None

    def take_stderr() -> None:
        nonlocal size
        while chan.recv_stderr_ready():
            data = chan.recv_stderr(65536)
            err.append(data)
            size += len(data)
            if size > limit:
                raise OutputTooLarge(limit)
            if time.monotonic() >= end:
                raise TimeoutError

    try:
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError
            take_stderr()
            chan.settimeout(max(0.05, min(left, 0.5)))
            try:
                data = chan.recv(65536)
            except TimeoutError:
                continue  # quiet on stdout: look at stderr and the clock again
            if not data:
                break
            out.append(data)
            size += len(data)
            if size > limit:
                raise OutputTooLarge(limit)
        take_stderr()
        if not chan.status_event.wait(max(0.05, end - time.monotonic())):
            raise TimeoutError
        status = chan.recv_exit_status()
    except TimeoutError:
        status = None
    except OutputTooLarge as exc:
        failure = str(exc)
        out.clear()
        err.clear()
    finally:
        chan.close()
    return CommandResult(
        probe,
        status,
        b"".join(out).decode("utf-8", "replace"),
        b"".join(err).decode("utf-8", "replace"),
        failure,
    )
