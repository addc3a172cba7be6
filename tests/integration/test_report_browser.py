"""The HTML report in headless Chromium: it loads with no console errors and no requests.

A small Chrome DevTools Protocol client comes first. It starts Debian's ``chromium``
(installed by ``scripts/bootstrap.sh --test``) with a fresh profile, listening on
127.0.0.1 only, opens one page, and records every console message, uncaught exception,
log entry (CSP violations land there) and network request the page makes, then takes a
full-page screenshot. By hand:

    .venv/bin/python tests/integration/test_report_browser.py report.html shot.png

Set ``AUDITKIT_SCREENSHOTS=DIR`` to keep the tests' screenshots in DIR for a look.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: flags for headless Chromium as root in a sandbox with no network but loopback
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--disable-extensions",
    "--disable-default-apps",
    "--hide-scrollbars",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
)


def find_chromium() -> str | None:
    """Path of a Chromium binary, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class PageLoad:
    """What happened while one page loaded."""

    url: str
    console: list[dict[str, Any]] = field(default_factory=list)  #: consoleAPICalled events
    exceptions: list[dict[str, Any]] = field(default_factory=list)
    log: list[dict[str, Any]] = field(default_factory=list)  #: Log.entryAdded entries
    requests: list[str] = field(default_factory=list)  #: every URL requested but the page's
    screenshot: bytes = b""
    text: str = ""  #: document.body.innerText
    counts: dict[str, int] = field(default_factory=dict)  #: selector -> matches

    @property
    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and error-level log entries, as text."""
        out = [
            " ".join(str(a.get("value", a.get("description", ""))) for a in c.get("args", []))
            for c in self.console
            if c.get("type") in ("error", "assert")
        ]
        out += [e.get("exceptionDetails", {}).get("text", "exception") for e in self.exceptions]
        out += [e.get("text", "") for e in self.log if e.get("level") in ("error", "warning")]
        return out


class Browser:
    """One headless Chromium process and one page, driven over a websocket."""

    def __init__(self, binary: str, *, width: int = 1280, height: int = 900) -> None:
        from websockets.sync.client import connect

        self._profile = tempfile.mkdtemp(prefix="auditkit-chromium-")
        self._proc = subprocess.Popen(
            [binary, *CHROMIUM_FLAGS, f"--user-data-dir={self._profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = Path(self._profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().count("\n") >= 1):
            if time.monotonic() > deadline or self._proc.poll() is not None:
                self.close()
                raise RuntimeError("chromium did not open its DevTools port within 30 s")
            time.sleep(0.05)
        port = int(port_file.read_text().splitlines()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
            targets = json.load(r)
        page = next(t for t in targets if t["type"] == "page")
        # websockets wants its connection used as a context manager; enter it by hand,
        # and leave it in close().
        self._ws_context = connect(page["webSocketDebuggerUrl"], max_size=None, open_timeout=10)
        self._ws = self._ws_context.__enter__()
        self._next_id = 0
        self._events: list[dict[str, Any]] = []
        self.width, self.height = width, height

    def call(self, method: str, timeout: float = 30, **params: Any) -> dict[str, Any]:
        """Send one command and wait for its answer; events that arrive meanwhile are kept."""
        self._next_id += 1
        ident = self._next_id
        self._ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self._ws.recv(timeout=max(0.01, deadline - time.monotonic())))
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result
            self._events.append(message)

    def wait_for(self, event: str, timeout: float = 30) -> None:
        """Wait until ``event`` arrives (or has arrived since the last call)."""
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == event for e in self._events):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {event} within {timeout} s")
            self._events.append(json.loads(self._ws.recv(timeout=remaining)))

    def load(self, path: Path, selectors: tuple[str, ...] = ()) -> PageLoad:
        """Open ``path`` (file://), wait for it to load and settle, and record everything."""
        url = path.resolve().as_uri()
        self._events.clear()
        for domain in ("Runtime", "Log", "Network", "Page"):
            self.call(f"{domain}.enable")
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=self.width,
            height=self.height,
            deviceScaleFactor=1,
            mobile=False,
        )
        self.call("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")
        time.sleep(0.3)  # late console messages and requests still arrive
        height = self.call("Page.getLayoutMetrics")["cssContentSize"]["height"]
        shot = self.call(
            "Page.captureScreenshot",
            format="png",
            captureBeyondViewport=True,
            clip={"x": 0, "y": 0, "width": self.width, "height": height, "scale": 1},
        )
        text = self.call(
            "Runtime.evaluate", expression="document.body.innerText", returnByValue=True
        )
        counts = {}
        for selector in selectors:
            found = self.call(
                "Runtime.evaluate",
                expression=f"document.querySelectorAll({json.dumps(selector)}).length",
                returnByValue=True,
            )
            counts[selector] = int(found["result"]["value"])
        load = PageLoad(url=url, screenshot=base64.b64decode(shot["data"]))
        load.text = text["result"]["value"]
        load.counts = counts
        for e in self._events:
            method, params = e.get("method"), e.get("params", {})
            if method == "Runtime.consoleAPICalled":
                load.console.append(params)
            elif method == "Runtime.exceptionThrown":
                load.exceptions.append(params)
            elif method == "Log.entryAdded":
                load.log.append(params["entry"])
            elif method == "Network.requestWillBeSent" and params["request"]["url"] != url:
                load.requests.append(params["request"]["url"])
        return load

    def close(self) -> None:
        """Stop Chromium and remove its profile."""
        try:
            if hasattr(self, "_ws_context"):
                self._ws_context.__exit__(None, None, None)
        finally:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import pytest  # noqa: E402

