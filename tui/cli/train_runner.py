"""Run the training worker from the CLI and show its events as a Rich progress bar.

Why a subprocess rather than training in-process: it is the same worker, with the same
event stream and store records, that the TUI launches, so the CLI exercises exactly the
production path; `accelerate launch` needs a separate process anyway; and the CLI
process never imports torch, so a crash or an out-of-memory kill in training cannot take
the terminal UI down with a traceback. The worker's stderr goes to
`<run_dir>/worker.log`, so the progress bar stays clean and a failure can point there.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from duelist.engine.errors import DuelistError
from duelist.engine.runs.events import parse_event
from duelist.engine.safe_text import one_line
from duelist.engine.training.launch import build_worker_command, worker_args
from duelist.engine.training.params import RewardParams
from duelist.tui.text.accuracy import accuracy_text, run_warning
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text


def _fmt(value: Any, spec: str = ".4f") -> str:
    return format(value, spec) if isinstance(value, int | float) else "-"


class ProgressView:
    """Turns events into a live bar: step N/M, loss, accuracy, pairs/s."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress = Progress(
            TextColumn("[bold]training"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[stats]}"), TimeElapsedColumn(), TimeRemainingColumn(),
            console=console, transient=False)
        self.task = self.progress.add_task("train", total=None, stats="starting")
        self.last_eval: dict[str, Any] | None = None
        self.done: dict[str, Any] | None = None
        self.error: dict[str, Any] | None = None
        self.start: dict[str, Any] | None = None

    def __enter__(self) -> ProgressView:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(*exc)

    def handle(self, ev: dict[str, Any]) -> None:
        kind = ev["event"]
        if kind == "log":
            self.console.print(Text(one_line(str(ev.get("message", "")), 300), style="dim"))
        elif kind == "start":
            self.start = ev
            self.progress.update(self.task, total=ev.get("total_steps"),
                                 completed=ev.get("resumed_at_step") or 0,
                                 stats=f"{ev.get('n_train')} pairs")
        elif kind == "step":
            stats = (f"loss {_fmt(ev.get('loss'))}  acc {_fmt(ev.get('accuracy'), '.3f')}  "
                     f"{_fmt(ev.get('pairs_per_s'), '.1f')} pairs/s")
            self.progress.update(self.task, completed=ev.get("step"),
                                 total=ev.get("total_steps"), stats=stats)
        elif kind == "eval":
            self.last_eval = ev
            if ev.get("final"):
                return  # the summary line reports the final model's validation metrics
            self.console.print(Text(
                f"eval  step {ev.get('step')}  epoch {_fmt(ev.get('epoch'), '.2f')}  "
                f"loss {_fmt(ev.get('loss'))}  accuracy {_fmt(ev.get('accuracy'), '.3f')}  "
                f"margin {_fmt(ev.get('margin'), '.3f')}"))
        elif kind == "done":
            self.done = ev
            total = self.progress.tasks[0].total
            if total:
                self.progress.update(self.task, completed=total)
        elif kind == "error":
            self.error = ev


def run_training(params: RewardParams, *, db: str | None, console: Console,
                 out: Callable[[Text], None]) -> int:
    """Write params into the run dir, start the worker, follow it; 0 when it finished."""
    run_dir = params.run_dir
    new_run_dir = not run_dir.exists()
    run_dir.mkdir(parents=True, exist_ok=True)
    try:
        return _run_worker(params, run_dir, db=db, console=console, out=out)
    except DuelistError as exc:
        if new_run_dir and getattr(exc, "user_error", False):
            # Bad data or settings: nothing was trained, nothing to resume, and the message
            # says it all. Leave no `<name>.run/` folder behind.
            shutil.rmtree(run_dir, ignore_errors=True)
        raise


def _run_worker(params: RewardParams, run_dir: Path, *, db: str | None, console: Console,
                out: Callable[[Text], None]) -> int:
    params_file = run_dir / "params.json"
    params_file.write_text(params.to_json(), encoding="utf-8")
    log_path = run_dir / "worker.log"
    cmd = build_worker_command(worker_args(params_file, db=db),
                               num_processes=params.num_processes,
                               accelerate_config=params.accelerate_config)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "TOKENIZERS_PARALLELISM": "false"}
    view = ProgressView(console)
    with log_path.open("a", encoding="utf-8") as log, view:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True, env=env,
                                bufsize=1)
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                ev = parse_event(line)
                if ev is not None:
                    view.handle(ev)
            code = proc.wait()
        except KeyboardInterrupt:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
            raise
    if view.done is None and view.error is None:
        _close_dead_run(db, view, proc.pid, code)
    if view.done is None:
        _mark_failed(db, view, code)
    return _report(view, code, log_path, out)


def _mark_failed(db: str | None, view: ProgressView, code: int) -> None:
    """A stream that ended without `done` is a failed run, even if the worker could not say so."""
    run_id = (view.error or view.start or {}).get("run_id")
    if not db or run_id is None:
        return
    from duelist.store import Store

    with Store.open(db) as store:
        run = store.get_run(int(run_id))
        if run is not None and run.status in ("queued", "running"):
            store.update_run(run.id, status="failed",
                             error=f"worker exited with status {code} without finishing")


def _close_dead_run(db: str | None, view: ProgressView, pid: int, code: int) -> None:
    """The worker died without a word (SIGKILL, the OOM killer): it could not record
    its own end, so record it here. A run must never stay 'running' with nothing
    behind it; a later `--resume` starts a new run from the last checkpoint."""
    if not db:
        return
    from duelist.engine.runs.recorder import now_iso
    from duelist.store import Store, StoreError

    run_id = (view.start or {}).get("run_id")
    with contextlib.suppress(StoreError), Store.open(db) as store:
        runs = [store.get_run(run_id)] if run_id is not None else \
            [r for r in store.list_runs(status="running") if r.pid == pid]
        for run in runs:
            if run is not None and run.status in ("queued", "running"):
                store.update_run(run.id, status="failed", finished_at=now_iso(),
                                 error=f"the training worker stopped (exit status {code}) "
                                       "before finishing")


def _report(view: ProgressView, code: int, log_path: Path, out: Callable[[Text], None]) -> int:
    if view.done is not None:
        m = view.done.get("metrics", {})
        start = view.start or {}
        lines = [f"model: {view.done.get('model_dir')}"]
        if "valid_accuracy" in m:
            acc = accuracy_text(m["valid_accuracy"], m.get("valid_pairs"))
            lines.append(f"validation accuracy {acc}, margin {m.get('valid_margin', 0):.3f}")
        lines.append(f"trained {start.get('n_train', '?')} pairs, "
                     f"{m.get('train_pairs_per_s', 0):.1f} pairs/s, "
                     f"{start.get('n_truncated', 0)} truncated to fit, "
                     f"{view.done.get('duration_s', 0):.0f}s in all")
        for line in lines:
            out(Text(line))
        warning = run_warning(m)
        if warning:
            out(Text(warning, style="bold yellow"))
        return 0
    if view.error is not None:
        message = one_line(str(view.error.get("message", "training failed")), 400)
        if view.error.get("kind") in ("user", "params"):
            err = DuelistError(message)
            err.user_error = True  # type: ignore[attr-defined]
            raise err
        if view.error.get("kind") == "interrupted":
            raise KeyboardInterrupt
        raise DuelistError(f"training failed: {message} (details in {log_path})")
    raise DuelistError(f"the training worker stopped (exit status {code}) before finishing; "
                       f"details in {log_path}")
