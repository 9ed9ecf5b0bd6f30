"""Pilot and snapshot tests of the review screen and `duelist review`'s app."""

from __future__ import annotations

from pathlib import Path

import pytest
from annotate_helpers import make_app, wait_for
from duelist.engine.preferences.resolve import resolve_pairs
from duelist.store import NewAnnotation, NewComparison, Store
from duelist.tui.review_app import ReviewApp
from duelist.tui.screens.note import NoteScreen
from duelist.tui.screens.review import ReviewScreen
from duelist.tui.screens.search import SearchScreen
from duelist.tui.screens.strength import StrengthScreen
from textual.widgets import DataTable


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _project(db_path: Path) -> None:
    with Store.open(db_path) as s:
        s.insert_comparisons([
            NewComparison("Capital of France?", "Paris", "Lyon", gold="a"),
            NewComparison("2+2?", "4", "5"),
            NewComparison("Sky colour? \x1b[31m[red]x[/red]", "blue", "green"),
        ])
        s.add_annotations_bulk([
            NewAnnotation(1, "ann", "a", strength=2), NewAnnotation(1, "bob", "b",
                                                                  rationale="Lyon is bigger"),
            NewAnnotation(2, "ann", "a"), NewAnnotation(2, "bob", "a"),
            NewAnnotation(3, "ann", "a", strength=3), NewAnnotation(3, "[b]bob[/b]", "tie"),
        ])


def _app(db_path: Path, query: str = "") -> tuple[ReviewApp, Store]:
    store = Store.open(db_path)
    return ReviewApp(store, "lead", query), store


def _detail_text(scr: ReviewScreen) -> str:
    from rich.console import Console

    console = Console(width=120, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(scr._detail(scr.item))
    return console.export_text()


@pytest.mark.anyio
async def test_review_lists_disputes_and_records_decisions(db_path: Path) -> None:
    _project(db_path)
    app, store = _app(db_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen), "review screen")
        scr = app.screen
        assert scr.ids == [1, 3]  # 2 is unanimous
        shown = _detail_text(scr)
        assert "Lyon is bigger" in shown and "A, clearly better" in shown and "bob" in shown
        await pilot.press("2")  # B wins on #1, cursor moves to #3
        await pilot.pause()
        assert scr.item.comparison.id == 3
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, NoteScreen), "note")
        await pilot.press(*"A is right", "enter")
        await pilot.press("exclamation_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, StrengthScreen), "strength")
        await pilot.press("3")
        await pilot.pause()
    adj = store.latest_adjudications()
    assert (adj[1].choice, adj[1].strength, adj[1].adjudicator) == ("b", None, "lead")
    assert (adj[3].choice, adj[3].strength, adj[3].note) == ("a", 3, "A is right")
    pairs = {p.comparison_id: p for p in resolve_pairs(store, "adjudicated").pairs}
    assert pairs[1].chosen == "Lyon" and pairs[3].margin == pytest.approx(1.0)
    store.close()


@pytest.mark.anyio
async def test_undo_and_search(db_path: Path) -> None:
    _project(db_path)
    app, store = _app(db_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen), "review screen")
        scr = app.screen
        await pilot.press("t", "up", "u")
        await pilot.pause()
        assert store.latest_adjudications() == {}
        await pilot.press("slash")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen), "search")
        await pilot.press(*"sky", "enter")
        await pilot.pause()
        assert scr.ids == [3]
        await pilot.press("slash")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen), "search")
        await pilot.press("ctrl+a", *"status:nonsense", "enter")  # a bad line: notice, no change
        await pilot.pause()
        assert scr.ids == [3]
        assert scr.query_one("#review-list", DataTable).row_count == 1
    store.close()


@pytest.mark.anyio
async def test_key_v_opens_review_from_the_annotate_app(db_path: Path) -> None:
    _project(db_path)
    app = make_app(db_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        await pilot.press("V")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen), "review screen")
        await pilot.press("1")
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ReviewScreen)
    with Store.open(db_path) as s:
        assert s.latest_adjudications()[1].adjudicator == "tester"


def test_review_snapshot(snap_compare, db_path: Path) -> None:
    _project(db_path)
    with Store.open(db_path) as s, s.transaction():  # a fixed time: the picture must not change
        s.db.execute("UPDATE annotations SET created_at = '2026-01-02T03:04:05.000Z'")
    app, _ = _app(db_path)

    async def run_before(pilot) -> None:
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen), "review screen")
        await pilot.press("down")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(130, 36), run_before=run_before)
