"""Headless Chromium driven over the DevTools protocol: open pages, wait for text, click, and
take screenshots. Just what the UI test needs; no Selenium or Playwright.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from websockets.sync.client import connect

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")


def find_chromium() -> str | None:
    """Path of a Chromium-compatible browser, if one is installed."""
    return next((p for name in CHROMIUM_NAMES if (p := shutil.which(name))), None)


class Browser:
    """`with Browser(binary) as page:` ... `page.open(url)`, `page.wait_for_text(...)`."""

    def __init__(self, binary: str, width: int = 1400, height: int = 1000) -> None:
        self.binary, self.width, self.height = binary, width, height
        self._ids = itertools.count(1)

    def __enter__(self) -> Browser:
        self._profile = tempfile.mkdtemp(prefix="konvergensi-chromium-")
        self._process = subprocess.Popen(
            [
                self.binary,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                f"--user-data-dir={self._profile}",
                f"--window-size={self.width},{self.height}",
                "--remote-debugging-port=0",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        port = self._devtools_port()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as answer:
            pages = [t for t in json.load(answer) if t["type"] == "page"]
        self._socket = connect(pages[0]["webSocketDebuggerUrl"], max_size=None)
        self._call("Page.enable")
        self._call("Runtime.enable")
        return self

    def _devtools_port(self) -> int:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self._process.stderr.readline()
            if found := re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line):
                return int(found[1])
            if not line and self._process.poll() is not None:
                break
        raise RuntimeError("Chromium did not start its DevTools endpoint")

    def __exit__(self, *exc: object) -> None:
        self._socket.close()
        self._process.terminate()
        try:
            self._process.wait(10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(10)
        shutil.rmtree(self._profile, ignore_errors=True)

    def _call(self, method: str, **params: Any) -> dict:
        """Send one DevTools command and return its result (events in between are ignored)."""
        call_id = next(self._ids)
        self._socket.send(json.dumps({"id": call_id, "method": method, "params": params}))
        while True:
            message = json.loads(self._socket.recv(timeout=60))
            if message.get("id") == call_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression: str) -> Any:
        """Value of a JavaScript expression in the page (promises are awaited)."""
        result = self._call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"JavaScript failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def open(self, url: str) -> None:
        """Navigate and wait until the document has loaded."""
        self._call("Page.navigate", url=url)
        self.wait_until("document.readyState === 'complete'", f"{url} to load")

    def wait_until(self, expression: str, what: str, timeout: float = 60) -> Any:
        """Poll a JavaScript expression until it is truthy."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if value := self.evaluate(expression):
                return value
            time.sleep(0.5)
        raise TimeoutError(f"timed out after {timeout} s waiting for {what}")

    def text(self) -> str:
        """The page's visible text."""
        return self.evaluate("document.body ? document.body.innerText : ''")

    def wait_for_text(self, *needles: str, timeout: float = 60) -> str:
        """Wait until every needle is in the visible text; returns that text."""
        checks = " && ".join(f"document.body.innerText.includes({json.dumps(n)})" for n in needles)
        self.wait_until(f"document.body && {checks}", f"text {needles!r}", timeout)
        return self.text()

    def click(self, selector: str) -> None:
        """Click the first element matching a CSS selector."""
        found = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " if (!e) return false; e.click(); return true; })()"
        )
        if not found:
            raise LookupError(f"nothing matches {selector!r}")

    def screenshot(self, path: Path) -> Path:
        """Save a PNG of the viewport."""
        data = self._call("Page.captureScreenshot", format="png")["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path
