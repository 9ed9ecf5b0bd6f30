"""Round two, item 10 (TUI part): while another PROCESS holds `BEGIN EXCLUSIVE` on the
real database file, the annotate screen stays live and says it is waiting for the
database; the judgement lands on the item that was on screen once the lock clears,
and no key pressed during the wait judges an item the annotator had not seen."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from annotate_helpers import live, make_app, make_project, wait_for
from duelist.store import connection
from duelist.tui.widgets.top_bar import TopBar

from reliability._lock_holder import painted_then_locked


def header(app) -> TopBar:
    return app.screen.query_one(TopBar)


def test_lock_wait_is_shown_and_the_judgement_lands_on_the_item_on_screen(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    make_project(db, n=4)
    app = make_app(db)

    async def scenario() -> None:
        async with app.run_test() as pilot, painted_then_locked(app, pilot, db) as (first, holder):
            screen = app.screen
            await pilot.press("1")  # returns at once: the write waits in a worker
            await wait_for(pilot, lambda: "waiting for the database" in header(app).waiting,
                           "the waiting message", timeout=5)
            assert "locked by another process" in header(app).waiting
            assert f"#{first} not saved yet" in header(app).waiting
            # updated while waiting: the seconds count goes up
            await wait_for(pilot, lambda: "waiting for the database (locked by another "
                           "process) 2 s" in header(app).waiting, "the count to reach 2 s")
            # the screen is live: the judged item is still the one shown, nothing stored
            assert app.session.current.id == first
            assert f"#{first}" in header(app).info
            assert live(db) == []
            # keys during the wait are dropped, not queued for the next item
            for key in ("2", "t", "u", "n", "p"):
                await pilot.press(key)
            await pilot.pause(0.2)
            assert screen.writer.busy
            await asyncio.to_thread(holder.release)
            await wait_for(pilot, lambda: not screen.writer.busy, "the write to land")
            await pilot.pause(0.3)
            rows = live(db)
            assert [r.comparison_id for r in rows] == [first]  # only "1", on the first item
            assert header(app).waiting == ""
            assert header(app).saved == f"✓ saved #{first}"
            second = app.session.current.id
            assert second != first and f"#{second}" in header(app).info
            await pilot.press("2")  # pressed with the second item on screen: it counts
            await wait_for(pilot, lambda: len(live(db)) == 2, "the second judgement")
            assert [r.comparison_id for r in live(db)] == [first, second]

    asyncio.run(scenario())


def test_a_lock_longer_than_the_store_retries_is_waited_for_not_dropped(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The store gives up after its retries (minutes by default; here ~0.3 s). The
    judgement is kept and written once the lock clears, and the app keeps running."""
    db = tmp_path / "x.db"
    make_project(db, n=3)
    monkeypatch.setattr(connection, "WRITE_RETRIES", 2)
    app = make_app(db)
    app.store.db.conn.execute("PRAGMA busy_timeout=100")

    async def scenario() -> None:
        async with app.run_test() as pilot, painted_then_locked(app, pilot, db) as (first, holder):
            screen = app.screen
            await pilot.press("2")
            # several rounds of "store gave up" pass while the message stays up
            end = time.monotonic() + 2.0
            while time.monotonic() < end:
                await pilot.pause(0.1)
            assert screen.writer.busy and "waiting for the database" in header(app).waiting
            assert live(db) == []
            await asyncio.to_thread(holder.release)
            await wait_for(pilot, lambda: len(live(db)) == 1, "the judgement")
            assert live(db)[0].comparison_id == first and live(db)[0].choice in ("a", "b")
            await wait_for(pilot, lambda: header(app).waiting == "", "the message to clear")
            assert app.is_running

    asyncio.run(scenario())


def test_quit_during_a_lock_wait_saves_first(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    make_project(db, n=3)
    app = make_app(db)

    async def scenario() -> None:
        async with app.run_test() as pilot, painted_then_locked(app, pilot, db) as (first, holder):
            await pilot.press("1")
            await pilot.press("q")
            await pilot.pause(0.5)
            assert app.is_running  # it waits for the judgement, it does not drop it
            await asyncio.to_thread(holder.release)
            await wait_for(pilot, lambda: not app.is_running, "the app to quit", timeout=10)
        assert [r.comparison_id for r in live(db)] == [first]

    asyncio.run(scenario())
