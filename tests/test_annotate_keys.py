"""Pilot tests: press the annotate keys and check the rows written to SQLite."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from annotate_helpers import live, make_app, make_project, wait_for
from duelist.engine.application.annotation_session import is_swapped
from duelist.store import NewAnnotation, Store
from duelist.tui.screens.annotate import AnnotateScreen
from duelist.tui.screens.note import NoteScreen
from duelist.tui.widgets.response_panel import ResponsePanel
from duelist.tui.widgets.top_bar import TopBar
from rich.markdown import Markdown as RichMarkdown


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def screen_of(app) -> AnnotateScreen:
    assert isinstance(app.screen, AnnotateScreen)
    return app.screen


@pytest.mark.anyio
async def test_left_and_right_store_the_true_winner_with_the_swap(db_path: Path) -> None:
    ids = make_project(db_path, 12)
    swaps = {cid: is_swapped(7, "tester", cid) for cid in ids}
    assert len(set(swaps.values())) == 2, "seed 7 should give both layouts in 12 items"
    app = make_app(db_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        shown_left = {}
        for key in ["1", "a", "left", "2", "b", "right"] * 2:
            scr = screen_of(app)
            item = scr.session.current
            shown_left[item.id] = scr.query_one("#left", ResponsePanel).text
            await pilot.press(key)
        await pilot.pause()
    rows = live(db_path)
    assert len(rows) == 12
    for row, key in zip(rows, ["1", "a", "left", "2", "b", "right"] * 2, strict=True):
        picked_left = key in ("1", "a", "left")
        assert row.shown_swapped == swaps[row.comparison_id]
        true_winner = ("b" if row.shown_swapped else "a") if picked_left else (
            "a" if row.shown_swapped else "b")
        assert row.choice == true_winner
        # What was on the left really was the stored response the swap says.
        with Store.open(db_path) as store:
            comp = store.get_comparison(row.comparison_id)
        left_text = comp.response_b if row.shown_swapped else comp.response_a
        assert shown_left[row.comparison_id] == left_text


@pytest.mark.anyio
async def test_tie_both_bad_skip_and_timing(db_path: Path) -> None:
    make_project(db_path, 5)
    app = make_app(db_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for key in ("t", "x", "s"):
            await asyncio.sleep(0.06)  # the annotator reads for at least 60 ms
            await pilot.press(key)
        await pilot.pause()
    rows = live(db_path)
    assert [r.choice for r in rows] == ["tie", "both_bad", "skip"]
    assert all(r.duration_ms is not None and 60 <= r.duration_ms < 10_000 for r in rows)
    assert len({r.session_id for r in rows}) == 1


@pytest.mark.anyio
async def test_undo_steps_back_through_every_judgement(db_path: Path) -> None:
    ids = make_project(db_path, 6)
    app = make_app(db_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("1", "t", "x")
        assert screen_of(app).session.current.id == ids[3]
        await pilot.press("u")
        assert screen_of(app).session.current.id == ids[2]
        await pilot.press("u", "u")
        assert screen_of(app).session.current.id == ids[0]
        await pilot.press("u")  # nothing left to undo: stays put, nothing changes
        assert screen_of(app).session.current.id == ids[0]
        await pilot.press("2")  # judge the first item again
        await pilot.pause()
        assert screen_of(app).session.current.id == ids[1]
    every = live(db_path, include_undone=True)
    assert [(r.comparison_id, r.undone) for r in every] == [
        (ids[0], True), (ids[1], True), (ids[2], True), (ids[0], False)]
    assert len(live(db_path)) == 1


@pytest.mark.anyio
async def test_rationale_before_and_after_judging(db_path: Path) -> None:
    ids = make_project(db_path, 4)
    with Store.open(db_path) as store:  # someone else's judgement first: row ids != item ids
        store.add_annotation(NewAnnotation(comparison_id=ids[1], annotator="other", choice="a"))
    app = make_app(db_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, NoteScreen), "note dialog")
        await pilot.press(*"B cites [bold]numbers[/bold]", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, AnnotateScreen), "back")
        await pilot.press("2")  # saved together with this judgement
        await pilot.press("p", "r")  # back to it: the note is edited in place
        await wait_for(pilot, lambda: isinstance(app.screen, NoteScreen), "note dialog")
        await pilot.press(*" too", "enter")
        await pilot.pause()
        # The toast numbers the ITEM, as the header does, not the judgement's row id.
        assert app.screen.query_one(TopBar).saved == f"✓ note saved #{ids[0]}"
        await pilot.press("r", "escape")  # cancelled: nothing changes
        await pilot.pause()
    (row,) = [r for r in live(db_path) if r.annotator != "other"]
    assert row.comparison_id == ids[0] and row.id != ids[0]
    assert row.rationale == "B cites [bold]numbers[/bold] too"


@pytest.mark.anyio
async def test_next_and_previous_navigate_without_writing(db_path: Path) -> None:
    ids = make_project(db_path, 6)
    app = make_app(db_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        s = screen_of(app).session
        await pilot.press("n", "n")
        assert s.current.id == ids[2]
        await pilot.press("p")
        assert s.current.id == ids[1]
        await pilot.press("p", "p")  # at the first item: stays
        assert s.current.id == ids[0]
        assert live(db_path) == []
        await pilot.press("n", "n", "n")  # forward through history, then a new item
        assert s.current.id == ids[3]
        await pilot.press("1")
        assert s.current.id == ids[4]
        await pilot.press("p")
        assert s.current.id == ids[3]
        assert "judged: A (left)" in str(screen_of(app).query_one("#status-line").render())
        await pilot.press("t")  # re-judging replaces the old judgement
        await pilot.pause()
    every = live(db_path, include_undone=True)
    assert [(r.comparison_id, r.choice, r.undone) for r in every][-1] == (ids[3], "tie", False)
    assert [r.comparison_id for r in live(db_path)] == [ids[3]]


@pytest.mark.anyio
async def test_click_on_a_response_picks_it(db_path: Path) -> None:
    make_project(db_path, 3)
    app = make_app(db_path, randomize=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.click("#right", offset=(10, 3))
        await pilot.click("#left", offset=(10, 3))
        await pilot.pause()
    assert [(r.choice, r.shown_swapped) for r in live(db_path)] == [("b", False), ("a", False)]


@pytest.mark.anyio
async def test_already_judged_items_are_not_shown_and_progress_counts(db_path: Path) -> None:
    ids = make_project(db_path, 5)
    with Store.open(db_path) as store:
        store.add_annotation(NewAnnotation(ids[0], "tester", "a"))
        store.add_annotation(NewAnnotation(ids[1], "someone-else", "b"))
    app = make_app(db_path)
    async with app.run_test(size=(120, 40)) as pilot:
        scr = screen_of(app)
        await wait_for(pilot, lambda: scr.session.progress.total is not None, "counts")
        assert scr.session.current.id == ids[1]
        p = scr.session.progress
        assert (p.mine, p.overall, p.total) == (1, 2, 5)
        await pilot.press("1")  # ids[1] had someone else's judgement: overall stays 2
        await pilot.press("1")
        await pilot.pause()
        assert (p.mine, p.overall) == (3, 3)
        assert "3/5" in str(scr.query_one("#progress").render())
        await pilot.press("u")
        assert (p.mine, p.overall) == (2, 2)


@pytest.mark.anyio
async def test_toggles_raw_and_diff_views(db_path: Path) -> None:
    make_project(db_path, 2)
    app = make_app(db_path, randomize=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        left = app.screen.query_one("#left", ResponsePanel)
        body = left.query_one(".panel-text")
        assert isinstance(body.content, RichMarkdown)  # rich Markdown (the literal flavour)
        await pilot.press("m")
        assert left.view == "raw"
        assert str(body.content) == left.text  # the literal stored text
        await pilot.press("d")
        assert left.view == "diff"
        spans = body.content.spans
        assert spans, "differences are highlighted"
        assert {body.content.plain[s.start:s.end] for s in spans} >= {"A0", "it", "is"}
        await pilot.press("d")
        assert left.view == "markdown"


@pytest.mark.anyio
async def test_narrow_terminal_stacks_the_responses(db_path: Path) -> None:
    make_project(db_path, 2)
    for size, side_by_side in (((120, 40), True), ((80, 24), False)):
        app = make_app(db_path)
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            left = app.screen.query_one("#left").region
            right = app.screen.query_one("#right").region
            assert (left.y == right.y and left.x < right.x) is side_by_side
            assert (left.x == right.x and left.y < right.y) is not side_by_side


@pytest.mark.anyio
async def test_ack_file_lists_committed_ids(db_path: Path, tmp_path: Path, monkeypatch) -> None:
    make_project(db_path, 4)
    ack = tmp_path / "ack.txt"
    monkeypatch.setenv("DUELIST_ACK_FILE", str(ack))
    app = make_app(db_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("1", "2", "t")
        await pilot.pause()
    assert [int(x) for x in ack.read_text().split()] == [r.id for r in live(db_path)]


@pytest.mark.anyio
async def test_queue_finished_and_quit(db_path: Path) -> None:
    make_project(db_path, 2)
    app = make_app(db_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("1", "1")
        await pilot.pause()
        scr = screen_of(app)
        assert scr.session.current is None
        assert "queue finished" in str(scr.query_one("#topbar").render())
        assert scr.has_class("-finished") and "Nothing left" in str(scr.query_one("#done").render())
        await pilot.press("1")  # nothing to judge: no row, no crash
        await pilot.press("q")
        await pilot.pause()
    assert len(live(db_path)) == 2
    assert app.return_code in (0, None)


@pytest.mark.anyio
async def test_long_responses_scroll_together(db_path: Path) -> None:
    with Store.open(db_path) as store:
        from duelist.store import NewComparison

        long_a = "\n\n".join(f"paragraph A{i}" for i in range(80))
        long_b = "\n\n".join(f"paragraph B{i}" for i in range(80))
        store.insert_comparisons([NewComparison("p", long_a, long_b)])
    app = make_app(db_path, randomize=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        bodies = [app.screen.query_one(f"#{side} .panel-body") for side in ("left", "right")]
        assert all(b.virtual_size.height > b.size.height for b in bodies)
        await pilot.press("j", "j", "pagedown")
        await pilot.pause()
        assert [b.scroll_y for b in bodies] == [26, 26]
        await pilot.press("k")
        await pilot.pause()
        assert [b.scroll_y for b in bodies] == [23, 23]
        assert live(db_path) == []
