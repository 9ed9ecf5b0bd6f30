"""`duelist train`'s front end: launch through the application layer, draw its events.

Why a subprocess rather than training in-process: it is the same worker, with the same
event stream, run folder and store records, that the app launches, so the CLI exercises
exactly the production path; `accelerate launch` needs a separate process anyway; and
the CLI process never imports torch, so a crash or an out-of-memory kill in training
cannot take the terminal down with a traceback. Launch (engine/application/run_launch)
and follow-and-settle (engine/application/run_follower) are the app's own; this module
only draws a Rich progress bar and says in one line how the run ended. The worker's
stderr goes to `<run_dir>/worker.log`, so the bar stays clean and a failure can point there.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from duelist.engine.application.run_follower import RunFollower
from duelist.engine.application.run_launch import launch_params
from duelist.engine.application.run_state import RunState
from duelist.engine.errors import DuelistError
from duelist.engine.runs.layout import RunLayout
from duelist.engine.runs.processes import stop_process_group
from duelist.engine.safe_text import one_line
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

STOP_GRACE_S = 30  # Ctrl+C: the worker gets this long to record "interrupted" and exit


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
    """Launch the worker on `params`, follow it; 0 when it finished."""
    run_dir = params.run_dir
    new_run_dir = not run_dir.exists()
    try:
        return _run_worker(params, db=db, console=console, out=out)
    except DuelistError as exc:
        if new_run_dir and getattr(exc, "user_error", False):
            # Bad data or settings: nothing was trained, nothing to resume, and the message
            # says it all. Leave no `<name>.run/` folder behind.
            shutil.rmtree(run_dir, ignore_errors=True)
        raise


def _run_worker(params: RewardParams, *, db: str | None, console: Console,
                out: Callable[[Text], None]) -> int:
    launched = launch_params(params, db_path=db)
    view = ProgressView(console)
    follower = RunFollower(launched.watch(), RunState(), db_path=db,
                           on_events=lambda events: [view.handle(e) for e in events])
    with view:
        try:
            follower.follow()
        except KeyboardInterrupt:
            # The worker has its own session, so Ctrl+C reached only us: stop it, and
            # let it record its own end ("interrupted") before we go.
            stop_process_group(launched.process.pid, launched.process, grace_s=STOP_GRACE_S)
            raise
    code = launched.process.wait()
    return _report(view, code, RunLayout(launched.run_dir).log, out)


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
