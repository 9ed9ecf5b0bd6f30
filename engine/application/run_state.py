"""RunState: everything the dashboard shows about one training run, built from events.

Why a plain model, apart from the widgets: the event-reading thread applies events
here (under a lock) and the dashboard only re-reads a snapshot when told something
changed. A dashboard opened late, or a run picked up after a restart, or a finished
run re-opened from the history (built from stored metrics) all render the same way.

No Textual, no torch: this module is imported by tests and the CLI alike.
"""

from __future__ import annotations

import copy
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from duelist.store import Run, RunMetric

LOG_TAIL = 200
ERROR_TAIL = 12


@dataclass(slots=True)
class Point:
    """One point of a curve: x is the optimizer step, y a loss or an accuracy."""

    step: int
    value: float


@dataclass
class RunView:
    """A consistent copy of a run's state, safe to read on the UI thread."""

    run_id: int | None = None
    name: str = ""
    model: str = ""
    status: str = "starting"
    total_steps: int = 0
    epochs: float = 0.0
    n_train: int = 0
    n_valid: int = 0
    n_truncated: int = 0
    step: int = 0
    epoch: float = 0.0
    lr: float | None = None
    pairs_per_s: float | None = None
    eta_s: float | None = None
    elapsed_s: float = 0.0
    received_at: float | None = None  # time.monotonic() when the newest event arrived
    train_loss: list[Point] = field(default_factory=list)
    train_acc: list[Point] = field(default_factory=list)
    eval_loss: list[Point] = field(default_factory=list)
    eval_acc: list[Point] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)
    final_metrics: dict[str, Any] = field(default_factory=dict)
    model_dir: str | None = None
    duration_s: float | None = None
    error: str | None = None
    error_lines: list[str] = field(default_factory=list)
    saw_done: bool = False
    version: int = 0

    @property
    def fraction(self) -> float:
        """Progress in [0, 1]; a finished run is complete whatever its step count."""
        if self.saw_done:
            return 1.0
        return min(1.0, self.step / self.total_steps) if self.total_steps else 0.0

    @property
    def finished(self) -> bool:
        return self.status in {"done", "failed", "cancelled", "interrupted"}


