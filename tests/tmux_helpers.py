"""Driving the real app in a private tmux server: one socket per test, no user config.

Shared by the tmux tests (annotate, literal text, strength/search/review) so each
keeps only what it checks.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

Tmux = Callable[..., subprocess.CompletedProcess]


def tmux_session(tmp_path: Path) -> tuple[Tmux, Callable[[], str]]:
    """(tmux, screen): run tmux commands on a private socket; read pane 's' as text."""
    sock = str(tmp_path / "tmux.sock")

    def tmux(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["tmux", "-S", sock, "-f", "/dev/null", *args],
                              capture_output=True, text=True, timeout=20)

    def screen() -> str:
        return tmux("capture-pane", "-p", "-t", "s").stdout

    return tmux, screen


def duelist_command(*args: str) -> str:
    """A shell line running `duelist ARGS`, sized by the pane (pytest's COLUMNS and
    LINES would otherwise make Textual draw wider or taller than the pane)."""
    return " ".join(shlex.quote(a) for a in [
        "env", "-u", "COLUMNS", "-u", "LINES", sys.executable, "-m", "duelist.tui.cli.main",
        *args])


def wait_until(cond: Callable[[], bool], what: str, screen: Callable[[], str] | None = None,
               timeout: float = 30.0) -> None:
    """Poll `cond` every 0.1 s; on timeout fail with `what` and the screen as it was."""
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            shown = screen() if screen else ""
            raise AssertionError(f"timed out waiting for {what}; screen:\n{shown}")
        time.sleep(0.1)
