"""Regression: a second Store on the same file in one process must not break the first.

Closing any descriptor of a file drops all of a process's POSIX locks on it. The
store used to read the header of a file with open()/close() even when another
Store in the same process held it open; the first Store then lost its WAL locks,
another process deleted the WAL on close, and later commits went to an unlinked
file: invisible to other processes and lost on kill -9. The TUI opens second
connections for off-thread work, so this is the annotate screen's durability.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from duelist.store import NewAnnotation, NewComparison, Store

PEEK = ("import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
        "print(c.execute('SELECT COUNT(*) FROM annotations').fetchone()[0]); c.close()")


def count_from_another_process(db: Path) -> int:
    out = subprocess.run([sys.executable, "-c", PEEK, str(db)], capture_output=True, text=True,
                         check=True, timeout=60)
    return int(out.stdout)


def test_second_store_in_process_keeps_first_stores_commits_visible(db_path: Path) -> None:
    with Store.open(db_path) as s:
        s.insert_comparisons([NewComparison("p", "a", "b")])
    first = Store.open(db_path)
    try:
        second = Store.open(db_path)  # e.g. a worker thread's own connection
        second.count_comparisons()
        second.close()
        assert count_from_another_process(db_path) == 0  # another process opens and closes
        first.add_annotation(NewAnnotation(1, "x", "a"))
        assert Path(str(db_path) + "-wal").exists()
        assert count_from_another_process(db_path) == 1
    finally:
        first.close()


def test_gold_question_uses_the_partial_index(store) -> None:
    """m003: 'any gold items?' is asked at launch; it must not scan the table."""
    plan = store.db.execute(
        "EXPLAIN QUERY PLAN SELECT COUNT(*) FROM comparisons WHERE gold IS NOT NULL").fetchall()
    assert any("idx_comparisons_gold" in str(row) for row in plan)
