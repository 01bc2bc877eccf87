"""A real browser for the UI tests: the Streamlit server as a subprocess, headless Chromium driven over the
DevTools protocol (navigate, wait for text, press keys, click, take screenshots)."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect

from infra.broker import free_port
from tests.support.waiting import wait_for

CHROMIUM = "/usr/bin/chromium"
REPO = Path(__file__).resolve().parents[2]
APP = REPO / "ui" / "streamlit" / "app.py"


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a process this module started, with its children (it leads its own process group)."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=10)


@contextmanager
def streamlit_server(env: dict[str, str], log: Path, timeout: float = 60.0) -> Iterator[str]:
    """`streamlit run ui/streamlit/app.py` on a free port, as the stack starts it; yields its URL."""
    port = free_port()
    argv = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.port", str(port),
            "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    with open(log, "wb") as out:
        process = subprocess.Popen(argv, cwd=REPO, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}: {log.read_text()[-2000:]}")
        return httpx.get(f"{url}/_stcore/health", timeout=2).status_code == 200

    try:
        wait_for(healthy, what="streamlit healthy", timeout=timeout, interval=0.2, ignoring=(httpx.HTTPError,))
        yield url
    finally:
        _stop(process)


class Page:
    """One browser tab spoken to over the DevTools protocol."""

    def __init__(self, socket: ClientConnection):
        self.socket = socket
        self.next_id = 0

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv(timeout=30))
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return dict(message.get("result", {}))

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def viewport(self, width: int, height: int, *, mobile: bool = False) -> None:
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                  mobile=mobile)

    def goto(self, url: str) -> None:
        self.send("Page.navigate", url=url)

    def text(self) -> str:
        return str(self.evaluate("document.body ? document.body.innerText : ''") or "")

    def wait_for_text(self, *needles: str, timeout: float = 30.0) -> str:
        """Wait until every needle is on the page and Streamlit has finished running the script."""

        def page() -> tuple[str, bool]:
            return self.text(), bool(self.evaluate("!!document.querySelector('[data-testid=\"stStatusWidget\"]')"))

        text, _ = wait_for(page, until=lambda seen: all(needle in seen[0] for needle in needles) and not seen[1],
                           what=f"{needles} on the page (text, script running)", timeout=timeout, interval=0.25)
        return text

    def click(self, selector: str, text: str) -> None:
        """Click the element matching `selector` whose visible text ends with the line `text` (after any icon)."""
        clicked = self.evaluate(
            f"(() => {{ const el = [...document.querySelectorAll({json.dumps(selector)})]"
            f".find(e => e.innerText.trim().split('\\n').pop().trim() === {json.dumps(text)});"
            " if (!el) return false; el.click(); return true; })()"
        )
        if not clicked:
            raise AssertionError(f"nothing to click: {selector} {text!r}")

    def press(self, key: str, code: str, key_code: int, text: str = "") -> None:
        extra = {"text": text, "unmodifiedText": text} if text else {}
        self.send("Input.dispatchKeyEvent", type="keyDown", key=key, code=code, windowsVirtualKeyCode=key_code,
                  nativeVirtualKeyCode=key_code, **extra)
        self.send("Input.dispatchKeyEvent", type="keyUp", key=key, code=code, windowsVirtualKeyCode=key_code,
                  nativeVirtualKeyCode=key_code)

    def focused_text(self) -> str:
        return str(self.evaluate("document.activeElement ? document.activeElement.innerText || '' : ''") or "")

    def tab_to(self, text: str, limit: int = 40) -> int:
        """Press Tab until the focused element reads `text`; returns how many presses it took."""
        for presses in range(1, limit + 1):
            self.press("Tab", "Tab", 9)
            if self.focused_text().strip() == text:
                return presses
        raise AssertionError(f"{text!r} is not reachable with the Tab key in {limit} presses")

    def screenshot(self, path: Path) -> Path:
        data = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=False)["data"]
        path.write_bytes(base64.b64decode(data))
        return path


@contextmanager
def chromium(profile_dir: Path, timeout: float = 30.0) -> Iterator[Page]:
    """Headless Chromium with a fresh profile; yields its first tab."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"the browser check needs Debian's chromium at {CHROMIUM}: apt-get install chromium")
    argv = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run", f"--user-data-dir={profile_dir}",
            "--remote-debugging-port=0", "--remote-allow-origins=*", "--window-size=1280,900", "about:blank"]
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        port_file = profile_dir / "DevToolsActivePort"

        def port_written() -> str:
            if process.poll() is not None:
                raise RuntimeError(f"chromium exited with {process.returncode} before opening its DevTools port")
            return port_file.read_text().strip() if port_file.exists() else ""

        port = wait_for(port_written, what="chromium's DevTools port", timeout=timeout).split()[0]
        targets: list[dict[str, Any]] = wait_for(
            lambda: [t for t in httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=5).json()
                     if t.get("type") == "page"],
            what="a chromium page", timeout=timeout)
        with connect(targets[0]["webSocketDebuggerUrl"], max_size=50 * 1024 * 1024) as socket:
            page = Page(socket)
            page.send("Page.enable")
            page.send("Runtime.enable")
            yield page
    finally:
        _stop(process)
