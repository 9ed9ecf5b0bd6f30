"""RunMonitor: the app's one watcher of a training run, from launch to its last event.

Why it lives at app level, not in the dashboard: training goes on while the user
judges on other screens, so the stream must be read whether or not the dashboard is
showing. A thread worker (`exit_on_error=False`) tails the worker's stdout file,
folds each event into a `RunState`, and posts messages to whoever subscribed; the
high-rate one (`RunUpdated`) is replaceable, as toolong's ScanProgress is, so a busy
screen skips stale updates instead of queueing them. The state keeps the full
history, so skipping a message never loses a point of a curve.

It also decides how a run ends when the stream cannot say: cancelled by the user,
crashed or killed (stream over, no `done`: failed, with the last error lines), or
left running by a previous app (picked up on start, or marked interrupted if its
process is gone).
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from duelist.engine.application import run_launch as rl
from duelist.engine.application.run_state import RunState
from duelist.engine.runs.events import parse_event
from duelist.engine.safe_text import one_line
from duelist.store import Run, Store
from duelist.tui.text.accuracy import run_accuracy, run_warning
from textual.message import Message
from textual.worker import get_current_worker

if TYPE_CHECKING:
    import subprocess

    from textual.app import App
    from textual.message_pump import MessagePump

POLL_S = 0.1
FINAL_STATUSES = {"done", "failed", "cancelled", "interrupted"}


class RunUpdated(Message):
    """Something changed in the live run (step, eval, log). Replaceable: only the latest
    matters, the state behind it holds every point."""

    def __init__(self, run_id: int | None) -> None:
        super().__init__()
        self.run_id = run_id

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, RunUpdated) and message.run_id == self.run_id


class RunStarted(Message):
    """A run record exists and its worker process is up (or was picked up)."""

    def __init__(self, run_id: int) -> None:
        super().__init__()
        self.run_id = run_id


class RunEnded(Message):
    """The run reached a final status: done, failed, cancelled or interrupted."""

    def __init__(self, run_id: int | None, status: str) -> None:
        super().__init__()
        self.run_id = run_id
        self.status = status


class RunLaunchFailed(Message):
    """Nothing was started (too few pairs, bad form, worker not startable)."""

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message


class EventTail:
    """Incremental reader of a JSON-lines file that another process is appending to."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
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
    """The run being watched and how to tell whether its worker still lives."""

    run_id: int
    run_dir: Path
    pid: int | None
    process: subprocess.Popen[bytes] | None = None

    def alive(self) -> bool:
        if self.process is not None:
            return self.process.poll() is None
        return rl.pid_alive(self.pid, self.run_id)

    def exit_note(self) -> str:
        """Why the process ended, when we can know (only for our own child)."""
        code = self.process.returncode if self.process is not None else None
        if code is None:
            return "the worker process ended"
        if code < 0:
            with contextlib.suppress(ValueError):
                return f"the worker was killed by {signal.Signals(-code).name}"
        return f"the worker exited with code {code}"


