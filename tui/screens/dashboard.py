"""The training dashboard: live loss and accuracy curves, progress, lr, worker log.

Why it only renders: the app's `RunMonitor` reads the worker's stream whether or
not this screen is open; this screen subscribes while mounted and redraws from a
`RunState` snapshot on each (replaceable) update. Given a fixed state instead, it
shows a finished run from the history, drawn the same way.

All text that comes from the worker (log lines, errors, model names) is cleaned
and rendered as `Text`, never parsed as markup.
"""

from __future__ import annotations

import time
from typing import ClassVar

from duelist.engine.application.run_state import RunState, RunView, model_label
from duelist.engine.safe_text import one_line
from duelist.tui.run_monitor import (
    RunEnded,
    RunLaunchFailed,
    RunMonitor,
    RunStarted,
    RunUpdated,
    monitor_for,
)
from duelist.tui.screens.choice import ChoiceScreen
from duelist.tui.text.accuracy import accuracy_text, held_out, run_warning
from duelist.tui.widgets.curves import CurvePlot, Series
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, ProgressBar, Static

LOG_LINES = 8
STATUS_STYLE = {"running": "bold cyan", "starting": "bold cyan", "done": "bold green",
                "failed": "bold red", "cancelled": "bold yellow", "interrupted": "bold yellow"}
# Final metrics worth a name of their own, in the order shown; others follow sorted.
KNOWN_METRICS = [("valid_accuracy", "valid accuracy"), ("eval_accuracy", "valid accuracy"),
                 ("valid_loss", "valid loss"), ("eval_loss", "valid loss"),
                 ("valid_margin", "valid margin"), ("train_loss", "train loss"),
                 ("train_pairs_per_s", "pairs/s"), ("pairs_per_s", "pairs/s")]
# Bookkeeping numbers not worth a place on the one-line summary.
HIDDEN_METRICS = {"train_runtime_s", "duration_s", "steps", "valid_pairs", "epochs_completed",
                  "train_cpu_s"}


