"""The real app in a real terminal (tmux): keys in, screen out, rows in SQLite.

tmux runs with `set-clipboard on`, so an OSC 52 sequence reaching the terminal
would create a tmux paste buffer; the test asserts none appears.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from duelist.store import NewComparison, Store
from tmux_helpers import duelist_command, tmux_session
from tmux_helpers import wait_until as wait

pytestmark = [
    pytest.mark.tmux,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

INJECT = "Evil [@click=app.quit] [link=file:///etc/passwd]x[/link] \x1b]52;c;ZXZpbA==\x07 end"


def rows(db: Path, include_undone: bool = True):
    with Store.open(db) as store:
        return store.annotations_for(annotator="tm", include_undone=include_undone)


def test_duelist_annotate_in_tmux(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    with Store.open(db) as store:
        store.insert_comparisons([NewComparison("First prompt", INJECT, "Plain answer one")]
                                 + [NewComparison(f"Prompt {i}", f"yes {i}", f"no {i}")
                                    for i in range(2, 6)])
    tmux, screen = tmux_session(tmp_path)

    cmd = duelist_command("annotate", "--db", str(db), "--annotator", "tm", "--no-randomize",
                          "--order", "sequential")  # the test walks items in id order
    tmux("new-session", "-d", "-s", "s", "-x", "120", "-y", "40", "sh")
    try:
        tmux("set-option", "-g", "set-clipboard", "on")
        tmux("send-keys", "-t", "s", f"{cmd}; echo EXITED-$?", "Enter")
        wait(lambda: "First prompt" in screen(), "first item on screen", screen=screen)
        shown = screen()
        assert "[@click=app.quit]" in shown
        assert "[link=file:///etc/passwd]x[/link]" in shown
        assert "ZXZpbA==" not in shown
        assert "buffer" not in tmux("list-buffers").stdout, "OSC 52 reached the terminal"

        tmux("send-keys", "-t", "s", "1")
        wait(lambda: len(rows(db)) == 1, "first judgement", screen=screen)
        wait(lambda: "Prompt 2" in screen() and "saved #1" in screen(), "next item + saved", screen=screen)
        tmux("send-keys", "-t", "s", "t")
        wait(lambda: len(rows(db)) == 2, "tie", screen=screen)
        # a key pressed before the next item is painted is dropped on purpose (it would
        # judge an item the annotator never saw), so wait for each item before its key
        wait(lambda: "Prompt 3" in screen(), "third item", screen=screen)
        tmux("send-keys", "-t", "s", "x")
        wait(lambda: len(rows(db)) == 3, "both bad", screen=screen)
        wait(lambda: "Prompt 4" in screen(), "fourth item", screen=screen)
        tmux("send-keys", "-t", "s", "u")
        wait(lambda: rows(db)[-1].undone, "undo", screen=screen)
        wait(lambda: "Prompt 3" in screen(), "undo shows the item again", screen=screen)
        tmux("send-keys", "-t", "s", "Right")
        wait(lambda: len(rows(db)) == 4, "B via the arrow key", screen=screen)
        tmux("send-keys", "-t", "s", "q")
        wait(lambda: "EXITED-0" in screen(), "clean exit", screen=screen)
    finally:
        tmux("kill-server")
    got = [(r.comparison_id, r.choice, r.undone, r.shown_swapped) for r in rows(db)]
    assert got == [(1, "a", False, False), (2, "tie", False, False),
                   (3, "both_bad", True, False), (3, "b", False, False)]
    assert all(r.duration_ms and r.duration_ms > 0 for r in rows(db))
