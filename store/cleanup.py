"""Removing a database that a failed command created and left empty.

Why: `duelist import bad.jsonl --db new.db` used to fail in one line but leave
`new.db` behind, an empty project that the next command happily opens ("0
comparisons"). A command that creates the file and then fails removes it again,
but only if it is still empty: another process may have started writing to the
same new file in the meantime, and its rows must never be deleted.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

_SIDE_FILES = ("-wal", "-shm", "-journal")
_DATA_TABLES = ("comparisons", "annotations", "runs", "models")


def remove_if_empty(path: str | Path) -> bool:
    """Delete `path` (and its -wal/-shm) when it holds no rows in any data table."""
    p = Path(path)
    if not p.is_file():
        return False
    try:
        conn = sqlite3.connect(f"file:{quote(str(p.resolve()))}?mode=ro", uri=True, timeout=5)
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            for table in _DATA_TABLES:
                if table in tables and conn.execute(
                        f"SELECT EXISTS (SELECT 1 FROM {table})").fetchone()[0]:
                    return False
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    for suffix in ("", *_SIDE_FILES):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{p}{suffix}").unlink()
    return True


@contextlib.contextmanager
def removed_if_failed_new(path: str | Path) -> Iterator[None]:
    """Run a block that may create `path`; if it did and then failed, remove the empty file."""
    existed = Path(path).exists() or str(path) == ":memory:"
    try:
        yield
    except BaseException:
        if not existed:
            remove_if_empty(path)
        raise
