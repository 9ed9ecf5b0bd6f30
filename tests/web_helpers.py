"""Helpers for the `duelist web` tests: a real server process, and headless Chromium.

The server is the real `duelist web` command in a subprocess on a free port;
the browser is Debian's Chromium driven by Selenium (no downloaded builds).
What the browser shows is read from the page's xterm buffer
(`window.duelistTerminal`, which our served script exposes).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# The app subprocess starts in ~1 s on an idle machine; a loaded CI box is slower.
APP_TIMEOUT_S = 60.0

SCREEN_JS = """
const t = window.duelistTerminal;
if (!t) return null;
const b = t.buffer.active, out = [];
for (let i = 0; i < t.rows; i++) {
  const line = b.getLine(b.viewportY + i);
  out.push(line ? line.translateToString(true) : '');
}
return out.join('\\n');
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def duelist(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "duelist.tui.cli.main", "web", "--db", str(db),
                           *args], capture_output=True, text=True, timeout=60)


def add_annotator(db: Path, name: str) -> str:
    """Issue a link through the real CLI; returns the token."""
    out = duelist("--add-annotator", name, db=db)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().split("token=", 1)[1]


class WebServer:
    """`duelist web` in a subprocess; `url(token)` is an annotator's link."""

    def __init__(self, db: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.log_path = db.parent / f"duelist-web-{self.port}.log"  # in the test's tmp dir
        self._log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            # the tests walk items in id order; `duelist web` serves in random order by default
            [sys.executable, "-m", "duelist.tui.cli.main", "web", "--db", str(db),
             "--port", str(self.port), "--order", "sequential", *args],
            stdout=self._log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
        end = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 0.2):
                break
            if self.proc.poll() is not None or time.monotonic() > end:
                raise AssertionError(f"duelist web did not start: {self.log()}")
            time.sleep(0.05)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, token: str) -> str:
        return f"{self.base}/?token={token}"

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text()

    def alive(self) -> bool:
        return self.proc.poll() is None

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
        req = urllib.request.Request(self.base + path, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, resp.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode("utf-8", "replace")

    def ws_url(self, token: str) -> str:
        """Sign in through the page and return the one-time websocket URL it carries."""
        status, body = self.get(f"/?token={token}")
        assert status == 200, body
        return re.search(r'data-session-websocket-url="([^"]+)"', body).group(1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()

    def __enter__(self) -> WebServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ---- the browser ----------------------------------------------------------------
def need_chromium() -> None:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip("Debian's chromium and chromium-driver are not installed (make dev)")
    pytest.importorskip("selenium")


@contextlib.contextmanager
def chromium(width: int = 1280, height: int = 800) -> Iterator[object]:
    """A fresh headless Chromium (own profile dir, no network side-channels)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="duelist-chrome-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                f"--window-size={width},{height}", f"--user-data-dir={profile}"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(options=opts, service=Service(CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def screen(driver) -> str:
    return driver.execute_script(SCREEN_JS) or ""


def wait_screen(driver, cond: Callable[[str], bool], what: str,
                timeout: float = APP_TIMEOUT_S) -> str:
    end = time.monotonic() + timeout
    text = ""
    while time.monotonic() < end:
        text = screen(driver)
        if cond(text):
            return text
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}; screen was:\n{text}")


def press(driver, keys: str) -> None:
    """Type into the terminal (xterm's hidden textarea holds the keyboard focus)."""
    driver.find_element("css selector", ".xterm-helper-textarea").send_keys(keys)


def item_id(text: str) -> int | None:
    """The comparison id the header shows ('name · #N'), or None."""
    m = re.search(r"· #(\d+)", text)
    return int(m.group(1)) if m else None


def judge(driver, key: str, before: int) -> int:
    """Press a judging key on item `before`; wait for the next item (the acknowledgement)."""
    press(driver, key)
    text = wait_screen(driver, lambda t: item_id(t) not in (None, before), "the next item")
    return item_id(text)  # type: ignore[return-value]
