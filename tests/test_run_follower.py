"""One follower settles a run for both front ends; one clock; one layout; the form's bounds
are RewardParams's.

A killed worker is a real child process (tests/fixtures/replay_worker.py, replaying a
recorded stream into a real SQLite project and then hanging) killed with SIGKILL, so
it cannot record its own end. `mark_run` is wrapped (still doing its real write) to
count who ends the run, and how often.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from duelist.engine.application import run_follower
from duelist.engine.application import run_launch as rl
from duelist.engine.errors import DuelistError, ParamsError
from duelist.engine.runs.clock import utc_now
from duelist.engine.runs.layout import (
    EVENTS_NAME,
    LOG_NAME,
    PARAMS_NAME,
    STREAM_NAME,
    RunLayout,
    stream_path,
)
from duelist.engine.training.params import RewardParams
from duelist.store import Store
from train_tui_helpers import make_project, replay_command, wait_for

STORE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
CRASH_AFTER = ("--stop-after", "6", "--hang")  # six events, then nothing until killed


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def marks(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, str]]:
    """Every status write made outside the worker, as (run id, status)."""
    seen: list[tuple[int, str]] = []
    real = run_follower.mark_run

    def counted(store: Store, run_id: int, status: str, **kw: Any) -> Any:
        seen.append((run_id, status))
        return real(store, run_id, status, **kw)

    monkeypatch.setattr(run_follower, "mark_run", counted)
    return seen


def _kill_when_running(db_path: Path, timeout: float = 30.0) -> int:
    """SIGKILL the run's worker once it has recorded a step (no chance to clean up)."""
    deadline = time.monotonic() + timeout
    with Store.open(db_path, readonly=True) as store:
        while time.monotonic() < deadline:
            runs = store.list_runs()
            if runs and runs[0].pid and store.metrics_for_run(runs[0].id, "train"):
                os.kill(runs[0].pid, signal.SIGKILL)
                return runs[0].id
            time.sleep(0.05)
    raise AssertionError("the worker never recorded a step")


def _assert_settled_once_as_killed(db_path: Path, run_id: int,
                                   marks: list[tuple[int, str]]) -> None:
    assert marks == [(run_id, "failed")]
    with Store.open(db_path) as store:
        run = store.get_run(run_id)
    assert run.status == "failed" and STORE_TIME.match(run.finished_at or "")
    assert "killed by SIGKILL before finishing" in run.error


def test_the_cli_path_settles_a_killed_worker_once_through_the_follower(
        db_path: Path, tmp_path: Path, marks: list, monkeypatch: pytest.MonkeyPatch) -> None:
    """`duelist train`'s runner: launch through run_launch, settle through the follower."""
    from duelist.tui.cli.train_runner import run_training
    from rich.console import Console

    Store.open(db_path).close()
    replay = replay_command(*CRASH_AFTER)
    monkeypatch.setattr(rl, "worker_command",
                        lambda db, run_id, params_path, **_: replay(db, run_id, params_path))
    params = RewardParams(model="m", project_root=str(tmp_path), project_name="rm")
    outcome: dict[str, BaseException] = {}

    def train() -> None:
        try:
            with open(os.devnull, "w") as quiet:
                run_training(params, db=str(db_path), console=Console(file=quiet),
                             out=lambda _text: None)
        except BaseException as exc:  # the test reads it below
            outcome["error"] = exc

    thread = threading.Thread(target=train)
    thread.start()
    run_id = _kill_when_running(db_path)
    thread.join(timeout=30)
    assert not thread.is_alive()
    error = outcome.get("error")
    assert isinstance(error, DuelistError) and "before finishing" in str(error)
    assert LOG_NAME in str(error)
    _assert_settled_once_as_killed(db_path, run_id, marks)
    folder = tmp_path / "rm.run"
    with Store.open(db_path) as store:
        assert store.get_run(run_id).run_dir == str(folder)
    assert {PARAMS_NAME, STREAM_NAME, LOG_NAME} <= {p.name for p in folder.iterdir()}


