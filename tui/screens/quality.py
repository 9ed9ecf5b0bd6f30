"""Annotation quality (key S): agreement, per-annotator stats, and who needs a look.

Why a worker: the report reads every live judgement; on a big store that takes
longer than a keypress should, so it is computed in a thread with its own store
connection while the screen says so. Flagged annotators are shown in colour with
the reason spelled out underneath; names are untrusted and rendered literally.
"""

from __future__ import annotations

from typing import Any, ClassVar

from duelist.engine.application.learning_curve import learning_curve
from duelist.engine.quality.report import quality_section
from duelist.engine.safe_text import one_line
from duelist.store import Store
from duelist.tui.text.learning_curve import render_learning_curve
from duelist.tui.text.quality import COLUMNS, FLAG_HELP, annotator_rows, summary_lines
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

FLAG_STYLE = {"adversarial": "bold red", "random": "red", "left-biased": "yellow",
              "right-biased": "yellow", "too fast": "magenta"}


def compute(path: str) -> dict[str, Any]:
    """The quality section, from a connection of its own (runs off the UI thread)."""
    with Store.open(path) as store:
        data = quality_section(store)
        data["total_comparisons"] = store.count_comparisons()
        data["learning_curve"] = learning_curve(store)
    return data


class StatsScreen(Screen[None]):
    """Agreement headline, a row per annotator, pairwise kappas, flag legend."""

    CSS_PATH = "../styles/stats.tcss"
    HELP_TITLE = "Annotation quality"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("f5", "reload", "Reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, Any] | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text("Annotation quality", style="bold"), id="stats-title")
        yield Static(Text("Computing agreement…", style="dim"), id="stats-summary")
        yield DataTable(id="stats-annotators", cursor_type="row", zebra_stripes=True)
        yield DataTable(id="stats-pairs", cursor_type="row", zebra_stripes=True)
        yield Static(id="stats-flags")
        yield Static(id="stats-curve")  # shown once a run has finished
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#stats-annotators", DataTable)
        for col in COLUMNS:
            table.add_column(col, key=col)
        pairs = self.query_one("#stats-pairs", DataTable)
        for col in ("pair", "Cohen κ", "shared items"):
            pairs.add_column(col, key=col)
        self.action_reload()
        table.focus()

    def action_reload(self) -> None:
        self.run_worker(lambda: compute(self.app.store.path), thread=True, group="stats",
                        exclusive=True, exit_on_error=False, name="quality-report")

    def action_back(self) -> None:
        self.app.pop_screen()

    def on_worker_state_changed(self, event) -> None:
        from textual.worker import WorkerState

        if event.worker.name != "quality-report":
            return
        if event.state == WorkerState.SUCCESS:
            self.show(event.worker.result)
        elif event.state == WorkerState.ERROR:
            self.query_one("#stats-summary", Static).update(
                Text(f"Could not compute statistics: {one_line(str(event.worker.error), 200)}",
                     style="red"))

    def show(self, data: dict[str, Any]) -> None:
        self.data = data
        summary = self.query_one("#stats-summary", Static)
        if not data["annotators"]:
            summary.update(Text("No judgements yet: statistics appear once people judge.",
                                style="dim"))
        else:
            head = Text(f"{data['total_comparisons']} comparisons, {data['judged']} judged, "
                        f"{data['annotations']} judgements, {data['gold_items']} gold items\n")
            head.append("\n".join(summary_lines(data, pairs=False)))
            summary.update(head)
        table = self.query_one("#stats-annotators", DataTable)
        table.clear()
        for raw, row in zip(data["annotators"], annotator_rows(data["annotators"]), strict=True):
            style = FLAG_STYLE.get(raw["flags"][0], "") if raw["flags"] else ""
            cells = [Text(row[0], style=style)]
            cells += [Text(c, justify="right") for c in row[1:-1]]
            cells.append(Text(row[-1], style=style or ("green" if row[-1] == "ok" else "dim")))
            table.add_row(*cells, key=raw["annotator"])
        pairs = self.query_one("#stats-pairs", DataTable)
        pairs.clear()
        for p in data["pairs"]:
            kappa = "-" if p["kappa"] is None else f"{p['kappa']:.2f}"
            pairs.add_row(Text(f"{one_line(p['first'], 30)} ~ {one_line(p['second'], 30)}"),
                          Text(kappa, justify="right"), Text(str(p["shared"]), justify="right"))
        self.query_one("#stats-flags", Static).update(self._flag_text(data))
        curve = self.query_one("#stats-curve", Static)
        lines = render_learning_curve(data.get("learning_curve") or {})
        curve.update(Text("\n".join(lines)))  # run names were cleaned; Text is literal
        curve.display = bool(lines)

    @staticmethod
    def _flag_text(data: dict[str, Any]) -> Text:
        flagged = data.get("flagged") or {}
        if not flagged:
            return Text("No annotator is flagged.", style="green")
        text = Text()
        for who, flags in flagged.items():
            text.append(one_line(who, 40), style="bold")
            text.append(": ")
            for i, flag in enumerate(flags):
                text.append(("; " if i else "") + f"{flag} ({FLAG_HELP.get(flag, flag)})",
                            style=FLAG_STYLE.get(flag, ""))
            text.append("\n")
        text.rstrip()
        return text
