"""Round two, item 10, in a real terminal (tmux): the issue's own case.

Another process holds `BEGIN EXCLUSIVE`; `1`, then `2`, are pressed on item #1.
The pane must say that the app waits for the database (and keep counting), and
once the lock clears only `1` is stored, for item #1; `2` judged nothing, because
item #2 was not on screen when it was pressed. A `2` pressed on item #2 counts.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest
from duelist.store import NewComparison, Store
from tmux_helpers import duelist_command, tmux_session
from tmux_helpers import wait_until as wait

from reliability._lock_holder import LockHolder

pytestmark = [
    pytest.mark.tmux,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


def judged(db: Path) -> list[tuple[int, str]]:
    with Store.open(db) as store:
        return [(a.comparison_id, a.choice) for a in store.annotations_for(annotator="tm")]


def test_lock_stall_in_a_real_terminal(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    with Store.open(db) as store:
        store.insert_comparisons(NewComparison(f"Prompt number {i}", f"yes {i}", f"no {i}")
                                 for i in range(1, 5))
    tmux, screen = tmux_session(tmp_path)
    cmd = duelist_command("annotate", "--db", str(db), "--annotator", "tm", "--no-randomize",
                          "--order", "sequential")
    tmux("new-session", "-d", "-s", "s", "-x", "140", "-y", "40", "sh")
    holder: LockHolder | None = None
    try:
        tmux("send-keys", "-t", "s", f"{cmd}; echo EXITED-$?", "Enter")
        wait(lambda: "Prompt number 1" in screen(), "item #1 on screen", screen)
        holder = LockHolder(db, max_hold_s=30.0)
        tmux("send-keys", "-t", "s", "1")
        time.sleep(0.3)
        tmux("send-keys", "-t", "s", "2")
        wait(lambda: "waiting for the database" in screen(), "the waiting message", screen)
        wait(lambda: re.search(r"locked by another process\) [3-9] s", screen()) is not None,
             "the count to go on", screen)
        shown = screen()
        assert "#1 not saved yet" in shown and "Prompt number 1" in shown
        assert "key ignored" in shown  # the `2` was dropped, and the annotator told
        assert judged(db) == []
        holder.release()
        wait(lambda: "saved #1" in screen() and "Prompt number 2" in screen(),
             "item #2 after the write landed", screen)
        assert "not saved yet" not in screen().splitlines()[0]  # the header's wait is gone
        time.sleep(0.5)
        assert judged(db) == [(1, "a")]  # the `2` pressed during the wait judged nothing
        tmux("send-keys", "-t", "s", "2")
        wait(lambda: len(judged(db)) == 2, "the judgement of item #2", screen)
        assert judged(db) == [(1, "a"), (2, "b")]
        tmux("send-keys", "-t", "s", "q")
        wait(lambda: "EXITED-0" in screen(), "a clean exit", screen)
    finally:
        if holder is not None:
            holder.kill()
        tmux("kill-server")
