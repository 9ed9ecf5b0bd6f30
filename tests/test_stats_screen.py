"""The stats screen (key S): Pilot and snapshot tests on simulated annotators."""

from __future__ import annotations

from pathlib import Path

import pytest
from annotate_helpers import wait_for
from duelist.store import NewComparison, Store
from duelist.tui.app import AnnotateOptions, DuelistApp
from duelist.tui.screens.quality import StatsScreen
from textual.widgets import DataTable, Static

from bench.sim.annotators import SimAnnotator, populate, standard_team

SIZE = (130, 42)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _simulated(db_path: Path) -> None:
    with Store.open(db_path) as store:
        team = [*standard_team(), SimAnnotator("fay", "speeder", accuracy=0.9),
                SimAnnotator("\x1b[31mmal[bold]lory[/bold]", "accurate", accuracy=0.9)]
        populate(store, team, n_items=240, overlap=3, gold_every=8, seed=11)


def _app(db_path: Path) -> DuelistApp:
    return DuelistApp(db_path, AnnotateOptions(annotator="lead", stamp_timing=False))


@pytest.mark.anyio
async def test_key_s_opens_the_stats_and_flags_the_planted_annotators(db_path: Path) -> None:
    _simulated(db_path)
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("S")
        await wait_for(pilot, lambda: isinstance(app.screen, StatsScreen), "stats screen")
        screen = app.screen
        await wait_for(pilot, lambda: screen.data is not None, "the report")
        await pilot.pause()
        table = screen.query_one("#stats-annotators", DataTable)
        assert table.row_count == 7
        rows = {str(table.get_row_at(i)[0]): [str(c) for c in table.get_row_at(i)]
                for i in range(table.row_count)}
        assert rows["ada"][-1] == "ok" and rows["bob"][-1] == "ok"
        assert "random" in rows["cat"][-1]
        assert "left-biased" in rows["dan"][-1]
        assert "adversarial" in rows["eve"][-1]
        assert "too fast" in rows["fay"][-1]
        # An escape sequence and markup in a name are shown literally, never run.
        assert "mal[bold]lory[/bold]" in rows
        flags = str(screen.query_one("#stats-flags", Static).render())
        assert "left side" in flags and "coin" in flags
        pairs = screen.query_one("#stats-pairs", DataTable)
        assert pairs.row_count == 21  # 7 annotators -> 21 pairs
        summary = str(screen.query_one("#stats-summary", Static).render())
        assert "Fleiss kappa" in summary and "Krippendorff alpha" in summary
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, StatsScreen)


@pytest.mark.anyio
async def test_stats_screen_with_no_judgements(db_path: Path) -> None:
    with Store.open(db_path) as store:
        store.insert_comparisons([NewComparison("q", "a", "b")])
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.push_screen(StatsScreen())
        await wait_for(pilot, lambda: app.screen.data is not None, "the report")
        await pilot.pause()
        assert "No judgements yet" in str(app.screen.query_one("#stats-summary", Static).render())


def test_stats_screen_snapshot(snap_compare, db_path: Path) -> None:
    _simulated(db_path)
    app = _app(db_path)

    async def show(pilot) -> None:
        await pilot.press("S")
        await wait_for(pilot, lambda: getattr(app.screen, "data", None) is not None, "report")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=show)
