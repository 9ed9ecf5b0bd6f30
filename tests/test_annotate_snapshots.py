"""Snapshot tests of the annotate screen (wide and narrow), help and guidelines.

Deterministic: fixed annotator and seed, a fixed guidelines file, the screen
registry pinned to a known list (other screens come and go), and the counts
worker awaited before the picture is taken. No timing is drawn on screen.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from annotate_helpers import make_app, make_project, wait_for
from duelist.tui.screens import app_keys as registry
from duelist.tui.screens.guidelines import GuidelinesScreen
from duelist.tui.screens.help import HelpScreen

GUIDE = Path(__file__).parent / "fixtures" / "annotate_guidelines.md"
PINNED = [
    registry.AppScreen("T", "train", "Train a reward model", "x:y"),
    registry.AppScreen("H", "runs", "Training runs and models", "x:y"),
]


@pytest.fixture
def app(db_path: Path, monkeypatch):
    monkeypatch.setattr(registry, "SCREENS", PINNED)
    make_project(db_path, 8)
    return make_app(db_path, annotator="snap", seed=3, stamp_timing=False,
                    guidelines=str(GUIDE))


def ready(app, *keys: str, screen: type | None = None):
    async def run_before(pilot) -> None:
        scr = app.screen
        await wait_for(pilot, lambda: scr.session.progress.total is not None, "counts")
        await pilot.press(*keys)
        if screen is not None:
            await wait_for(pilot, lambda: isinstance(app.screen, screen), screen.__name__)
        await pilot.pause()
    return run_before


def test_annotate_wide(snap_compare, app) -> None:
    # Item 1 is a multi-turn dialogue with folded history; n then p comes back to it.
    assert snap_compare(app, terminal_size=(120, 40), run_before=ready(app, "n", "p"))


def test_annotate_narrow_stacked(snap_compare, app) -> None:
    assert snap_compare(app, terminal_size=(80, 24), run_before=ready(app, "2"))


def test_annotate_diff_view(snap_compare, app) -> None:
    assert snap_compare(app, terminal_size=(120, 40), run_before=ready(app, "1", "d"))


def test_help_screen(snap_compare, app) -> None:
    assert snap_compare(app, terminal_size=(120, 40),
                        run_before=ready(app, "question_mark", screen=HelpScreen))


def test_guidelines_screen(snap_compare, app) -> None:
    assert snap_compare(app, terminal_size=(120, 40),
                        run_before=ready(app, "g", screen=GuidelinesScreen))
