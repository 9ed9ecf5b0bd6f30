"""Hostile text in the real app, in a real terminal (tmux).

Prompts, responses, annotator names, run names and errors carry Rich/Textual
markup (`[@click=app.quit]`, `[link=...]`), ANSI CSI (`ESC[2J`), OSC 52
clipboard writes, OSC 8 hyperlinks, bidi overrides and a 100,000-character line.
Across the annotate, stats, history and rank screens they must:

- render literally (the markup text is visible as typed) or sanitized;
- never reach the terminal raw: tmux runs with `set-clipboard on`, so an OSC 52
  would create a paste buffer, and `capture-pane -e` would show an OSC 8 link;
- never trigger actions: clicking on the `[@click=app.quit]` text leaves the app
  running;
- never freeze the UI: the 100k line renders and the app still answers keys.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from duelist.store import NewAnnotation, NewComparison, Store

pytestmark = [
    pytest.mark.tmux,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

CLICK = "[@click=app.quit]CLICKME[/]"
LINK = "[link=https://evil.example]LINKME[/link]"
OSC52 = "\x1b]52;c;ZXZpbA==\x07"
OSC8 = "\x1b]8;;https://evil.example/osc8\x1b\\OSC8TEXT\x1b]8;;\x1b\\"
CSI = "\x1b[2J\x1b[H"
TITLE = "\x1b]0;EVILTITLE\x07"  # OSC 0: would rename the tmux pane
BIDI = "\u202eBIDI\u202c"
HOSTILE = f"Evil {CLICK} {LINK} {OSC52}{CSI}{TITLE} {OSC8} {BIDI} [mdlink](https://evil.example/md) end"
# bytes that may only appear in the pane's raw output stream if hostile text got through
RAW_MARKERS = [b"ZXZpbA==", b"EVILTITLE", b"evil.example/osc8", b"\x1b]8;;https://evil",
               b"\x1b[2J\x1b[H\x1b]0;"]
LONG = "L" * 100_000
ANNOTATOR = "[b]ann[/b]\x1b]52;c;ZXZpbA==\x07"
RUN_MODEL = "[@click=app.quit]runmodel[/]\x1b]52;c;ZXZpbA==\x07"


def _project(db: Path) -> None:
    with Store.open(db) as store:
        store.insert_comparisons([
            NewComparison(f"HOSTILE PROMPT {CLICK} {LINK}{OSC52}", HOSTILE, "plain answer"),
            NewComparison("LONG LINE PROMPT", LONG, "short answer"),
            *[NewComparison(f"Prompt {i}", f"yes {i}", f"no {i}", source=f"src{OSC52}") for i in range(3, 7)],
        ])
        for cid in store.comparison_ids()[2:]:
            store.add_annotation(NewAnnotation(cid, ANNOTATOR, "a", rationale=HOSTILE))
        run = store.create_run(f"run {CLICK}", {"model": RUN_MODEL}, status="failed")
        store.update_run(run.id, error=f"boom {CLICK} {OSC52}{CSI}", finished_at="2026-01-01T00:00:00Z")


class Tmux:
    def __init__(self, sock: Path) -> None:
        self.sock = str(sock)
        self.raw_log = sock.with_name("pane-output.raw")

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["tmux", "-S", self.sock, "-f", "/dev/null", *args],
                              capture_output=True, text=True, timeout=20)

    def screen(self, escapes: bool = False) -> str:
        return self("capture-pane", "-p", *(["-e"] if escapes else []), "-t", "s").stdout

    def wait(self, cond: Callable[[str], bool], what: str, timeout: float = 40.0) -> float:
        start = time.monotonic()
        while not cond(self.screen()):
            if time.monotonic() - start > timeout:
                raise AssertionError(f"timed out waiting for {what}; screen:\n{self.screen()}")
            time.sleep(0.1)
        return time.monotonic() - start

    def click(self, text: str) -> None:
        """A real SGR mouse click (press + release) on the first cell showing `text`."""
        for row, line in enumerate(self.screen().splitlines(), 1):
            col = line.find(text)
            if col >= 0:
                seq = f"\x1b[<0;{col + 2};{row}M\x1b[<0;{col + 2};{row}m"
                self("send-keys", "-t", "s", "-l", seq)
                return
        raise AssertionError(f"{text!r} is not on screen:\n{self.screen()}")

    def assert_clean(self) -> None:
        """Nothing reached the terminal raw. Effects: an OSC 52 creates a tmux paste
        buffer (set-clipboard on), an OSC 0 renames the pane. Bytes: the pane's raw
        output stream (pipe-pane) holds none of the hostile payloads."""
        assert "buffer" not in self("list-buffers").stdout, "an OSC 52 clipboard write got through"
        title = self("display-message", "-p", "-t", "s", "#{pane_title}").stdout
        assert "EVILTITLE" not in title, "an OSC 0 title change got through"
        raw = self.raw_log.read_bytes() if self.raw_log.exists() else b""
        assert len(raw) > 1000, "the raw output log is not being written"
        for marker in RAW_MARKERS:
            assert marker not in raw, f"{marker!r} reached the terminal"

    def alive(self) -> bool:
        return "EXITED-" not in self.screen()


def test_hostile_text_in_every_screen(tmp_path: Path) -> None:
    db = tmp_path / "hostile.db"
    _project(db)
    tmux = Tmux(tmp_path / "tmux.sock")
    cmd = " ".join(shlex.quote(a) for a in [
        sys.executable, "-m", "duelist.tui.cli.main", "annotate", "--db", str(db),
        "--annotator", "tm", "--no-randomize", "--gold-rate", "0", "--order", "sequential"])
    tmux("new-session", "-d", "-s", "s", "-x", "160", "-y", "48", "sh")
    try:
        tmux("set-option", "-g", "set-clipboard", "on")
        tmux("pipe-pane", "-o", "-t", "s", f"cat >> {shlex.quote(str(tmux.raw_log))}")
        tmux("send-keys", "-t", "s", f"{cmd}; echo EXITED-$?", "Enter")

        # annotate: literal markup, no escapes, clicking the click-markup does nothing
        # The top bar fills in just after the first paint: wait for the whole screen.
        tmux.wait(lambda s: "HOSTILE PROMPT" in s and "Duelist" in s and "A better" in s,
                  "the hostile item with the top bar and key hints")
        shown = tmux.screen()
        assert CLICK in shown and LINK in shown, shown
        assert "BIDI" in shown and "OSC8TEXT" in shown
        # not cleared by the ESC[2J: the top bar and the key hints are still drawn
        assert "Duelist" in shown and "A better" in shown
        tmux.assert_clean()
        for target in ("CLICKME", "LINKME"):
            tmux.click(target)
            time.sleep(0.5)
            assert tmux.alive(), f"clicking {target} ended the app"
        tmux.wait(lambda s: "HOSTILE PROMPT" in s, "app still showing the item after clicks")

        # the 100k-character line: drawn, and the app keeps answering keys
        tmux("send-keys", "-t", "s", "1")
        took = tmux.wait(lambda s: "LONG LINE PROMPT" in s, "the 100k-line item", timeout=30)
        tmux("send-keys", "-t", "s", "m")  # raw view: the long line again, as plain text
        tmux.wait(lambda s: "view: raw" in s, "raw view after the 100k line", timeout=15)
        tmux("send-keys", "-t", "s", "m")
        tmux.wait(lambda s: "view: markdown" in s, "markdown view again", timeout=15)
        assert tmux.alive()

        # stats: hostile annotator name and source, literally
        tmux("send-keys", "-t", "s", "S")
        tmux.wait(lambda s: "[b]ann[/b]" in s, "stats with the annotator name")
        tmux.assert_clean()
        tmux("send-keys", "-t", "s", "Escape")
        tmux.wait(lambda s: "view: markdown" in s, "back to annotate")

        # history: hostile run name and error, literally; clicking does nothing
        tmux("send-keys", "-t", "s", "H")
        tmux.wait(lambda s: f"run {CLICK}" in s, "history with the run")
        assert f"boom {CLICK}" in tmux.screen()
        tmux.click("CLICKME")
        time.sleep(0.5)
        assert tmux.alive()
        tmux.assert_clean()
        tmux("send-keys", "-t", "s", "Escape")
        tmux.wait(lambda s: "view: markdown" in s, "back to annotate")

        # rank: the project's prompts in its picker, then in its editable boxes, literally
        tmux("send-keys", "-t", "s", "R")
        tmux.wait(lambda s: "Rank responses" in s, "rank screen")
        tmux("send-keys", "-t", "s", "F2")
        tmux.wait(lambda s: "HOSTILE PROMPT" in s, "the project's prompts in the picker")
        assert CLICK in tmux.screen()
        tmux.assert_clean()
        tmux.click("CLICKME")  # picks that prompt: its text goes into the TextAreas
        tmux.wait(lambda s: "Loaded from the project" in s, "the picked prompt loaded")
        assert tmux.alive() and CLICK in tmux.screen()
        tmux.assert_clean()  # found by this test: TextArea drew a stored OSC 52 raw
        tmux("send-keys", "-t", "s", "Escape")  # the first Esc leaves the text box
        tmux.wait(lambda s: "Esc again goes back" in s, "out of the text box")
        tmux("send-keys", "-t", "s", "Escape")
        tmux.wait(lambda s: "view: markdown" in s, "back to annotate")

        tmux("send-keys", "-t", "s", "q")
        tmux.wait(lambda s: "EXITED-0" in s, "a clean quit")
        tmux.assert_clean()
        print(f"\nhostile-text tmux: 100k-char line item drawn in {took:.1f} s; "
              "no OSC 52 buffer, no OSC 8 link, clicks on click-markup ignored")
    finally:
        tmux("kill-server")
