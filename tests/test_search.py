"""`/` search: the query parser, jumping on the annotate screen, and the dialog snapshot."""

from __future__ import annotations

from pathlib import Path

import pytest
from annotate_helpers import live, make_app, make_project, wait_for
from duelist.engine.application.search_query import QueryError, describe, parse_query
from duelist.store import NewAnnotation, Store
from duelist.store.review import SearchFilter
from duelist.tui.screens import app_keys as registry
from duelist.tui.screens.search import SearchScreen
from duelist.tui.screens.search_jump import next_match


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_parse_query() -> None:
    f = parse_query('"blue sky" annotator:bob status:Disputed gold:no uncertain:0.5', model_id=3)
    assert f == SearchFilter(text="blue sky", annotator="bob", status="disputed", gold=False,
                             model_id=3, uncertain_below=0.5)
    assert parse_query("just words: here") == SearchFilter(text="just words: here")
    assert describe(f) == '"blue sky", annotator bob, disputed, no gold, model margin < 0.5'
    for bad, needle in [("status:maybe", "status:maybe"), ("gold:perhaps", "gold:perhaps"),
                        ("uncertain:x", "uncertain:x"), ("uncertain:0.2", "scored model"),
                        ('"open', "cannot read"), ("annotator:", "needs a value")]:
        with pytest.raises(QueryError, match=needle):
            parse_query(bad)


def test_next_match_wraps() -> None:
    assert next_match([], 3) is None
    assert next_match([2, 5, 9], 5) == (9, 3)
    assert next_match([2, 5, 9], 9) == (2, 1)
    assert next_match([2, 5, 9], None) == (2, 1)


@pytest.mark.anyio
async def test_slash_jumps_to_matches_and_rejudging_replaces(db_path: Path) -> None:
    ids = make_project(db_path, 12)  # item i's prompt: "Question i: what is i+i?" (i % 3 != 0)
    with Store.open(db_path) as s:
        s.add_annotation(NewAnnotation(ids[7], "tester", "a"))  # judged in an earlier sitting
    app = make_app(db_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        scr = app.screen
        await pilot.press("slash")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen), "search dialog")
        await pilot.press(*"what is 7+7", "enter")
        await pilot.pause()
        assert scr.session.current.id == ids[7]
        assert "judged:" in str(scr.query_one("#status-line").render())
        await pilot.press("2")  # judge it again: replaces the earlier judgement
        await pilot.press("slash")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen), "search dialog")
        await pilot.press("ctrl+a", *"status:unjudged", "enter")
        await pilot.pause()
        first_unjudged = scr.session.current.id
        assert first_unjudged not in {a.comparison_id for a in live(db_path)}
    rows = [a for a in live(db_path) if a.comparison_id == ids[7]]
    assert len(rows) == 1  # one live judgement per annotator and item


def test_search_dialog_snapshot(snap_compare, db_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(registry, "SCREENS", [])
    make_project(db_path, 4)
    app = make_app(db_path, annotator="snap", seed=3, stamp_timing=False)

    async def run_before(pilot) -> None:
        await wait_for(pilot, lambda: app.screen.session.progress.total is not None, "counts")
        await pilot.press("slash")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen), "dialog")
        await pilot.press(*"sky status:disputed")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(110, 30), run_before=run_before)
