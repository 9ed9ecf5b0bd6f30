"""RunMonitor: the app's one watcher of a training run, from launch to its last event.

Why it lives at app level, not in the dashboard: training goes on while the user
judges on other screens, so the stream must be read whether or not the dashboard is
showing. It is a thin Textual wrapper around the application layer's RunFollower
(engine/application/run_follower.py), which `duelist train` uses too: the follower
tails the stream, folds events into a `RunState` and settles the run; this module
runs it in a thread worker (`exit_on_error=False`) and turns what happens into
messages. The high-rate one (`RunUpdated`) is replaceable, as toolong's ScanProgress
is, so a busy screen skips stale updates instead of queueing them. The state keeps
the full history, so skipping a message never loses a point of a curve.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

from duelist.engine.application import run_launch as rl
from duelist.engine.application.run_follower import (
    RunFollower,
    Watch,
    cancel_now,
    recover_runs,
)
from duelist.engine.application.run_state import RunState
from duelist.engine.runs.processes import stop_process_group
from duelist.engine.safe_text import one_line
from duelist.store import Run, Store
from duelist.tui.text.accuracy import run_accuracy, run_warning
from textual.message import Message
from textual.worker import get_current_worker

if TYPE_CHECKING:
    from textual.app import App
    from textual.message_pump import MessagePump

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
        self._follow(launched.watch())

    # -- pick up a run a previous app left running ---------------------------------------------
    def recover(self) -> Run | None:
        """On app start: follow a run whose worker still lives; close the dead ones.

        Returns the run now being followed, if any. Runs on the UI thread: it only
        reads a few rows and checks pids.
        """
        store: Store = self.app.store  # type: ignore[attr-defined]
        followed = recover_runs(store, may_follow=not self.active)
        if followed is not None:
            self._cancel.clear()
            self.state = RunState(followed.id, followed.name, str(followed.config.get("model", "")))
            watch = Watch(followed.id, Path(followed.run_dir or "."), followed.pid)
            self.app.run_worker(lambda: self._follow(watch), thread=True, exit_on_error=False,
                                group="training", name="train-follow")
        return followed

    # -- follow -----------------------------------------------------------------------------
    def _follow(self, watch: Watch) -> None:
        """Follow the run in this thread until its worker is gone; tell subscribers."""
        self.watch = watch
        self._launching = False
        state = self.state or RunState(watch.run_id)
        self.state = state
        run_id = watch.run_id
        self._post(lambda: RunStarted(run_id))
        follower = RunFollower(watch, state, db_path=self.db_path,
                               on_events=lambda _events: self._post(lambda: RunUpdated(run_id)),
                               cancelled=self._cancel, detached=self._detach)
        worker = get_current_worker()
        try:
            status = follower.follow(lambda: worker.is_cancelled)  # cancelled: the app closes
            if status is None:  # leave the run to its worker
                return
            self._post(lambda: RunEnded(run_id, status))
            self._notify(run_id, status, state)
        except Exception as exc:  # never leave a run "running" because the reader broke
            state.finish("failed", "the app lost the worker's stream: "
                                   f"{type(exc).__name__}: {one_line(str(exc))}")
            self._post(lambda: RunEnded(run_id, "failed"))
        finally:
            self.watch = None

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
            stop_process_group(watch.pid, watch.process)

    def stop_now(self, timeout_s: float = 5.0) -> None:
        """Blocking cancel, for quitting: the run is marked cancelled before we return."""
        watch = self.watch
        if watch is None:
            return
        self._cancel.set()
        self._detach.set()  # the follower stops here; cancel_now settles the run itself
        cancel_now(self.db_path, watch, timeout_s)

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

