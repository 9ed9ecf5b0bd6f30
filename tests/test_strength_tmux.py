"""Graded picks and `/` in a real terminal (tmux): Shift+1 arrives as `!`, the
dialog takes 1-3, and the strength lands in SQLite; `/` jumps to a match."""

from __future__ import annotations

import shutil
from functools import partial
from pathlib import Path

import pytest
from duelist.store import NewComparison, Store
from tmux_helpers import duelist_command, tmux_session, wait_until

pytestmark = [
    pytest.mark.tmux,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


def test_graded_pick_and_search_in_tmux(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    with Store.open(db) as store:
        store.insert_comparisons([NewComparison(f"Prompt {i}", f"yes {i}", f"no {i}")
                                  for i in range(1, 9)] + [
            NewComparison("Where is the needle?", "in the haystack", "nowhere")])
    tmux, screen = tmux_session(tmp_path)

    def rows():
        with Store.open(db) as s:
            return s.annotations_for(annotator="tm")

    wait = partial(wait_until, screen=screen)

    cmd = duelist_command("annotate", "--db", str(db), "--annotator", "tm", "--no-randomize",
                          "--order", "sequential")  # the test walks items in id order
    tmux("new-session", "-d", "-s", "s", "-x", "120", "-y", "40", "sh")
    try:
        tmux("send-keys", "-t", "s", f"{cmd}; echo EXITED-$?", "Enter")
        wait(lambda: "Prompt 1" in screen(), "first item")
        tmux("send-keys", "-t", "s", "!")
        wait(lambda: "How much better is A (left)?" in screen(), "strength dialog")
        tmux("send-keys", "-t", "s", "3")
        wait(lambda: len(rows()) == 1, "graded judgement")
        assert (rows()[0].choice, rows()[0].strength) == ("a", 3)
        tmux("send-keys", "-t", "s", "2")  # plain: one key, ungraded
        wait(lambda: len(rows()) == 2, "plain judgement")
        assert (rows()[1].choice, rows()[1].strength) == ("b", None)
        tmux("send-keys", "-t", "s", "/")
        wait(lambda: "Search" in screen() and "annotator:NAME" in screen(), "search dialog")
        tmux("send-keys", "-t", "s", "-l", "needle")
        tmux("send-keys", "-t", "s", "Enter")
        wait(lambda: "Where is the needle?" in screen(), "the match on screen")
        tmux("send-keys", "-t", "s", "q")
        wait(lambda: "EXITED-0" in screen(), "clean exit")
    finally:
        tmux("kill-server")


def test_duelist_review_in_tmux(tmp_path: Path) -> None:
    from duelist.store import NewAnnotation

    db = tmp_path / "r.db"
    with Store.open(db) as store:
        store.insert_comparisons([NewComparison("Sky colour?", "blue", "green"),
                                  NewComparison("2+2?", "4", "5")])
        store.add_annotations_bulk([NewAnnotation(1, "ann", "a", rationale="obvious"),
                                    NewAnnotation(1, "bob", "b"), NewAnnotation(2, "ann", "a")])
    tmux, screen = tmux_session(tmp_path)

    wait = partial(wait_until, screen=screen)

    cmd = duelist_command("review", "--db", str(db), "--adjudicator", "lead")
    tmux("new-session", "-d", "-s", "s", "-x", "120", "-y", "40", "sh")
    try:
        tmux("send-keys", "-t", "s", f"{cmd}; echo EXITED-$?", "Enter")
        wait(lambda: "obvious" in screen() and "not adjudicated" in screen(), "the disputed item",
             timeout=60)
        assert "2+2?" not in screen()  # unanimous: not listed
        tmux("send-keys", "-t", "s", "2")
        wait(lambda: "adjudicated: B by lead" in screen(), "the decision shown", timeout=60)
        tmux("send-keys", "-t", "s", "q")
        wait(lambda: "EXITED-0" in screen(), "clean exit")
    finally:
        tmux("kill-server")
    with Store.open(db) as s:
        adj = s.latest_adjudications()[1]
    assert (adj.choice, adj.adjudicator) == ("b", "lead")
