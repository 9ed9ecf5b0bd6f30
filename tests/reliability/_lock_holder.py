"""A second PROCESS holding `BEGIN EXCLUSIVE` on a real database file (item 10 tests)."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from annotate_helpers import wait_for

HOLDER = r"""
import select, sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
# hold the lock until the test says so; at most argv[2] s, so an app that blocks its
# own event loop in the write (the bug) fails the test instead of hanging it
if select.select([sys.stdin], [], [], float(sys.argv[2]))[0]:
    sys.stdin.readline()
conn.execute("COMMIT")
print("released", flush=True)
"""


class LockHolder:
    """A second process that holds the write lock of `db` until `release()`."""

    def __init__(self, db: Path, max_hold_s: float = 8.0) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(db), str(max_hold_s)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline().strip() == "locked"

    def release(self) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()
        assert self.proc.stdout.readline().strip() == "released"
        self.proc.wait(timeout=10)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@contextlib.asynccontextmanager
async def painted_then_locked(app: Any, pilot: Any, db: Path) -> AsyncIterator[tuple[int, LockHolder]]:
    """Wait for the annotate screen's first paint, then take the lock in another process:
    yields (the id of the item on screen, the holder); the holder is killed on the way out."""
    await wait_for(pilot, lambda: app.screen.painted_at > 0, "first paint")
    first = app.session.current.id
    holder = await asyncio.to_thread(LockHolder, db)
    try:
        yield first, holder
    finally:
        holder.kill()
