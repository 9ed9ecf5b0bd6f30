"""Pilot tests: the train form, the live dashboard, cancel, failure, quit and history,
driven by a recorded event stream replayed by a real child process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from duelist.engine.models.loading import embedded_minilm_path
from duelist.engine.runs.layout import PAIRS_NAME
from duelist.engine.runs.processes import pid_alive
from duelist.store import Store
from duelist.tui.app import AnnotateOptions, DuelistApp
from duelist.tui.run_monitor import monitor_for
from duelist.tui.screens.choice import ChoiceScreen
from duelist.tui.screens.dashboard import DashboardScreen
from duelist.tui.screens.history import HistoryScreen
from duelist.tui.screens.train_form import TrainFormScreen
from duelist.tui.widgets.curves import CurvePlot
from textual.widgets import DataTable, ProgressBar, Static
from textual.widgets._footer import FooterKey
from train_tui_helpers import (
    EVENTS,
    REPLAY,
    make_project,
    recorded_events,
    replay_command,
    wait_for,
)

SIZE = (120, 40)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def make_app(db_path: Path, command=None) -> DuelistApp:
    app = DuelistApp(db_path, AnnotateOptions(annotator="tester", stamp_timing=False))
    if command is not None:
        monitor_for(app).worker_command = command
    return app


def text_of(app: DuelistApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def start_training(pilot, app: DuelistApp) -> None:
    await pilot.press("T")
    await wait_for(pilot, lambda: isinstance(app.screen, TrainFormScreen), what="train form")
    form = app.screen
    await wait_for(pilot, lambda: form.pairs_ready is not None, what="pair count")
    await pilot.press("enter")


@pytest.mark.anyio
async def test_replayed_run_draws_curves_moves_progress_and_lands_in_history(db_path: Path) -> None:
    make_project(db_path)
    events = recorded_events()
    n_steps = sum(e["event"] == "step" for e in events)
    n_evals = sum(e["event"] == "eval" for e in events)
    app = make_app(db_path, replay_command(delay=0.03))
    async with app.run_test(size=SIZE) as pilot:
        await start_training(pilot, app)
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), what="dashboard")
        dash = app.screen
        seen_progress: list[float] = []
        seen_points: list[int] = []
        monitor = monitor_for(app)

        def sample() -> bool:
            bar = dash.query_one("#progress", ProgressBar)
            seen_progress.append(bar.progress)
            seen_points.append(dash.query_one("#loss-plot", CurvePlot).points_drawn)
            return monitor.state.view().finished

        await wait_for(pilot, sample, what="run to finish")
        await pilot.pause(0.2)
        view = monitor.state.view()
        assert view.status == "done"
        assert len(view.train_loss) == n_steps and len(view.eval_acc) == n_evals
        # Progress moved through intermediate values, never backwards, and ended full.
        assert len({p for p in seen_progress if 0 < p < view.total_steps}) >= 3
        assert seen_progress == sorted(seen_progress)
        assert dash.query_one("#progress", ProgressBar).progress == view.total_steps
        assert len(set(seen_points)) >= 3  # the curve grew while we watched
        assert "Finished" in text_of(app, "#final")
        assert "valid accuracy" in text_of(app, "#final")

        with Store.open(db_path) as store:
            run = store.list_runs()[0]
            assert run.status == "done" and run.n_pairs == 12
            assert Path(run.run_dir, PAIRS_NAME).read_text().count("\n") == 12
            assert Path(run.run_dir).parent == db_path.parent / "runs"

        await pilot.press("escape")
        await pilot.press("H")
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen), what="history")
        table = app.screen.query_one("#runs", DataTable)
        assert table.row_count == 1
        row = [str(c) for c in table.get_row_at(0)]
        assert row[1] == "done" and row[3] == "12"
        final = events[-1]["metrics"]  # every accuracy carries its n (issue 14, item 3)
        assert row[4] == f"{final['valid_accuracy']:.3f} n={final['valid_pairs']}"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), what="stored run")
        stored = app.screen.state.view()
        assert [p.value for p in stored.train_loss] == [e["loss"] for e in events
                                                        if e["event"] == "step"]
        assert len(stored.eval_acc) == n_evals and stored.status == "done"


@pytest.mark.anyio
async def test_cancel_stops_the_worker_group_and_marks_the_run(db_path: Path) -> None:
    make_project(db_path)
    app = make_app(db_path, replay_command("--stop-after", "20", "--hang", delay=0.01))
    async with app.run_test(size=SIZE) as pilot:
        await start_training(pilot, app)
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), what="dashboard")
        monitor = monitor_for(app)
        await wait_for(pilot, lambda: monitor.state.view().step > 5, what="some steps")
        pid = monitor.watch.pid
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, ChoiceScreen), what="confirm")
        await pilot.press("y")
        await wait_for(pilot, lambda: monitor.watch is None, what="worker gone")
        await pilot.pause(0.2)
        assert not pid_alive(pid)
        assert monitor.state.view().status == "cancelled"
        assert "Cancelled" in text_of(app, "#final")
        with Store.open(db_path) as store:
            assert store.list_runs()[0].status == "cancelled"


@pytest.mark.anyio
async def test_crashed_worker_marks_run_failed_and_shows_error_lines(db_path: Path) -> None:
    make_project(db_path)
    app = make_app(db_path, replay_command("--stop-after", "8", "--exit-code", "3"))
    async with app.run_test(size=SIZE) as pilot:
        await start_training(pilot, app)
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), what="dashboard")
        monitor = monitor_for(app)
        await wait_for(pilot, lambda: monitor.state is not None and monitor.state.view().finished,
                       what="failure")
        await pilot.pause(0.2)
        final = text_of(app, "#final")
        assert "Failed" in final and "exited with code 3" in final
        # stderr shown literally: markup brackets kept, escape sequence stripped
        assert "RuntimeError: replayed crash [bold]not markup[/bold]" in final
        assert "\x1b" not in final
        with Store.open(db_path) as store:
            run = store.list_runs()[0]
        assert run.status == "failed"
        assert "exited with code 3" in run.error and "replayed crash" in run.error
        # the app keeps running: annotate is still usable underneath
        await pilot.press("escape")
        assert app.is_running


@pytest.mark.anyio
async def test_too_few_pairs_gives_a_message_not_a_run(db_path: Path) -> None:
    make_project(db_path, n_judged=5)
    app = make_app(db_path, replay_command())
    async with app.run_test(size=SIZE) as pilot:
        await start_training(pilot, app)
        await pilot.pause(0.3)
        assert isinstance(app.screen, TrainFormScreen)
        assert "only 5 usable pairs" in text_of(app, "#train-message")
        assert "judge at least 10" in text_of(app, "#train-pairs")
    with Store.open(db_path) as store:
        assert store.list_runs() == []


@pytest.mark.anyio
async def test_bad_form_value_names_the_field(db_path: Path) -> None:
    make_project(db_path)
    app = make_app(db_path, replay_command())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("T")
        await wait_for(pilot, lambda: isinstance(app.screen, TrainFormScreen), what="form")
        app.screen.query_one("#f-epochs").value = "three"
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert "Epochs: 'three' is not a valid number" in text_of(app, "#train-message")
    with Store.open(db_path) as store:
        assert store.list_runs() == []


@pytest.mark.anyio
async def test_form_is_prefilled_from_the_last_run(db_path: Path) -> None:
    make_project(db_path)
    app = make_app(db_path, replay_command())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("T")
        await wait_for(pilot, lambda: isinstance(app.screen, TrainFormScreen), what="form")
        assert app.screen.query_one("#f-model").value == embedded_minilm_path()
        app.screen.query_one("#f-epochs").value = "7"
        app.screen.query_one("#f-lr").value = "3e-05"
        await wait_for(pilot, lambda: app.screen.pairs_ready is not None, what="pairs")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), what="dashboard")
        await wait_for(pilot, lambda: monitor_for(app).watch is None, what="run end")
    app = make_app(db_path, replay_command())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("T")
        await wait_for(pilot, lambda: isinstance(app.screen, TrainFormScreen), what="form")
        assert app.screen.query_one("#f-epochs").value == "7"
        assert app.screen.query_one("#f-lr").value == "3e-05"


@pytest.mark.anyio
async def test_quit_during_a_run_can_leave_it_running_for_the_next_start(db_path: Path) -> None:
    make_project(db_path)
    app = make_app(db_path, replay_command("--stop-after", "20", "--hang", delay=0.01))
    exit_messages: list[str] = []
    real_exit = app.exit

    def exit_spy(*args, **kwargs) -> None:
        exit_messages.append(str(kwargs.get("message") or ""))
        real_exit(*args, **kwargs)

    app.exit = exit_spy  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await start_training(pilot, app)
        monitor = monitor_for(app)
        await wait_for(pilot, lambda: monitor.watch is not None and monitor.state.view().step > 3,
                       what="steps")
        pid = monitor.watch.pid
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, ChoiceScreen), what="quit question")
        await pilot.press("l")
        await wait_for(pilot, lambda: not app.is_running, what="exit")
    # the terminal is told, once the screen is gone (issue 14, item 14)
    assert any("keeps training in the background" in m for m in exit_messages), exit_messages
    try:
        assert pid_alive(pid), "the run was left running"
        with Store.open(db_path) as store:
            assert store.list_runs()[0].status == "running"
        # The next start picks it up: curves rebuilt from its stream, cancel works.
        app = make_app(db_path)
        async with app.run_test(size=SIZE) as pilot:
            monitor = monitor_for(app)
            await wait_for(pilot, lambda: monitor.watch is not None, what="pick-up")
            await wait_for(pilot, lambda: monitor.state.view().total_steps > 0, what="replay")
            assert len(monitor.state.view().train_loss) > 3
            await pilot.press("q")
            await wait_for(pilot, lambda: isinstance(app.screen, ChoiceScreen), what="question")
            await pilot.press("s")
            await wait_for(pilot, lambda: not app.is_running, what="exit")
        assert not pid_alive(pid)
        with Store.open(db_path) as store:
            assert store.list_runs()[0].status == "cancelled"
    finally:
        if pid_alive(pid):
            os.killpg(pid, signal.SIGKILL)


@pytest.mark.anyio
async def test_a_run_whose_worker_died_while_the_app_was_closed_is_marked(db_path: Path) -> None:
    make_project(db_path)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with Store.open(db_path) as store:
        run = store.create_run("left-behind", {"model": "m"}, status="running",
                               run_dir=str(db_path.parent / "runs" / "1-left-behind"))
        store.update_run(run.id, pid=dead.pid)
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.2)
        assert monitor_for(app).watch is None
    with Store.open(db_path) as store:
        run = store.get_run(run.id)
    assert run.status == "interrupted" and "worker is gone" in run.error


def test_replay_fixture_is_a_valid_stream() -> None:
    from duelist.engine.runs.events import parse_event

    lines = EVENTS.read_text().splitlines()
    events = [parse_event(line) for line in lines]
    assert all(events), "every fixture line parses as an event"
    kinds = [e["event"] for e in events]
    assert "start" in kinds and kinds[-1] == "done" and "eval" in kinds
    assert REPLAY.exists()


@pytest.mark.anyio
async def test_history_marks_an_older_model_current_and_refuses_runs_without_one(
        db_path: Path) -> None:
    make_project(db_path)
    with Store.open(db_path) as store:
        ids = []
        for name, status in (("old", "done"), ("broken", "failed"), ("new", "done")):
            run = store.create_run(name, {"model": "m"}, status=status)
            if status == "done":
                store.register_model(str(db_path.parent / name), name, run_id=run.id)
            ids.append(run.id)
        assert store.current_model().name == "new"  # newest successful is the default
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("H")
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen), what="history")
        table = app.screen.query_one("#runs", DataTable)
        assert [str(table.get_row_at(i)[7]) for i in range(3)] == ["● current", "", ""]
        await pilot.press("down")  # the failed run
        await pilot.press("m")
        assert app.store.current_model().name == "new"
        await pilot.press("down")  # the old run
        await pilot.press("m")
        await pilot.pause(0.1)
        assert app.store.current_model().name == "old"
        assert [str(table.get_row_at(i)[7]) for i in range(3)] == ["", "", "● current"]


@pytest.mark.anyio
async def test_cancel_key_leaves_the_footer_when_the_run_ends(db_path: Path) -> None:
    """The monitor posts RunEnded before it drops its watch; the footer must not keep
    offering "c Cancel run" for a run that is over (issue 14, item 14)."""
    from duelist.tui.run_monitor import RunEnded

    make_project(db_path)
    app = make_app(db_path, replay_command(delay=0.5))
    async with app.run_test(size=SIZE) as pilot:
        await start_training(pilot, app)
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), what="dashboard")
        dash = app.screen
        monitor = monitor_for(app)
        await wait_for(pilot, lambda: monitor.watch is not None, what="watching")
        await pilot.pause(0.1)
        assert [k for k in dash.query(FooterKey) if k.key == "c"]
        dash.post_message(RunEnded(monitor.watch.run_id, "done"))  # as _settle does
        await pilot.pause(0.2)
        assert monitor.watch is not None  # the worker is still going in this test
        assert not [k for k in dash.query(FooterKey) if k.key == "c"]
        monitor.cancel()
        await wait_for(pilot, lambda: monitor.watch is None, what="cancelled")