@pytest.mark.anyio
async def test_the_app_settles_a_killed_worker_once_through_the_follower(
        db_path: Path, marks: list) -> None:
    from duelist.tui.app import AnnotateOptions, DuelistApp
    from duelist.tui.run_monitor import monitor_for

    make_project(db_path)
    app = DuelistApp(db_path, AnnotateOptions(annotator="tester", stamp_timing=False))
    monitor = monitor_for(app)
    monitor.worker_command = replay_command(*CRASH_AFTER)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.3)  # the app's pick-up of earlier runs happens after first paint
        assert monitor.start(rl.TrainForm(model="m"))
        await wait_for(pilot, lambda: monitor.watch is not None, what="the worker")
        run_id = await asyncio.to_thread(_kill_when_running, db_path)
        await wait_for(pilot, lambda: monitor.watch is None, what="the follower to settle")
        view = monitor.state.view()
        assert view.status == "failed" and "killed by SIGKILL" in (view.error or "")
    _assert_settled_once_as_killed(db_path, run_id, marks)


def test_a_launch_that_fails_before_the_worker_is_marked_once(db_path: Path,
                                                              marks: list) -> None:
    make_project(db_path)

    def missing(db, run_id, params):
        return [str(db_path.parent / "no-such-python"), "-m", "x"]

    with pytest.raises(OSError):
        rl.launch(db_path, rl.TrainForm(model="m"), command=missing)
    with Store.open(db_path) as store:
        (run,) = store.list_runs()
    assert marks == [(run.id, "failed")] and STORE_TIME.match(run.finished_at or "")
    assert "could not start the worker" in (run.error or "")  # failed, not left queued


def test_a_dead_run_from_a_previous_session_is_marked_interrupted_once(
        db_path: Path, marks: list) -> None:
    with Store.open(db_path) as store:
        run = store.create_run("left", {"model": "m"}, status="running", run_dir="/nowhere")
        store.update_run(run.id, pid=2**22 + 12345)  # no such process
        assert run_follower.recover_runs(store, may_follow=True) is None
        assert run_follower.recover_runs(store, may_follow=True) is None  # nothing left open
        assert store.get_run(run.id).status == "interrupted"
    assert marks == [(run.id, "interrupted")]


@pytest.mark.parametrize("bad", [dict(epochs=0), dict(epochs=1001), dict(lr=1.5),
                                 dict(batch_size=5000), dict(max_seq_length=4),
                                 dict(max_seq_length=40_000), dict(valid_split=0.95)])
def test_a_form_value_out_of_reward_params_bounds_gets_reward_params_message(bad: dict) -> None:
    with pytest.raises(ParamsError) as engine:
        RewardParams(model="m", **bad)
    with pytest.raises(ParamsError) as form:
        rl.TrainForm(model="m", **bad).check()
    assert str(engine.value) in str(form.value)


def test_the_worker_and_the_follower_stamp_times_alike(tmp_path: Path) -> None:
    from duelist.engine.runs.recorder import RunRecorder

    assert STORE_TIME.match(utc_now())
    db = tmp_path / "p.db"
    with Store.open(db) as store:
        run = store.create_run("r", {}, status="queued")
    with open(os.devnull, "w") as quiet:
        recorder = RunRecorder(quiet, None, db=str(db), run_id=run.id)
        recorder.begin("r", {}, tmp_path)
        recorder.fail("boom")
        recorder.close()
    with Store.open(db) as store:
        stored = store.get_run(run.id)
    assert STORE_TIME.match(stored.started_at) and STORE_TIME.match(stored.finished_at)
    assert len(stored.created_at) == len(utc_now())  # the store's own created_at format


def test_the_stream_is_found_in_the_layout_and_in_old_folders(tmp_path: Path) -> None:
    new = RunLayout(tmp_path / "new")
    new.folder.mkdir()
    new.stream.write_text("")
    (new.folder / "model.run").mkdir()
    (new.folder / "model.run" / EVENTS_NAME).write_text("")
    assert stream_path(new.folder) == new.stream
    old_app = tmp_path / "1-old" / "model.run"  # the worker used to record this folder
    old_app.mkdir(parents=True)
    (old_app.parent / STREAM_NAME).write_text("")
    assert stream_path(old_app) == old_app.parent / STREAM_NAME
    old_cli = tmp_path / "rm.run"  # `duelist train` piped its stdout away
    old_cli.mkdir()
    (old_cli / EVENTS_NAME).write_text("")
    assert stream_path(old_cli) == old_cli / EVENTS_NAME
