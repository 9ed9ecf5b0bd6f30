"""Pilot and snapshot tests of graded picks: `!`/`@` then 1-3; plain 1/2 unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest
from annotate_helpers import live, make_app, make_project, wait_for
from duelist.engine.application.annotation_session import is_swapped
from duelist.tui.screens import app_keys as registry
from duelist.tui.screens.strength import StrengthScreen


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_graded_picks_store_the_strength_and_plain_keys_stay_one_key(db_path: Path) -> None:
    ids = make_project(db_path, 6)
    app = make_app(db_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("1")  # plain: one key, no dialog, ungraded
        assert not isinstance(app.screen, StrengthScreen)
        await pilot.press("exclamation_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, StrengthScreen), "strength dialog")
        await pilot.press("3")
        await pilot.press("at", "1")
        await pilot.press("at", "escape")  # cancelled: nothing saved, same item stays
        await pilot.pause()
        assert not isinstance(app.screen, StrengthScreen)
        await pilot.press("exclamation_mark", "2")
        await pilot.pause()
    rows = live(db_path)
    assert len(rows) == 4
    left = {cid: "b" if is_swapped(7, "tester", cid) else "a" for cid in ids}
    right = {cid: "a" if v == "b" else "b" for cid, v in left.items()}
    got = [(r.comparison_id, r.choice, r.strength) for r in rows]
    assert got == [(ids[0], left[ids[0]], None), (ids[1], left[ids[1]], 3),
                   (ids[2], right[ids[2]], 1), (ids[3], left[ids[3]], 2)]


@pytest.mark.anyio
async def test_status_line_shows_the_strength_after_going_back(db_path: Path) -> None:
    make_project(db_path, 4)
    app = make_app(db_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("exclamation_mark", "3", "p")
        await pilot.pause()
        status = str(app.screen.query_one("#status-line").render())
        assert "much better" in status


def test_strength_dialog_snapshot(snap_compare, db_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(registry, "SCREENS", [])
    make_project(db_path, 4)
    app = make_app(db_path, annotator="snap", seed=3, stamp_timing=False)

    async def run_before(pilot) -> None:
        await wait_for(pilot, lambda: app.screen.session.progress.total is not None, "counts")
        await pilot.press("at")
        await wait_for(pilot, lambda: isinstance(app.screen, StrengthScreen), "dialog")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)
