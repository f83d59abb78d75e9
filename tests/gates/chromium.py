"""Drive Debian's headless Chromium over the DevTools protocol (for the browser test and bench).

    with Chromium.launch() as browser:
        page = browser.open(Path("report.html"))   # waits for the load event
        page.eval("document.title")
        page.screenshot(Path("report.png"))

Chromium runs with a fresh profile and with background networking, component updates, sync and
QUIC off; every host name resolves to nothing, so a report that tried to load anything from the
network would fail instead of leaking. The DevTools endpoint listens on loopback only.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websocket

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--mute-audio",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
    "--remote-allow-origins=*",
)


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


class DevToolsError(RuntimeError):
    pass


@dataclass
class Page:
    ws: websocket.WebSocket
    events: list[dict[str, Any]] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def _recv(self) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(self.ws.recv())
        if message.get("method") == "Page.javascriptDialogOpening":
            # a dialog blocks the page: dismiss it at once (and keep the event as evidence)
            ident = next(self._ids)
            self.ws.send(
                json.dumps(
                    {
                        "id": ident,
                        "method": "Page.handleJavaScriptDialog",
                        "params": {"accept": False},
                    }
                )
            )
        return message

    def send(self, method: str, timeout: float = 60, **params: Any) -> dict[str, Any]:
        ident = next(self._ids)
        self.ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = self._recv()
            if message.get("id") == ident:
                if "error" in message:
                    raise DevToolsError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result
            self.events.append(message)
        raise DevToolsError(f"{method}: no answer in {timeout} s")

    def wait_for(self, event: str, timeout: float = 60) -> dict[str, Any]:
        for i, message in enumerate(self.events):
            if message.get("method") == event:
                del self.events[: i + 1]
                return message
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = self._recv()
            if message.get("method") == event:
                return message
            self.events.append(message)
        raise DevToolsError(f"no {event} in {timeout} s")

    def eval(self, expression: str, *, timeout: float = 60) -> Any:
        """Evaluate JavaScript in the page (promises awaited) and return its JSON value."""
        got = self.send(
            "Runtime.evaluate",
            timeout=timeout,
            expression=expression,
            returnByValue=True,
            awaitPromise=True,
        )
        if "exceptionDetails" in got:
            raise DevToolsError(f"{expression[:80]!r}: {got['exceptionDetails']}")
        return got["result"].get("value")

    def screenshot(self, path: Path, *, full_page: bool = False) -> Path:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
        data = self.send("Page.captureScreenshot", **params)["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def metrics(self) -> dict[str, float]:
        """Chromium's own counters: TaskDuration (main-thread busy seconds), Nodes, …"""
        got = self.send("Performance.getMetrics")["metrics"]
        return {m["name"]: float(m["value"]) for m in got}

    def dialogs(self) -> list[dict[str, Any]]:
        """alert()/confirm()/prompt() calls the page made (each one is dismissed)."""
        self.eval("1")  # drain what arrived so far
        return [e for e in self.events if e.get("method") == "Page.javascriptDialogOpening"]


class Chromium:
    def __init__(
        self, process: subprocess.Popen[bytes], port: int, profile: str, size: tuple[int, int]
    ) -> None:
        self.process = process
        self.port = port
        self.profile = profile
        self.size = size

    @classmethod
    @contextlib.contextmanager
    def launch(
        cls, *, width: int = 1280, height: int = 900, timeout: float = 30
    ) -> Iterator[Chromium]:
        binary = find_chromium()
        if binary is None:
            raise FileNotFoundError("chromium is not installed (apt-get install chromium)")
        profile = tempfile.mkdtemp(prefix="asr-preflight-chromium-")
        args = [binary, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"]
        process = subprocess.Popen(
            [*args, "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "HOME": profile},
        )
        try:
            port = _wait_port(Path(profile) / "DevToolsActivePort", process, timeout)
            yield cls(process, port, profile, (width, height))
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            shutil.rmtree(profile, ignore_errors=True)

    def new_page(self) -> Page:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/json/new?about:blank", method="PUT"
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            target = json.load(response)
        ws = websocket.create_connection(
            target["webSocketDebuggerUrl"], timeout=120, suppress_origin=True
        )
        page = Page(ws)
        page.send("Page.enable")
        page.send("Runtime.enable")
        page.send("Performance.enable")
        width, height = self.size
        page.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        return page

    def open(self, path: Path, *, timeout: float = 120) -> tuple[Page, float]:
        """A new page showing the file; returns it and the seconds from navigation to the
        load event followed by two animation frames (the page has rendered)."""
        page = self.new_page()
        started = time.perf_counter()
        page.send("Page.navigate", url=path.resolve().as_uri())
        page.wait_for("Page.loadEventFired", timeout=timeout)
        page.eval(
            "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(1))))",
            timeout=timeout,
        )
        return page, time.perf_counter() - started


def _wait_port(path: Path, process: subprocess.Popen[bytes], timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DevToolsError(f"chromium exited with {process.returncode} before listening")
        try:
            first = path.read_text().splitlines()[0]
            return int(first)
        except (OSError, IndexError, ValueError):
            time.sleep(0.05)
    raise DevToolsError(f"chromium did not open its DevTools port within {timeout} s")
