"""End to end, for real: judge with Pilot, press T, train a tiny local model, check the store.

No replay and no stand-ins: the app resolves the judgements made through its keys,
starts `python -m duelist.engine.training.worker` on a tiny BERT built from a config, follows
its stream until `done`, and the worker records run, metrics and model.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from duelist.store import NewAnnotation, Store
from duelist.tui.app import AnnotateOptions, DuelistApp
from duelist.tui.run_monitor import monitor_for
from duelist.tui.screens.choice import ChoiceScreen
from duelist.tui.screens.dashboard import DashboardScreen
from duelist.tui.screens.train_form import TrainFormScreen
from textual.widgets import Input, Static
from tiny_models import build_bert
from train_tui_helpers import add_synthetic_comparisons, wait_for

N_JUDGED = 40


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_judge_press_t_train_tiny_model_and_find_it_in_the_store(tmp_path: Path) -> None:
    model = build_bert(tmp_path / "tiny-bert")
    db_path = tmp_path / "project.db"
    better = add_synthetic_comparisons(db_path, N_JUDGED + 5)
    app = DuelistApp(db_path, AnnotateOptions(annotator="e2e", stamp_timing=False))
    async with app.run_test(size=(120, 40)) as pilot:
        session = app.session
        await wait_for(pilot, lambda: session.current is not None, what="first item")
        for _ in range(N_JUDGED):  # judgements that teach "the response saying good wins"
            item = session.current
            left = item.response_b if session.swapped(item.id) else item.response_a
            await pilot.press("left" if left == better[item.id] else "right")
            await wait_for(pilot, lambda item=item: session.current is not item, what="next item")
        assert app.store.counts().judged == N_JUDGED

        await pilot.press("T")
        await wait_for(pilot, lambda: isinstance(app.screen, TrainFormScreen), what="train form")
        form = app.screen
        for field, value in (("model", str(model)), ("epochs", "4"), ("lr", "2e-3"),
                             ("batch_size", "8"), ("max_seq_length", "64")):
            form.query_one(f"#f-{field}", Input).value = value
        await wait_for(pilot, lambda: form.pairs_ready == N_JUDGED, what="pair count")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), what="dashboard")
        monitor = monitor_for(app)
        await wait_for(pilot, lambda: monitor.state is not None and monitor.state.view().finished
                       and monitor.watch is None, timeout=400, what="training to finish")
        await pilot.pause(0.2)
        view = monitor.state.view()
        final = str(app.screen.query_one("#final", Static).render())
        assert view.status == "done", f"{view.error} {view.error_lines} {final}"
        assert "Finished" in final and "valid accuracy" in final
        assert view.train_loss[-1].value < view.train_loss[0].value  # it learned something

    with Store.open(db_path) as store:
        run = store.list_runs()[0]
        assert run.status == "done" and run.error is None
        assert run.config["model"] == str(model) and run.config["epochs"] == 4
        train = store.metrics_for_run(run.id, "train")
        evals = store.metrics_for_run(run.id, "eval")
        assert len(train) == view.total_steps and len(evals) >= 4
        assert run.final_metrics["valid_accuracy"] == view.final_metrics["valid_accuracy"]
        model_dir = Path(run.model_dir)
        assert (model_dir / "config.json").is_file() and (model_dir / "duelist.json").is_file()
        registered = [m for m in store.list_models() if m.run_id == run.id]
        assert len(registered) == 1 and registered[0].path == str(model_dir)
        assert store.current_model().id == registered[0].id  # newest successful is current
        assert model_dir.is_relative_to(db_path.parent / "runs")


def judge_all(db_path: Path, n: int) -> None:
    """n synthetic comparisons, each judged by 'e2e' for its better response."""
    better = add_synthetic_comparisons(db_path, n)
    with Store.open(db_path) as store:
        for cid, text in better.items():
            c = store.get_comparison(cid)
            store.add_annotation(NewAnnotation(cid, "e2e", "a" if c.response_a == text else "b"))


@pytest.mark.anyio
async def test_real_worker_failure_is_shown_and_recorded(tmp_path: Path) -> None:
    """A model folder that is not a model: the real worker fails with one line, the run is
    marked failed with that line, and the app keeps running."""
    db_path = tmp_path / "project.db"
    judge_all(db_path, 12)
    not_a_model = tmp_path / "not-a-model"
    not_a_model.mkdir()
    (not_a_model / "README.md").write_text("[bold]nothing here[/bold]")
    app = DuelistApp(db_path, AnnotateOptions(annotator="e2e", stamp_timing=False))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("T")
        await wait_for(pilot, lambda: isinstance(app.screen, TrainFormScreen), what="train form")
        app.screen.query_one("#f-model", Input).value = str(not_a_model)
        await wait_for(pilot, lambda: app.screen.pairs_ready == 12, what="pair count")
        await pilot.press("enter")
        monitor = monitor_for(app)
        await wait_for(pilot, lambda: monitor.state is not None and monitor.state.view().finished
                       and monitor.watch is None, timeout=300, what="the worker to fail")
        await pilot.pause(0.2)
        final = str(app.screen.query_one("#final", Static).render())
        assert "Failed" in final and str(not_a_model) in final
        await pilot.press("escape")
        assert app.is_running
    with Store.open(db_path) as store:
        run = store.list_runs()[0]
    assert run.status == "failed" and str(not_a_model) in run.error


@pytest.mark.anyio
async def test_cancel_stops_a_real_worker_and_marks_the_run_cancelled(tmp_path: Path) -> None:
    model = build_bert(tmp_path / "tiny-bert")
    db_path = tmp_path / "project.db"
    judge_all(db_path, 40)
    app = DuelistApp(db_path, AnnotateOptions(annotator="e2e", stamp_timing=False))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("T")
        await wait_for(pilot, lambda: isinstance(app.screen, TrainFormScreen), what="train form")
        form = app.screen
        for field, value in (("model", str(model)), ("epochs", "20"), ("batch_size", "2"),
                             ("max_seq_length", "64")):
            form.query_one(f"#f-{field}", Input).value = value
        await wait_for(pilot, lambda: form.pairs_ready == 40, what="pair count")
        await pilot.press("enter")
        monitor = monitor_for(app)
        await wait_for(pilot, lambda: monitor.state is not None and monitor.state.view().step >= 2,
                       timeout=300, what="training steps")
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), what="dashboard")
        pid = monitor.watch.pid
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, ChoiceScreen), what="confirm")
        await pilot.press("y")
        await wait_for(pilot, lambda: monitor.watch is None, timeout=60, what="worker to stop")
        await pilot.pause(0.2)
        view = monitor.state.view()
        assert view.status == "cancelled", f"{view.error} {view.error_lines}"
    from duelist.engine.runs.processes import pid_alive

    assert not pid_alive(pid)
    with Store.open(db_path) as store:
        run = store.list_runs()[0]
        assert run.status == "cancelled" and run.finished_at
        assert store.metrics_for_run(run.id, "train")  # what it did before is kept
        assert not [m for m in store.list_models() if m.run_id == run.id]
