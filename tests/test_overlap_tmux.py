"""Two real `duelist annotate --overlap 1` processes on one database, in tmux.

The shared queue's promise, end to end: what one annotator has on screen is never
on the other's, every keypress lands in SQLite, and each item is judged once.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from duelist.store import NewComparison, Store

pytestmark = [
    pytest.mark.tmux,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


def test_two_annotator_processes_share_one_queue(tmp_path: Path) -> None:
    db = tmp_path / "team.db"
    with Store.open(db) as store:
        store.insert_comparisons(NewComparison(f"Prompt number {i}", f"yes {i}", f"no {i}")
                                 for i in range(1, 7))
    sock = str(tmp_path / "tmux.sock")

    def tmux(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["tmux", "-S", sock, "-f", "/dev/null", *args],
                              capture_output=True, text=True, timeout=20)

    def screen(who: str) -> str:
        return tmux("capture-pane", "-p", "-t", who).stdout

    def shown(who: str) -> set[str]:
        return set(re.findall(r"Prompt number (\d)", screen(who)))

    def wait(cond, what: str, timeout: float = 40.0) -> None:
        end = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > end:
                raise AssertionError(f"timed out waiting for {what}: rows {judged()}\n{screen('ann')}\n"
                                     f"----\n{screen('bob')}")
            time.sleep(0.1)

    def judged() -> list[tuple[int, str]]:
        with Store.open(db) as store:
            return [(r.comparison_id, r.annotator) for r in store.annotations_for()]

    def fresh_item(who: str) -> bool:
        done = {str(c) for c, a in judged() if a == who}
        return bool(shown(who) - done)

    try:
        for who in ("ann", "bob"):
            cmd = " ".join(shlex.quote(a) for a in [
                sys.executable, "-m", "duelist.tui.cli.main", "annotate", "--db", str(db),
                "--annotator", who, "--overlap", "1"])
            tmux("new-session", "-d", "-s", who, "-x", "120", "-y", "40", "sh")
            tmux("send-keys", "-t", who, f"{cmd}; echo EXITED-$?", "Enter")
            wait(lambda who=who: len(shown(who)) == 1, f"{who}'s first item")
        assert shown("ann").isdisjoint(shown("bob"))
        for n in range(1, 4):
            for who in ("ann", "bob"):
                # a key pressed before the next item is painted is dropped on purpose
                wait(lambda who=who: fresh_item(who), f"{who}'s item {n} on screen")
                tmux("send-keys", "-t", who, "1")
                wait(lambda n=n, who=who: sum(a == who for _, a in judged()) == n,
                     f"{who}'s judgement {n}")
        for who in ("ann", "bob"):
            tmux("send-keys", "-t", who, "q")
            wait(lambda who=who: "EXITED-0" in screen(who), f"{who} quits cleanly")
    finally:
        tmux("kill-server")
    rows = judged()
    assert len(rows) == 6
    assert sorted(cid for cid, _ in rows) == [1, 2, 3, 4, 5, 6]  # each item exactly once
    with Store.open(db) as store:
        assert store.active_claims() == []  # quitting handed the leases back