def fmt_duration(seconds: float | None) -> str:
    """12s, 3m05s, 1h02m: short, and stable (no wall clock) for snapshots."""
    if seconds is None:
        return "-"
    s = round(max(0.0, seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{(s % 3600) // 60:02d}m"


def fmt_metric(value: object, name: str = "") -> str:
    if isinstance(value, int | float) and "accuracy" in name:
        return f"{value:.3f}"
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    return one_line(str(value), 60)


class DashboardScreen(Screen[None]):
    """Live view of the current run, or a stored run when given its state."""

    CSS_PATH = "../styles/dashboard.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("c", "cancel_run", "Cancel run"),
    ]

    def __init__(self, state: RunState | None = None) -> None:
        super().__init__()
        self.fixed_state = state
        self._ended = False
        self._drawn_version = -1

    @property
    def monitor(self) -> RunMonitor:
        return monitor_for(self.app)

    @property
    def state(self) -> RunState | None:
        return self.fixed_state or self.monitor.state

    @property
    def live(self) -> bool:
        return self.fixed_state is None

    def compose(self) -> ComposeResult:
        yield Static(id="run-title")
        with Horizontal(id="curves"):
            yield CurvePlot("Loss", id="loss-plot")
            yield CurvePlot("Accuracy", y_range=(0.0, 1.0), id="acc-plot")
        with Vertical(id="progress-box"):
            yield ProgressBar(total=None, show_eta=False, id="progress")
            yield Static(id="progress-line")
        yield Static(id="final")
        yield Static(id="log")
        yield Footer()

    def on_mount(self) -> None:
        if self.live:
            self.monitor.subscribe(self)
            # Between events (a model loading takes a while) the clock keeps moving, so
            # a slow step never looks like a hang. Only while a worker process is being
            # followed: a stored or replayed state stays wall-clock free.
            self.set_interval(1.0, self._tick)
        self.redraw(force=True)

    def _tick(self) -> None:
        state = self.state
        if state is None or self.monitor.watch is None:
            return
        view = state.view()
        if not view.finished:
            self.query_one("#progress-line", Static).update(self._progress_line(view, live=True))

    def on_unmount(self) -> None:
        if self.live:
            self.monitor.unsubscribe(self)

    # -- messages from the monitor ----------------------------------------------------------
    def on_run_updated(self, message: RunUpdated) -> None:
        self.redraw()

    def on_run_started(self, message: RunStarted) -> None:
        self._ended = False
        self.redraw(force=True)
        self.refresh_bindings()

    def on_run_ended(self, message: RunEnded) -> None:
        # The monitor posts RunEnded before it drops its watch, so check_action must not
        # rely on the watch alone: "c Cancel run" stayed in the footer (issue 14, item 14).
        self._ended = True
        self.redraw(force=True)
        self.refresh_bindings()

    def on_run_launch_failed(self, message: RunLaunchFailed) -> None:
        self.query_one("#final", Static).update(
            Text.assemble(("Could not start: ", "bold red"), one_line(message.message, 400)))

    # -- drawing ----------------------------------------------------------------------------
    def redraw(self, force: bool = False) -> None:
        state = self.state
        if state is None:
            self.query_one("#run-title", Static).update(
                Text("No training run yet. Press T to train a reward model."))
            return
        view = state.view()
        if view.version == self._drawn_version and not force:
            return
        self._drawn_version = view.version
        self.query_one("#run-title", Static).update(self._title(view))
        self.query_one("#loss-plot", CurvePlot).set_series(
            [Series("train", view.train_loss, "cyan"),
             Series("valid", view.eval_loss, "orange")], view.total_steps)
        self.query_one("#acc-plot", CurvePlot).set_series(
            [Series("train", view.train_acc, "cyan"),
             Series("valid", view.eval_acc, "orange")], view.total_steps)
        bar = self.query_one("#progress", ProgressBar)
        if view.total_steps:
            bar.update(total=view.total_steps, progress=view.total_steps * view.fraction)
        ticking = self.live and self.monitor.watch is not None
        self.query_one("#progress-line", Static).update(self._progress_line(view, ticking))
        self.query_one("#final", Static).update(self._final(view))
        self.query_one("#log", Static).update(self._log(view))

    def _title(self, v: RunView) -> Text:
        model = model_label(v.model)
        return Text.assemble(
            (f"Run {v.run_id if v.run_id is not None else '…'}", "bold"), " · ",
            one_line(v.name, 60), " · ", (v.status, STATUS_STYLE.get(v.status, "bold")),
            " · model: ", one_line(model, 60))

    def _progress_line(self, v: RunView, live: bool = False) -> Text:
        parts = [f"step {v.step}/{v.total_steps or '?'}"]
        if v.epochs:
            parts.append(f"epoch {v.epoch:.2f}/{v.epochs:g}")
        if not v.finished:
            parts.append(f"ETA {fmt_duration(v.eta_s)}")
        if v.pairs_per_s is not None:
            parts.append(f"{v.pairs_per_s:.1f} pairs/s")
        if v.lr is not None:
            parts.append(f"lr {v.lr:.2e}")
        elapsed = v.elapsed_s
        if live and v.received_at is not None:
            elapsed += time.monotonic() - v.received_at
        parts.append(f"elapsed {fmt_duration(elapsed)}")
        if v.n_train:
            pairs = f"{v.n_train} train / {v.n_valid} valid pairs"
            if v.n_truncated:
                pairs += f" ({v.n_truncated} truncated)"
            parts.append(pairs)
        return Text("  ·  ".join(parts))

    def _final(self, v: RunView) -> Text:
        if v.status == "done":
            shown = dict(v.final_metrics)
            items = [(label, shown.pop(key)) for key, label in KNOWN_METRICS if key in shown]
            items += [(k, val) for k, val in sorted(shown.items())
                      if isinstance(val, int | float) and not isinstance(val, bool)
                      and k not in HIDDEN_METRICS][:4]
            text = Text("Finished  ", style="bold green")
            found = held_out(v.final_metrics)
            text.append("  ".join(
                f"{label} {accuracy_text(*found) if found and 'accuracy' in label else fmt_metric(val, label)}"
                for label, val in items))
            if v.duration_s is not None:
                text.append(f"  ·  took {fmt_duration(v.duration_s)}")
            if v.model_dir:
                text.append("\nmodel: ")
                text.append(one_line(v.model_dir, 300))
            warning = run_warning(v.final_metrics)
            if warning:
                text.append("\n" + warning, style="bold yellow")
            return text
        if v.status in {"failed", "cancelled", "interrupted"}:
            style = "bold red" if v.status == "failed" else "bold yellow"
            text = Text(f"{v.status.capitalize()}: ", style=style)
            text.append(one_line(v.error or "", 400))
            for line in v.error_lines[-6:]:
                text.append("\n  " + one_line(line, 300), style="red")
            return text
        return Text("")

    def _log(self, v: RunView) -> Text:
        lines = [one_line(line, 300) for line in v.logs[-LOG_LINES:]]
        return Text("\n".join(lines) if lines else "(no log lines yet)", style="dim")

    # -- keys -------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_run":
            return self.live and self.monitor.watch is not None and not self._ended
        return True

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_cancel_run(self) -> None:
        if not (self.live and self.monitor.watch is not None and not self._ended):
            return
        run_id = self.monitor.watch.run_id

        def answered(value: str | None) -> None:
            if value == "stop":
                self.monitor.cancel()
                self.notify(f"Stopping run {run_id}…", markup=False)

        self.app.push_screen(ChoiceScreen(
            f"Stop run {run_id}? Its progress so far is lost; the judgements stay.",
            [("y", "Stop the run", "stop")]), answered)
