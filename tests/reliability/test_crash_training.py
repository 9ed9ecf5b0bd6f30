"""Crash safety of training: SIGKILL the real worker mid-run, then resume.

`duelist train --db DB` (the real console script) starts the worker process,
which trains a tiny BERT built from a config on synthetic pairs and checkpoints
every few steps. Once a checkpoint exists and training has moved past it, the
test SIGKILLs the worker (no chance to clean up) and checks what a user sees:

- the CLI ends with one line and a non-zero exit, and the run is marked failed
  (not left "running"); a run left "running" by a dead worker whose CLI or app
  is gone too is marked interrupted at the next app start;
- no model is registered and no half-written model dir sits at the output path;
- `duelist train --resume` starts from the last checkpoint (the `start` event
  says where), finishes the planned steps and registers a model that learned.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from duelist.store import Store
from tiny_models import build_bert, synthetic_pairs, write_pairs_json

from reliability._dbstate import assert_one_line

SAVE_STEPS = 4


def _duelist() -> list[str]:
    exe = Path(sys.executable).with_name("duelist")
    return [str(exe)] if exe.exists() else [shutil.which("duelist") or "duelist"]


def _train_argv(model: Path, data: Path, db: Path, *extra: str) -> list[str]:
    return [*_duelist(), "train", "--db", str(db), "--model", str(model), "--data-path", str(data),
            "--project-name", "rm", "--epochs", "4", "--batch-size", "8", "--lr", "2e-3",
            "--max-seq-length", "64", "--save-steps", str(SAVE_STEPS), "--logging-steps", "1",
            "--seed", "3", "--mixed-precision", "no", *extra]


def _checkpoints(run_dir: Path) -> list[int]:
    ckpt = run_dir / "checkpoints"
    return sorted(int(p.name.split("-")[1]) for p in ckpt.glob("checkpoint-*")) if ckpt.is_dir() else []


def _events(run_dir: Path) -> list[dict]:
    return [json.loads(x) for x in (run_dir / "events.jsonl").read_text().splitlines() if x.strip()]


@pytest.fixture(scope="module")
def killed(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("crash_train")
    model = build_bert(tmp / "tiny-bert")
    data = write_pairs_json(tmp / "pairs.json", synthetic_pairs(100, seed=5))
    proj = tmp / "proj"
    proj.mkdir()
    db = proj / "project.db"
    Store.open(db).close()
    run_dir = proj / "rm.run"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "COLUMNS": "200"}
    cli = subprocess.Popen(_train_argv(model, data, db), cwd=proj, env=env, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    worker_pid = killed_at = None
    with Store.open(db, readonly=True) as store:
        while killed_at is None:
            assert cli.poll() is None, f"train ended before the kill: {cli.communicate()}"
            assert time.monotonic() < deadline, "no checkpoint within 240 s"
            runs = store.list_runs()
            if runs and runs[0].pid:
                worker_pid = runs[0].pid
                steps = [m.step for m in store.metrics_for_run(runs[0].id, "train")]
                ckpts = _checkpoints(run_dir)
                if ckpts and steps and max(steps) >= ckpts[-1] + 2:
                    os.kill(worker_pid, signal.SIGKILL)
                    killed_at = max(steps)
            time.sleep(0.05)
    out, err = cli.communicate(timeout=60)
    start = next(e for e in _events(run_dir) if e["event"] == "start")
    return {"tmp": tmp, "proj": proj, "db": db, "model": model, "data": data, "env": env,
            "run_dir": run_dir, "worker_pid": worker_pid, "killed_at": killed_at,
            "cli": (cli.returncode, out, err), "total_steps": start["total_steps"],
            "checkpoints": _checkpoints(run_dir)}


def test_the_cli_reports_the_dead_worker_in_one_line(killed: dict) -> None:
    code, _, err = killed["cli"]
    assert code == 2
    last = err.strip().splitlines()[-1]
    assert_one_line(last, "duelist: error:", "stopped", "worker.log")
    assert "Traceback" not in err


def test_the_killed_run_is_marked_failed_and_nothing_is_registered(killed: dict) -> None:
    assert killed["killed_at"] < killed["total_steps"]
    with Store.open(killed["db"]) as store:
        run = store.list_runs()[0]
        assert run.status == "failed", run
        assert run.pid == killed["worker_pid"] and run.finished_at
        assert "before finishing" in (run.error or "")
        assert store.list_models() == [] and store.current_model() is None
    output = killed["proj"] / "rm"
    assert not output.exists(), "a model dir appeared for a run that never finished"
    beside = sorted(p.name for p in killed["proj"].iterdir())
    assert beside == ["project.db", "project.db-shm", "project.db-wal", "rm.run"] or \
        beside == ["project.db", "rm.run"], f"unexpected files in the project: {beside}"


def test_resume_continues_from_the_last_checkpoint(killed: dict) -> None:
    last_ckpt = killed["checkpoints"][-1]
    r = subprocess.run(_train_argv(killed["model"], killed["data"], killed["db"], "--resume"),
                       cwd=killed["proj"], env=killed["env"], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert f"model: {killed['proj'] / 'rm'}" in r.stdout
    events = _events(killed["run_dir"])
    start = [e for e in events if e["event"] == "start"][-1]
    assert start["resumed_at_step"] == last_ckpt
    assert start["total_steps"] == killed["total_steps"]
    done = events[-1]
    assert done["event"] == "done"
    assert done["metrics"]["steps"] == killed["total_steps"]
    assert done["metrics"]["valid_accuracy"] >= 0.75, done  # the same kind of result: it learned
    with Store.open(killed["db"]) as store:
        model = store.current_model()
        assert model is not None and model.path == str(killed["proj"] / "rm")
        assert store.get_run(model.run_id).status == "done"
        steps = [m.step for m in store.metrics_for_run(model.run_id, "train")]
        assert min(steps) == last_ckpt + 1 and max(steps) == killed["total_steps"]
    for name in ("config.json", "duelist.json", "model.safetensors"):
        assert (killed["proj"] / "rm" / name).is_file()


@pytest.mark.anyio
async def test_a_run_left_running_by_a_dead_worker_is_marked_interrupted(tmp_path: Path) -> None:
    """When the CLI or app that watched the worker died with it, nobody could record
    the end; the next app start does (pid dead -> interrupted)."""
    from duelist.tui.app import AnnotateOptions, DuelistApp

    db = tmp_path / "p.db"
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    with Store.open(db) as store:
        run = store.create_run("rm", {"model": "tiny"}, status="running", run_dir=str(tmp_path))
        store.update_run(run.id, pid=gone.pid)
    app = DuelistApp(db, AnnotateOptions(annotator="after-crash", stamp_timing=False))
    async with app.run_test(size=(100, 30)) as pilot:
        end = time.monotonic() + 15  # the pick-up runs after the first paint
        while app.store.get_run(run.id).status == "running" and time.monotonic() < end:
            await pilot.pause(0.1)
    with Store.open(db) as store:
        run = store.get_run(run.id)
        assert run.status == "interrupted" and run.finished_at
        assert "did not finish" in (run.error or "")
