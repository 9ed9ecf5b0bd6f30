"""Round two, item 10 (screen part): a judgement key pressed while the store waits
for another process's lock is never applied to the item that appears afterwards."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

from annotate_helpers import live, make_app, make_project, wait_for
from textual import events


def test_keys_buffered_during_a_lock_stall_do_not_judge_the_next_item(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    make_project(db, n=4)
    app = make_app(db)

    async def scenario() -> None:
        async with app.run_test() as pilot:
            screen = app.screen
            await wait_for(pilot, lambda: getattr(screen, "painted_at", None) is not None,
                           "first paint")
            first = app.session.current.id  # type: ignore[attr-defined]
            loop = asyncio.get_running_loop()
            holder = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
            holder.execute("BEGIN EXCLUSIVE")

            def terminal() -> None:
                # What the terminal driver does while the event loop is busy (here: this
                # test's join below; before the writes moved off the UI thread: the write
                # itself): read "2" (stamped now), queue it; later the other process lets go.
                time.sleep(0.5)
                key = events.Key("2", "2")
                loop.call_soon_threadsafe(app.post_message, key)
                time.sleep(1.0)
                holder.execute("COMMIT")
                holder.close()

            thread = threading.Thread(target=terminal)
            thread.start()
            await pilot.press("1")  # its write waits for the lock in a worker thread
            thread.join()
            # the commit lands, then the next item is shown on the UI thread: wait for both
            # (a fixed pause was too short on a loaded machine), then give a stale "2" time
            await wait_for(pilot, lambda: not screen.writer.busy, "the write to land")
            await pilot.pause(0.3)
            judged = {a.comparison_id for a in live(db)}
            assert judged == {first}, judged  # "2" was NOT stored for the next item
            assert app.session.current is not None and app.session.current.id != first
            await pilot.press("2")  # a key pressed now, on the visible item, counts
            await wait_for(pilot, lambda: len(live(db)) == 2, "second judgement")

    asyncio.run(scenario())
