"""Following a training run to its end, for both front ends: the app's RunMonitor and
`duelist train`. Textual-free and Rich-free: the callers only draw.

Who writes a run's status. The worker owns it (engine/training/worker.py: running,
then done, failed or interrupted, with their times), because it is the process that
does the work and it outlives the app that started it. `mark_run` below is the
single exception, and every other status write in the project goes through it:

- a worker that died before it could write its own end (SIGKILL, the OOM killer, a
  crash in the interpreter): `settle` marks it failed, with the reason and the last
  lines of its log;
- a launch that failed before the worker started: `run_launch` marks it failed;
- a run the user cancelled: `settle` and `cancel_now` mark it cancelled (the worker,
  stopped by SIGTERM, says "interrupted"; the user's word is the truer one);
- a run left by a previous session whose worker is gone: `recover_runs` marks it
  interrupted.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from duelist.engine.application.run_state import RunState
from duelist.engine.runs.clock import utc_now
from duelist.engine.runs.events import parse_event
from duelist.engine.runs.layout import log_tail, stream_path
from duelist.engine.runs.processes import pid_alive, stop_process_group
from duelist.engine.safe_text import one_line
from duelist.store import Run, Store

POLL_S = 0.1
FINAL_STATUSES = {"done", "failed", "cancelled", "interrupted"}
OPEN_STATUSES = {"queued", "running"}


class EventTail:
    """Incremental reader of a JSON-lines file that another process is appending to."""

    def __init__(self, path: Path, offset: int = 0) -> None:
        self.path = path
        self.offset = offset  # a resumed run appends to its folder's stream: skip the old part
        self._partial = b""

    def read(self) -> list[dict[str, Any]]:
        try:
            with self.path.open("rb") as fh:
                fh.seek(self.offset)
                data = fh.read()
        except FileNotFoundError:
            return []
        self.offset += len(data)
        data = self._partial + data
        lines = data.split(b"\n")
        self._partial = lines.pop()
        events = []
        for raw in lines:
            event = parse_event(raw.decode("utf-8", errors="replace"))
            if event is not None:
                events.append(event)
        return events

    def flush(self) -> list[dict[str, Any]]:
        """Also parse a last line the worker wrote without its newline."""
        events = self.read()
        if self._partial:
            event = parse_event(self._partial.decode("utf-8", errors="replace"))
            self._partial = b""
            if event is not None:
                events.append(event)
        return events


@dataclass
class Watch:
    """The run being followed, where its stream is, and how to tell its worker lives.

    `process` is set when we started the worker (our child: its exit code is known);
    a run picked up from a previous session has only its pid.
    """

    run_id: int | None
    run_dir: Path
    pid: int | None
    process: subprocess.Popen[bytes] | None = None
    stream: Path | None = None  # None: find it in run_dir (runs from older layouts too)
    offset: int = 0

    def alive(self) -> bool:
        if self.process is not None:
            return self.process.poll() is None
        return pid_alive(self.pid, self.run_id)

    def tail(self) -> EventTail:
        return EventTail(self.stream or stream_path(self.run_dir), self.offset)

    def exit_note(self) -> str:
        """Why the process ended, when we can know (only for our own child)."""
        code = self.process.returncode if self.process is not None else None
        if code is None:
            return "the worker process ended"
        if code < 0:
            with contextlib.suppress(ValueError):
                return f"the worker was killed by {signal.Signals(-code).name}"
        return f"the worker exited with code {code}"


def mark_run(store: Store, run_id: int, status: str, *, error: str | None = None,
             **fields: Any) -> Run:
    """The single exception to "the worker owns a run's status" (see the module doc):
    end a run the worker could not end itself, stamped with the one run clock."""
    values: dict[str, Any] = {"status": status, "finished_at": utc_now(), **fields}
    if error is not None:
        values["error"] = error
    return store.update_run(run_id, **values)


class RunFollower:
    """Tails one run's stream into a RunState until its worker is gone, then settles it.

    `on_events` hears every batch of new events (the app posts a message, the CLI
    moves its progress bar). `cancel()` says the user asked to stop, so the end is
    "cancelled"; `detach()` stops following without settling (the app quits and
    leaves the run going).
    """

    def __init__(self, watch: Watch, state: RunState, *, db_path: str | Path | None,
                 on_events: Callable[[list[dict[str, Any]]], None] | None = None,
                 cancelled: threading.Event | None = None,
                 detached: threading.Event | None = None) -> None:
        self.watch = watch
        self.state = state
        self.db_path = db_path
        self.on_events = on_events
        # The caller may own these: the app can be asked to cancel or quit while the
        # launch is still starting the worker, before there is a follower to tell.
        self.cancelled = cancelled or threading.Event()
        self.detached = detached or threading.Event()

    def cancel(self) -> None:
        self.cancelled.set()

    def detach(self) -> None:
        self.detached.set()

    def follow(self, should_stop: Callable[[], bool] = lambda: False) -> str | None:
        """Follow to the end and return the run's final status; None when detached."""
        tail = self.watch.tail()
        while True:
            if should_stop() or self.detached.is_set():
                return None
            alive = self.watch.alive()
            events = tail.read() if alive else tail.flush()
            if events:
                for event in events:
                    self.state.apply(event)
                if self.on_events is not None:
                    self.on_events(events)
            if not alive:
                return self.settle()
            time.sleep(POLL_S)

    def settle(self) -> str:
        """Decide how the run ended, record it where the worker could not, finish the state."""
        watch, state = self.watch, self.state
        view = state.view()
        run_id = watch.run_id if watch.run_id is not None else view.run_id
        opened = Store.open(self.db_path) if self.db_path and run_id is not None else None
        with opened or contextlib.nullcontext() as store:
            run = store.get_run(run_id) if store is not None else None
            stored = run.status if run else None
            if self.cancelled.is_set() and not view.saw_done:
                if store is not None and stored != "cancelled":
                    mark_run(store, run_id, "cancelled")
                state.finish("cancelled", "cancelled by the user")
                return "cancelled"
            if view.saw_done or stored == "done":
                # The worker records its own end; this is belt and braces for a lost line.
                if store is not None and stored != "done":
                    mark_run(store, run_id, "done", model_dir=view.model_dir,
                             final_metrics=view.final_metrics)
                elif not view.saw_done and run is not None:
                    state.apply({"event": "done", "model_dir": run.model_dir,
                                 "metrics": run.final_metrics})
                state.finish("done")
                return "done"
            stderr = [one_line(x) for x in log_tail(watch.run_dir, 12)]
            message = view.error or f"{watch.exit_note()} before finishing"
            lines = view.error_lines or stderr
            status = "failed"
            if stored in FINAL_STATUSES:  # the worker said how it ended (failed, interrupted)
                status = str(stored)
                if run is not None and run.error and not view.error:
                    message = run.error.splitlines()[0]
            elif store is not None:  # crashed or killed before it could say anything
                mark_run(store, run_id, "failed", error="\n".join([message, *lines]))
            state.finish(status, message, lines)
            return status


def cancel_now(db_path: str | Path, watch: Watch, timeout_s: float = 5.0) -> None:
    """Stop the worker's process group and mark the run cancelled before returning
    (quitting the app: there is no follower left to settle it)."""
    if watch.pid:
        stop_process_group(watch.pid, watch.process, grace_s=timeout_s)
    if watch.run_id is None:
        return
    with Store.open(db_path) as store:
        run = store.get_run(watch.run_id)
        if run is not None and run.status not in {"done", "cancelled"}:
            mark_run(store, watch.run_id, "cancelled")


def recover_runs(store: Store, *, may_follow: bool) -> Run | None:
    """Runs a previous session left open: return one whose worker still lives (to
    follow, when `may_follow`), and mark those whose worker is gone interrupted."""
    followed = None
    for run in store.list_runs():
        if run.status not in OPEN_STATUSES:
            continue
        alive = pid_alive(run.pid, run.id)
        if followed is None and may_follow and alive and run.run_dir:
            followed = run
            continue
        if not alive:
            tail = log_tail(Path(run.run_dir or "."), 6)
            mark_run(store, run.id, "interrupted",
                     error="\n".join(["the app closed and the worker is gone; "
                                      "the run did not finish", *tail]))
    return followed