class RunState:
    """Thread-safe accumulator of one run's events (see engine/runs/events.py)."""

    def __init__(self, run_id: int | None = None, name: str = "", model: str = "") -> None:
        self._lock = threading.Lock()
        self._view = RunView(run_id=run_id, name=name, model=model)
        self._logs: deque[str] = deque(maxlen=LOG_TAIL)

    # -- writing (any thread) ---------------------------------------------------------------
    def apply(self, event: dict[str, Any]) -> str:
        """Fold one parsed event into the state; returns its type."""
        kind = str(event.get("event", ""))
        with self._lock:
            v = self._view
            t = _num(event.get("t"))
            if t is not None:
                v.elapsed_s = max(v.elapsed_s, t)
                v.received_at = time.monotonic()
            handler = getattr(self, f"_on_{kind}", None)
            if handler is not None:
                handler(v, event)
            v.version += 1
        return kind

    def _on_start(self, v: RunView, e: dict[str, Any]) -> None:
        v.status = "running"
        v.run_id = e.get("run_id", v.run_id)
        v.total_steps = int(_num(e.get("total_steps")) or 0)
        v.epochs = float(_num(e.get("epochs")) or 0.0)
        v.n_train = int(_num(e.get("n_train")) or 0)
        v.n_valid = int(_num(e.get("n_valid")) or 0)
        v.n_truncated = int(_num(e.get("n_truncated")) or 0)
        if e.get("model"):
            v.model = str(e["model"])

    def _on_step(self, v: RunView, e: dict[str, Any]) -> None:
        v.status = "running" if v.status == "starting" else v.status
        step = int(_num(e.get("step")) or 0)
        v.step = max(v.step, step)
        v.epoch = float(_num(e.get("epoch")) or v.epoch)
        for attr in ("lr", "pairs_per_s", "eta_s"):
            value = _num(e.get(attr))
            if value is not None:
                setattr(v, attr, value)
        _add(v.train_loss, step, e.get("loss"))
        _add(v.train_acc, step, e.get("accuracy"))

    def _on_eval(self, v: RunView, e: dict[str, Any]) -> None:
        step = int(_num(e.get("step")) or v.step)
        _add(v.eval_loss, step, e.get("loss"))
        _add(v.eval_acc, step, e.get("accuracy"))

    def _on_log(self, v: RunView, e: dict[str, Any]) -> None:
        self._logs.append(str(e.get("message", "")))

    def _on_done(self, v: RunView, e: dict[str, Any]) -> None:
        v.saw_done = True
        v.status = "done"
        v.step = max(v.step, v.total_steps)
        v.eta_s = 0.0
        v.model_dir = e.get("model_dir")
        metrics = e.get("metrics")
        v.final_metrics = dict(metrics) if isinstance(metrics, dict) else {}
        v.duration_s = _num(e.get("duration_s"))

    def _on_error(self, v: RunView, e: dict[str, Any]) -> None:
        if e.get("kind") == "interrupted":  # a cancel or Ctrl+C the user asked for: no error
            self._logs.append(f"stopped: {e.get('message') or 'on request'}")
            return
        v.error = str(e.get("message") or "the worker reported an error")
        tail = e.get("traceback_tail") or []
        if isinstance(tail, str):
            tail = tail.splitlines()
        v.error_lines = [str(x) for x in tail][-ERROR_TAIL:]
        self._logs.append(f"error: {v.error}")

    def finish(self, status: str, error: str | None = None,
               error_lines: list[str] | None = None) -> None:
        """Close the run from outside the stream (cancel, crash, stream ended early)."""
        with self._lock:
            v = self._view
            v.status = status
            if error and not v.error:
                v.error = error
            if error_lines:
                v.error_lines = list(error_lines)[-ERROR_TAIL:]
            v.version += 1

    # -- reading (UI thread) ----------------------------------------------------------------
    def view(self) -> RunView:
        with self._lock:
            snap = copy.copy(self._view)
            for name in ("train_loss", "train_acc", "eval_loss", "eval_acc", "error_lines"):
                setattr(snap, name, list(getattr(self._view, name)))
            snap.final_metrics = dict(self._view.final_metrics)
            snap.logs = list(self._logs)
            return snap

    @property
    def version(self) -> int:
        with self._lock:
            return self._view.version

    # -- from the store ---------------------------------------------------------------------
    @classmethod
    def from_stored(cls, run: Run, metrics: list[RunMetric]) -> RunState:
        """Rebuild a finished (or interrupted) run's curves from its stored metrics."""
        config = run.config or {}
        state = cls(run.id, run.name, str(config.get("model", "")))
        v = state._view
        for m in metrics:
            if m.split == "train":
                _add(v.train_loss, m.step, m.loss)
                _add(v.train_acc, m.step, m.accuracy)
                v.step = max(v.step, m.step)
                v.epoch = m.epoch if m.epoch is not None else v.epoch
                v.lr = m.lr if m.lr is not None else v.lr
                v.pairs_per_s = m.pairs_per_s if m.pairs_per_s is not None else v.pairs_per_s
                v.elapsed_s = m.elapsed_s if m.elapsed_s is not None else v.elapsed_s
            else:
                _add(v.eval_loss, m.step, m.loss)
                _add(v.eval_acc, m.step, m.accuracy)
        v.status = run.status
        v.total_steps = int(config.get("total_steps") or v.step)
        v.epochs = float(config.get("epochs") or 0.0)
        v.final_metrics = dict(run.final_metrics or {})
        v.n_valid = int(config.get("n_valid") or v.final_metrics.get("valid_pairs") or 0)
        # run.n_pairs counts every pair the run used, validation included
        v.n_train = int(config.get("n_train") or max(0, (run.n_pairs or 0) - v.n_valid))
        v.model_dir = run.model_dir
        v.saw_done = run.status == "done"
        v.duration_s = _num(v.final_metrics.get("duration_s")) or seconds_between(
            run.started_at or run.created_at, run.finished_at)
        v.logs = []
        state._logs.append("(a stored run: curves rebuilt from its saved metrics)")
        if run.error:
            lines = run.error.splitlines()
            v.error = lines[0] if lines else run.error
            v.error_lines = lines[1:][-ERROR_TAIL:]
        v.version = 1
        return state


def seconds_between(start: str | None, end: str | None) -> float | None:
    """Seconds between two store timestamps (ISO 8601, Z), or None if either is missing."""
    if not start or not end:
        return None
    try:
        a = datetime.fromisoformat(start.replace("Z", "+00:00"))
        b = datetime.fromisoformat(end.replace("Z", "+00:00"))
    except ValueError:
        return None
    return max(0.0, (b - a).total_seconds())


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value) if value == value else None  # NaN -> None
    return None


def _add(points: list[Point], step: int, value: Any) -> None:
    y = _num(value)
    if y is not None:
        points.append(Point(int(step), y))


def model_label(model: str | None) -> str:
    """A short name for a model path or hub id (the embedded MiniLM's dir is just 'model')."""
    if not model:
        return "?"
    base = model.rstrip("/").replace("\\", "/").rsplit("/", 1)[-1] or model
    if base == "model" and "minilm" in model.lower():
        return "all-MiniLM-L6-v2"
    return base


def final_accuracy(metrics: dict[str, Any]) -> float | None:
    """The run's headline accuracy: validation if it had one, else training."""
    for key in ("eval_accuracy", "valid_accuracy", "accuracy", "train_accuracy"):
        value = _num(metrics.get(key))
        if value is not None:
            return value
    return None
