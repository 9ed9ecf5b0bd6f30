"""Rank screen items of issue 14 (item 10): Esc while typing, F4 with one model, the
current model's name, and results that no longer match the inputs."""

from __future__ import annotations

from pathlib import Path

import pytest
from annotate_helpers import wait_for
from duelist.engine.application.model_choice import model_name
from duelist.store import NewComparison, Store
from duelist.tui.app import AnnotateOptions, DuelistApp
from duelist.tui.screens.annotate import AnnotateScreen
from duelist.tui.screens.rank import RankScreen
from textual.widgets import TextArea


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_a_tui_run_model_is_named_by_its_run_folder() -> None:
    assert model_name("model", "/p/runs/4-minilm-e3/model") == "4-minilm-e3"
    assert model_name("tiny", "/x/rm") == "tiny"


@pytest.mark.anyio
async def test_extra_escape_while_typing_does_not_judge(db_path: Path) -> None:
    with Store.open(db_path) as store:
        store.insert_comparisons([NewComparison("p", "a", "b"), NewComparison("q", "c", "d")])
    app = DuelistApp(db_path, AnnotateOptions(annotator="t", stamp_timing=False))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, RankScreen), what="rank")
        screen = app.screen
        await pilot.press("h", "i")
        assert screen.query_one("#rank-prompt", TextArea).text == "hi"
        await pilot.press("escape")  # leaves the box, not the screen
        await pilot.pause()
        assert isinstance(app.screen, RankScreen) and app.focused is None
        await pilot.press("t", "s")  # typed on: no tie, no skip recorded
        await pilot.pause()
        with Store.open(db_path) as store:
            assert store.annotations_for(annotator="t") == []
        await pilot.press("f4")  # no model at all: says so
        await pilot.pause()
        assert any("F4 switches" in str(n.message) for n in app._notifications)
        # stale results go when the inputs change (typed, or loaded with F2/F3)
        screen.ranked = ["stale"]
        screen.query_one("#rank-prompt", TextArea).focus()
        await pilot.press("x")
        await pilot.pause()
        assert screen.ranked == []
        screen.ranked = ["stale"]
        screen.fill("loaded prompt", ["r1", "r2"])
        assert screen.ranked == []
        await pilot.press("escape")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, AnnotateScreen)


@pytest.mark.anyio
async def test_file_dialog_keeps_a_bad_path_and_f6_walks_the_prompts(db_path: Path,
                                                                      tmp_path: Path) -> None:
    import json

    from duelist.tui.screens.rank_pick import FilePrompt
    from textual.widgets import Input, Label

    with Store.open(db_path) as store:
        store.insert_comparisons([NewComparison("p", "a", "b")])
    good = tmp_path / "cands.jsonl"
    good.write_text("\n".join(json.dumps({"prompt": f"prompt {i}", "responses": ["x", "y"]})
                              for i in range(3)))
    app = DuelistApp(db_path, AnnotateOptions(annotator="t", stamp_timing=False))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, RankScreen), what="rank")
        screen = app.screen
        await pilot.press("f3")
        await pilot.pause()
        typed = str(tmp_path / "cands.jsnl")  # a typo
        app.screen.query_one(Input).value = typed
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, FilePrompt), "a bad path closed the dialog"
        assert app.screen.query_one(Input).value == typed
        assert "cands.jsnl" in str(app.screen.query_one("#rank-file-error", Label).render())
        app.screen.query_one(Input).value = str(good)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RankScreen)
        assert screen.inputs()[0] == "prompt 0"
        await pilot.press("f6")
        await pilot.pause()
        assert screen.inputs()[0] == "prompt 1"
        await pilot.press("f6", "f6")
        await pilot.pause()
        assert screen.inputs()[0] == "prompt 0"  # wraps around