from tests.gold.fixtures import HOSTILE_NAME, HOSTILE_VARIANT, hostile, load_full  # noqa: E402

pytestmark = pytest.mark.slow

SELECTORS = ("script", "img", "iframe", "svg.figure", "section.claim", "table")


@pytest.fixture(scope="module")
def browser() -> Any:
    binary = find_chromium()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: scripts/bootstrap.sh --test installs it")
        pytest.skip("chromium is not installed (scripts/bootstrap.sh --test installs it)")
    with Browser(binary) as b:
        yield b


def _render(doc: dict[str, Any], path: Path) -> Path:
    from auditkit.report.html import render_html
    from auditkit.report.view import build_view

    path.write_text(render_html(build_view(doc)), encoding="utf-8")
    return path


def _keep(load: PageLoad, name: str, tmp_path: Path) -> Path:
    """Save the screenshot; in AUDITKIT_SCREENSHOTS too, when set."""
    shot = tmp_path / f"{name}.png"
    shot.write_bytes(load.screenshot)
    if os.environ.get("AUDITKIT_SCREENSHOTS"):
        folder = Path(os.environ["AUDITKIT_SCREENSHOTS"])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / shot.name).write_bytes(load.screenshot)
    return shot


def _assert_clean(load: PageLoad) -> None:
    assert load.errors == [], f"console errors: {load.errors}"
    assert load.requests == [], f"the page made requests: {load.requests}"
    assert load.counts["script"] == 0 and load.counts["iframe"] == 0
    assert load.counts["img"] == 0
    # a real PNG of a real page: the signature, and taller than one screen
    assert load.screenshot[:8] == b"\x89PNG\r\n\x1a\n"
    height = int.from_bytes(load.screenshot[20:24], "big")
    assert height > 2000


def test_full_report_loads_cleanly_in_chromium(browser: Browser, tmp_path: Path) -> None:
    load = browser.load(_render(load_full(), tmp_path / "report.html"), SELECTORS)
    _keep(load, "full", tmp_path)
    _assert_clean(load)
    assert load.counts["svg.figure"] == 11
    assert load.counts["section.claim"] == 4
    for text in ("Perturbations × claims", "Do the tests agree?", "Training curves"):
        assert text in load.text
    assert "The gain reverses at batch size 512" in load.text
    assert "FRAGILE" in load.text.upper()


def test_hostile_user_text_is_shown_not_run(browser: Browser, tmp_path: Path) -> None:
    load = browser.load(_render(hostile(load_full()), tmp_path / "hostile.html"), SELECTORS)
    _keep(load, "hostile", tmp_path)
    _assert_clean(load)
    # the text reads exactly as the user wrote it
    assert HOSTILE_VARIANT in load.text
    assert HOSTILE_NAME in load.text
    assert "<img src=x onerror=alert(1)>" in load.text


def test_a_real_tiny_audit_renders_cleanly(
    browser: Browser, write_model: Any, in_tmp: Path
) -> None:
    from auditkit.cli import main
    from tests.conftest import TINY_MODEL

    model = write_model(TINY_MODEL)
    code = main(["check", str(model), "--rules", "quick", "--seeds", "2", "--out", "o", "-q"])
    assert code in (0, 1)
    load = browser.load(in_tmp / "o" / "report.html", SELECTORS)
    _keep(load, "real", in_tmp)
    _assert_clean(load)
    assert load.counts["section.claim"] == 1
    assert "gru > bag on accuracy" in load.text


if __name__ == "__main__":
    binary = find_chromium()
    assert binary, "no chromium on PATH"
    with Browser(binary) as browser:
        result = browser.load(Path(sys.argv[1]))
    Path(sys.argv[2]).write_bytes(result.screenshot)
    print(json.dumps({"errors": result.errors, "requests": result.requests}, indent=2))
