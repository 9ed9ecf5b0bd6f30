"""Run history (key H): every training run, its curves again, and the current model.

Why it reads the store, not the monitor: history must show runs from earlier
sittings and from `duelist train` on the command line alike. Opening a run rebuilds
its curves from the stored per-step metrics, drawn by the same dashboard screen.
The newest successful model is current by default (the engine registers it so);
`m` makes the selected run's model the current one instead.
"""

from __future__ import annotations

from typing import ClassVar

from duelist.engine.application.run_state import (
    RunState,
    final_accuracy,
    model_label,
    seconds_between,
)
from duelist.engine.safe_text import one_line
from duelist.store import ModelRecord, Run
from duelist.tui.run_monitor import RunEnded, RunStarted, monitor_for
from duelist.tui.screens.dashboard import STATUS_STYLE, fmt_duration
from duelist.tui.text.accuracy import held_out, run_accuracy, run_warning, short_accuracy
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

COLUMNS = ("Run", "Status", "Model", "Pairs", "Accuracy", "Duration", "Started", "Current")


def run_duration(run: Run) -> float | None:
    """Seconds from start (or creation) to finish; None while unfinished."""
    return seconds_between(run.started_at or run.created_at, run.finished_at)


class HistoryScreen(Screen[None]):
    """A table of runs; Enter opens a run's curves, m marks its model current."""

    CSS_PATH = "../styles/history.tcss"
    HELP_TITLE = "Run history"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("enter", "open_run", "Curves"),
        Binding("m", "make_current", "Make model current"),
        Binding("f5", "reload", "Reload", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Static(Text("Training runs", style="bold"), id="history-title")
        yield DataTable(id="runs", cursor_type="row", zebra_stripes=True)
        yield Static(id="history-detail")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#runs", DataTable)
        for col in COLUMNS:
            table.add_column(col, key=col.lower())
        monitor_for(self.app).subscribe(self)
        self.action_reload()
        table.focus()

    def on_unmount(self) -> None:
        monitor_for(self.app).unsubscribe(self)

    def on_run_started(self, message: RunStarted) -> None:
        self.action_reload()

    def on_run_ended(self, message: RunEnded) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        store = self.app.store
        runs = store.list_runs()
        models = {m.run_id: m for m in reversed(store.list_models()) if m.run_id is not None}
        current = store.current_model()
        table = self.query_one("#runs", DataTable)
        keep = table.cursor_row
        table.clear()
        for run in runs:
            table.add_row(*self._cells(run, models.get(run.id), current), key=str(run.id))
        if runs:
            table.move_cursor(row=min(max(keep, 0), len(runs) - 1))
        self._detail()

    def _cells(self, run: Run, model: ModelRecord | None,
               current: ModelRecord | None) -> list[Text]:
        found = held_out(run.final_metrics)
        acc_cell = short_accuracy(*found) if found else short_accuracy(
            final_accuracy(run.final_metrics), None)
        is_current = model is not None and current is not None and model.id == current.id
        return [
            Text(str(run.id), justify="right"),
            Text(run.status, style=STATUS_STYLE.get(run.status, "")),
            # a CLI run without --model trained the embedded default (config says None)
            Text(one_line(model_label(str(run.config.get("model") or "all-MiniLM-L6-v2")), 40)),
            Text(str(run.n_pairs) if run.n_pairs is not None else "-", justify="right"),
            Text(acc_cell, justify="right"),
            Text(fmt_duration(run_duration(run)) if run.finished_at else "-", justify="right"),
            Text((run.started_at or run.created_at or "")[:16].replace("T", " ")),
            Text("● current" if is_current else "", style="bold green"),
        ]

    def selected_run(self) -> Run | None:
        table = self.query_one("#runs", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        return self.app.store.get_run(int(key)) if key else None

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open_run()

    def _detail(self) -> None:
        run = self.selected_run()
        detail = self.query_one("#history-detail", Static)
        if run is None:
            detail.update(Text("No runs yet: press T to train a reward model.", style="dim"))
            return
        text = Text(f"Run {run.id} · ", style="bold")
        text.append(one_line(run.name, 60))
        accuracy = run_accuracy(run.final_metrics)
        if accuracy:
            text.append(f"\naccuracy {accuracy}")
        warning = run_warning(run.final_metrics)
        if warning:
            text.append("\n" + warning, style="bold yellow")
        if run.model_dir:
            text.append("\nmodel dir: ")
            text.append(one_line(run.model_dir, 300))
        if run.error:
            text.append("\n" + one_line(run.error.splitlines()[0], 300), style="red")
        detail.update(text)

    def action_open_run(self) -> None:
        from duelist.tui.screens.dashboard import DashboardScreen

        run = self.selected_run()
        if run is None:
            return
        monitor = monitor_for(self.app)
        if monitor.watch is not None and monitor.watch.run_id == run.id:
            self.app.push_screen(DashboardScreen())  # the live one
            return
        state = RunState.from_stored(run, self.app.store.metrics_for_run(run.id))
        self.app.push_screen(DashboardScreen(state))

    def action_make_current(self) -> None:
        run = self.selected_run()
        if run is None:
            return
        model = next((m for m in self.app.store.list_models() if m.run_id == run.id), None)
        if run.status != "done" or model is None:
            self.notify(f"Run {run.id} has no finished model to use.", severity="warning",
                        markup=False)
            return
        self.app.store.set_current_model(model.id)
        self.notify(f"Run {run.id}'s model is now the project's current model.", markup=False)
        self.action_reload()

    def action_back(self) -> None:
        self.app.pop_screen()
