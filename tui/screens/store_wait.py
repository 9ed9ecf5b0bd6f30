"""Store writes of the annotate screen, run off the UI thread, with a visible wait.

Why: a judgement's COMMIT waits for the write lock. When another process holds
`BEGIN EXCLUSIVE` (a merge, an import, a lead's script), that wait used to block
the UI thread: the screen froze and said nothing, and keys piled up in the
terminal. Now the write runs in a thread worker while the screen stays live and
shows "waiting for the database (locked by another process) N s…", updated every
quarter second, until the write lands.

Rules the screen keeps while a write is pending (`busy`):
- the item that was judged stays on screen, and no key may act on the session
  (judge, undo, move, note): such keys are dropped with a notice, never queued;
- the next item is shown only after the COMMIT returned, so "saved" stays true;
- a lock that outlasts the store's own retries is waited for again (the judgement
  is kept in memory and written once the lock clears), never dropped.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from duelist.store import Store, StoreLockedError
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import get_current_worker

T = TypeVar("T")

SHOW_LOCK_AFTER_S = 0.3  # a normal commit takes milliseconds: no flicker below this
SHOW_SLOW_AFTER_S = 1.0  # a slow write that is not a lock wait (a slow disk)
TICK_S = 0.25


def waiting_text(what: str, lock_wait: float | None, elapsed: float) -> str:
    """The header text for a pending write, or "" while it is too young to mention."""
    if lock_wait is not None and lock_wait >= SHOW_LOCK_AFTER_S:
        return (f"waiting for the database (locked by another process) {lock_wait:.0f} s… "
                f"{what} not saved yet")
    if elapsed >= SHOW_SLOW_AFTER_S:
        return f"saving {what}… {elapsed:.0f} s"
    return ""


class StoreWriter:
    """Runs one write at a time for `screen` in a thread worker.

    `show(text)` is called on the UI thread with the waiting text ("" clears it).
    """

    def __init__(self, screen: Screen[Any], store: Store, show: Callable[[str], None]) -> None:
        self.screen, self.store, self.show = screen, store, show
        self.what = ""  # the pending write, in words ("#12")
        self.busy = False
        self._started = 0.0
        self._lock_since: float | None = None
        self._timer: Timer | None = None
        self._after: list[Callable[[], None]] = []

    def run(self, what: str, write: Callable[[], T], landed: Callable[[], bool],
            done: Callable[[T], None], failed: Callable[[Exception], None]) -> None:
        """Start `write()` off the UI thread; then `done(result)` or `failed(exc)` on it.

        `landed()` (called in the worker) says whether the write already committed;
        after a lock error it decides between waiting again and reporting the error.
        """
        if self.busy:
            raise RuntimeError("a store write is already pending")
        self.busy, self.what, self._started = True, what, time.monotonic()
        self._lock_since = None  # the wait for the lock began (first seen)
        self._timer = self.screen.set_interval(TICK_S, self._tick)

        def work() -> None:
            try:
                result = self._until_saved(write, landed)
            except Exception as exc:  # shown on the screen, the app keeps running
                self._back(partial(self._finish, partial(failed, exc)))
            else:
                self._back(partial(self._finish, partial(done, result)))

        self.screen.run_worker(work, thread=True, group="store-write", exit_on_error=False)

    def after_write(self, then: Callable[[], None]) -> None:
        """Run `then` on the UI thread once the pending write is over (at once if none)."""
        if self.busy:
            self._after.append(then)
        else:
            then()

    def _until_saved(self, write: Callable[[], T], landed: Callable[[], bool]) -> T:
        while True:
            try:
                return write()
            except StoreLockedError:
                # The store gave up after its retries (minutes). Nothing was written
                # unless `landed()`: wait again rather than lose the judgement.
                if landed() or get_current_worker().is_cancelled:
                    raise
                if self._lock_since is None:
                    self._lock_since = self._started
                time.sleep(0.1)

    def _back(self, fn: Callable[[], None]) -> None:
        with contextlib.suppress(RuntimeError):  # the app has gone: nothing left to show
            self.screen.app.call_from_thread(fn)

    def _tick(self) -> None:
        now, lock = time.monotonic(), self.store.lock_wait_seconds()
        if lock is not None and lock >= SHOW_LOCK_AFTER_S and self._lock_since is None:
            self._lock_since = now - lock
        if self._lock_since is not None:  # across the store's retries: one wait, one count
            lock = now - self._lock_since
        self.show(waiting_text(self.what, lock, now - self._started))

    def _finish(self, then: Callable[[], None]) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.busy = False
        self.show("")
        then()
        after, self._after = self._after, []
        for fn in after:
            fn()