class RunMonitor:
    """Launches, follows, cancels and recovers the project's training run."""

    def __init__(self, app: App[Any], db_path: str | Path) -> None:
        self.app = app
        self.db_path = str(db_path)
        self.state: RunState | None = None
        self.watch: Watch | None = None
        self.last_error: str | None = None
        self._cancel = threading.Event()
        self._detach = threading.Event()
        self.worker_command = rl.worker_command  # tests swap in a replaying stand-in
        self._subscribers: weakref.WeakSet[MessagePump] = weakref.WeakSet()

    # -- who hears about it -----------------------------------------------------------------
    def subscribe(self, node: MessagePump) -> None:
        self._subscribers.add(node)

    def unsubscribe(self, node: MessagePump) -> None:
        self._subscribers.discard(node)

    def _post(self, message_factory: Any) -> None:
        for node in list(self._subscribers):
            with contextlib.suppress(Exception):
                node.post_message(message_factory())

    @property
    def active(self) -> bool:
        """A run is launching or its worker is still going."""
        return self.watch is not None or self._launching

    _launching = False

    # -- launch -----------------------------------------------------------------------------
    def start(self, form: rl.TrainForm) -> bool:
        """Launch a run in the background; False if one is already going."""
        if self.active:
            return False
        self._launching = True
        self._cancel.clear()
        self._detach.clear()
        self.last_error = None
        self.state = RunState(name=rl.run_name(form), model=form.model)
        self.app.run_worker(lambda: self._launch_and_follow(form), thread=True,
                            exit_on_error=False, group="training", name="train-launch")
        return True

    def _launch_and_follow(self, form: rl.TrainForm) -> None:
        try:
            launched = rl.launch(self.db_path, form, command=self.worker_command)
        except Exception as exc:  # one line for the user, the app keeps running
            self._launching = False
            self.state = None
            self.last_error = one_line(str(exc)) or type(exc).__name__
            self._post(lambda: RunLaunchFailed(self.last_error or ""))
            return
        watch = Watch(launched.run.id, launched.run_dir, launched.process.pid, launched.process)
        self._follow(watch)

    # -- pick up a run a previous app left running ---------------------------------------------
    def recover(self) -> Run | None:
        """On app start: follow a run whose worker still lives; close the dead ones.

        Returns the run now being followed, if any. Runs on the UI thread: it only
        reads a few rows and checks pids.
        """
        followed = None
        store: Store = self.app.store  # type: ignore[attr-defined]
        for run in store.list_runs():
            if run.status not in {"queued", "running"}:
                continue
            alive = rl.pid_alive(run.pid, run.id)
            if followed is None and not self.active and alive and run.run_dir:
                followed = run
                continue
            if not alive:
                tail = rl.tail_lines(rl.stderr_path(Path(run.run_dir or ".")), 6)
                store.update_run(run.id, status="interrupted", finished_at=rl.utc_now(),
                                 error="\n".join(["the app closed and the worker is gone; "
                                                  "the run did not finish", *tail]))
        if followed is not None:
            self._cancel.clear()
            self.state = RunState(followed.id, followed.name, str(followed.config.get("model", "")))
            watch = Watch(followed.id, Path(followed.run_dir or "."), followed.pid)
            self.app.run_worker(lambda: self._follow(watch), thread=True, exit_on_error=False,
                                group="training", name="train-follow")
        return followed

    # -- follow -----------------------------------------------------------------------------
    def _follow(self, watch: Watch) -> None:
        """Tail the stream until the process is gone, then settle the run's status."""
        self.watch = watch
        self._launching = False
        state = self.state or RunState(watch.run_id)
        self.state = state
        self._post(lambda: RunStarted(watch.run_id))
        tail = EventTail(watch.run_dir / rl.STDOUT_NAME if watch.process is not None
                         else rl.stream_path(watch.run_dir))
        worker = get_current_worker()
        try:
            while True:
                if worker.is_cancelled or self._detach.is_set():  # app closing: leave the run
                    return
                alive = watch.alive()
                self._apply(state, tail.read() if alive else tail.flush(), watch.run_id)
                if not alive:
                    break
                time.sleep(POLL_S)
            self._settle(watch, state)
        except Exception as exc:  # never leave a run "running" because the reader broke
            state.finish("failed", "the app lost the worker's stream: "
                                   f"{type(exc).__name__}: {one_line(str(exc))}")
            self._post(lambda: RunEnded(watch.run_id, "failed"))
        finally:
            self.watch = None

    def _apply(self, state: RunState, events: list[dict[str, Any]], run_id: int) -> None:
        if not events:
            return
        for event in events:
            state.apply(event)
        self._post(lambda: RunUpdated(run_id))

    def _settle(self, watch: Watch, state: RunState) -> None:
        view = state.view()
        with Store.open(self.db_path) as store:
            run = store.get_run(watch.run_id)
            stored = run.status if run else None
            if self._cancel.is_set() and not view.saw_done:
                status, message = "cancelled", "cancelled by the user"
                if stored != "cancelled":
                    store.update_run(watch.run_id, status="cancelled", finished_at=rl.utc_now())
                state.finish(status, message)
            elif view.saw_done or stored == "done":
                # The worker records its own end; this is belt and braces for a lost line.
                status = "done"
                if stored != "done":
                    store.update_run(watch.run_id, status="done", finished_at=rl.utc_now(),
                                     model_dir=view.model_dir, final_metrics=view.final_metrics)
                elif not view.saw_done and run is not None:
                    state.apply({"event": "done", "model_dir": run.model_dir,
                                 "metrics": run.final_metrics})
                state.finish("done")
            else:
                stderr = [one_line(x) for x in rl.tail_lines(rl.stderr_path(watch.run_dir), 12)]
                message = view.error or f"{watch.exit_note()} before finishing"
                lines = view.error_lines or stderr
                if stored in FINAL_STATUSES:  # the worker said how it ended (failed, interrupted)
                    status = str(stored)
                    if run is not None and run.error and not view.error:
                        message = run.error.splitlines()[0]
                else:  # crashed or killed before it could say anything
                    status = "failed"
                    store.update_run(watch.run_id, status="failed", finished_at=rl.utc_now(),
                                     error="\n".join([message, *lines]))
                state.finish(status, message, lines)
        self._post(lambda: RunEnded(watch.run_id, status))
        self._notify(watch.run_id, status, state)

    def _notify(self, run_id: int, status: str, state: RunState) -> None:
        """Tell the user on whatever screen they are, the moment the run ends."""
        view = state.view()
        if status == "done":
            acc = run_accuracy(view.final_metrics)
            text = f"Run {run_id} finished" + (f": accuracy {acc}" if acc is not None else "")
            warning = run_warning(view.final_metrics)
            severity = "information"
            if warning:
                text, severity = f"{text}. {warning}", "warning"
        elif status == "cancelled":
            text, severity = f"Run {run_id} cancelled", "warning"
        else:
            text, severity = f"Run {run_id} failed: {one_line(view.error, 160)}", "error"
        with contextlib.suppress(Exception):  # notify only posts a message: thread-safe
            self.app.notify(text, severity=severity, markup=False, timeout=8)

    # -- cancel / leave ---------------------------------------------------------------------
    def cancel(self) -> bool:
        """Stop the run's whole process group (in a thread: it may wait seconds)."""
        watch = self.watch
        if watch is None:
            return False
        self._cancel.set()
        self.app.run_worker(lambda: self._stop(watch), thread=True, exit_on_error=False,
                            group="training-cancel", name="train-cancel")
        return True

    def _stop(self, watch: Watch) -> None:
        if watch.pid:
            rl.stop_process_group(watch.pid, watch.process)

    def stop_now(self, timeout_s: float = 5.0) -> None:
        """Blocking cancel, for quitting: the run is marked cancelled before we return."""
        watch = self.watch
        if watch is None:
            return
        self._cancel.set()
        self._detach.set()  # the reader stops here; this method settles the run itself
        if watch.pid:
            rl.stop_process_group(watch.pid, watch.process, grace_s=timeout_s)
        with Store.open(self.db_path) as store:
            run = store.get_run(watch.run_id)
            if run is not None and run.status not in {"done", "cancelled"}:
                store.update_run(watch.run_id, status="cancelled", finished_at=rl.utc_now())

    def leave_running(self) -> None:
        """Quit without stopping. Nothing to kill or mark: the worker has its own session
        and writes its stream to files, so it outlives the app, and the next app start
        picks it up through `recover`."""
        self._cancel.clear()
        self._detach.set()


def monitor_for(app: App[Any]) -> RunMonitor:
    """The app's single monitor, created on first use (the app need not know about it)."""
    monitor = getattr(app, "_duelist_run_monitor", None)
    if monitor is None:
        monitor = RunMonitor(app, app.store.path)  # type: ignore[attr-defined]
        app._duelist_run_monitor = monitor  # type: ignore[attr-defined]
    return monitor

