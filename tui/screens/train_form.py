"""The train form (key T): a few fields, prefilled from the project's last run; Enter trains.

Why so few fields: the form is for "train on what I judged, now". Everything else
keeps the engine's defaults (the same as `duelist train`), and power users have the
CLI. The form shows how many usable pairs the judgements give before anything
starts, and with fewer than MIN_PAIRS it says so instead of starting a run.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, ClassVar

from duelist.engine.application import run_launch as rl
from duelist.engine.errors import DuelistError
from duelist.engine.safe_text import one_line
from duelist.store import Store
from duelist.tui.run_monitor import RunLaunchFailed, RunStarted, monitor_for
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, Static, Switch

# (form field, label, parser) for the text inputs, in screen order.
FIELDS: list[tuple[str, str, Any]] = [
    ("model", "Model (dir or hub id)", str),
    ("epochs", "Epochs", int),
    ("lr", "Learning rate", float),
    ("batch_size", "Batch size (pairs)", int),
    ("max_seq_length", "Max length (tokens)", int),
    ("valid_split", "Validation split", float),
]


def open_training(app: Any) -> Screen[Any]:
    """Registry target for T: the live dashboard while a run is going, else the form."""
    if monitor_for(app).active:
        from duelist.tui.screens.dashboard import DashboardScreen

        return DashboardScreen()
    return TrainFormScreen()


class TrainFormScreen(Screen[None]):
    """Edit the run's settings and start it."""

    CSS_PATH = "../styles/train_form.tcss"
    HELP_TITLE = "Train"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("ctrl+s", "start", "Start training"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.pairs_ready: int | None = None
        self.starting = False

    def compose(self) -> ComposeResult:
        form = rl.last_form(self.app.store)
        with Vertical(id="train-box"):
            yield Static(Text("Train a reward model on the judgements so far", style="bold"),
                         id="train-title")
            # Right under the title: at 80x24 the form is taller than the screen, and a
            # message drawn below the fields was never seen, so Enter seemed to do nothing
            # (issue 14, item 9).
            yield Static(id="train-message")
            with Grid(id="train-grid"):
                for name, label, _ in FIELDS:
                    yield Label(label)
                    yield Input(_show(getattr(form, name)), id=f"f-{name}")
                yield Label("LoRA (PEFT)")
                yield Switch(value=form.peft, id="f-peft")
                yield Label("Margin loss (strength)")
                yield Switch(value=form.use_margin, id="f-use-margin")
            yield Static(Text("Counting usable pairs…"), id="train-pairs")
            yield Static(Text("Enter (or ctrl+s) starts training · Esc goes back · the run "
                              "keeps going while you judge", style="dim"), id="train-hint")
        yield Footer()

    def on_mount(self) -> None:
        monitor_for(self.app).subscribe(self)
        self.query_one("#f-model", Input).focus()
        self.count_pairs()

    def on_unmount(self) -> None:
        monitor_for(self.app).unsubscribe(self)

    @work(thread=True, exit_on_error=False, group="train-form")
    def count_pairs(self) -> None:
        """Resolve the judgements off the UI thread (a big project takes a moment)."""
        with Store.open(self.app.store.path) as store:
            resolution = rl.resolve_snapshot(store)
        self.app.call_from_thread(self._show_pairs, resolution)

    def _show_pairs(self, resolution: Any) -> None:
        self.pairs_ready = len(resolution.pairs)
        text = Text(one_line(resolution.summary(), 300))
        warning = rl.too_few_message(resolution) or rl.little_data_note(len(resolution.pairs))
        if warning:
            text.append("\n" + warning, style="bold yellow")
        self.query_one("#train-pairs", Static).update(text)

    def read_form(self) -> rl.TrainForm:
        """The fields as a TrainForm, or a DuelistError naming the bad field."""
        values: dict[str, Any] = {}
        for name, label, parse in FIELDS:
            raw = self.query_one(f"#f-{name}", Input).value.strip()
            try:
                values[name] = parse(raw)
            except ValueError:
                raise DuelistError(f"{label}: {raw!r} is not a valid "
                                   f"{'number' if parse is not str else 'value'}") from None
        values["peft"] = self.query_one("#f-peft", Switch).value
        values["use_margin"] = self.query_one("#f-use-margin", Switch).value
        return rl.TrainForm(**values).check()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_start()

    def action_start(self) -> None:
        if self.starting:
            return
        try:
            form = self.read_form()
        except DuelistError as exc:
            self._message(str(exc))
            return
        if self.pairs_ready is not None and self.pairs_ready < rl.MIN_PAIRS:
            self._message(f"Training not started: only {self.pairs_ready} usable pairs "
                          f"(at least {rl.MIN_PAIRS} needed).")
            return
        self.app.store.set_setting(rl.FORM_SETTING, asdict(form))
        if not monitor_for(self.app).start(form):
            self._message("A run is already going: press T to watch it.")
            return
        self.starting = True
        self.query_one("#train-message", Static).update(
            Text("Preparing the snapshot and starting the worker…", style="cyan"))

    def _message(self, text: str) -> None:
        message = self.query_one("#train-message", Static)
        message.update(Text(one_line(text, 400), style="bold red"))
        message.scroll_visible(animate=False)

    def on_run_started(self, message: RunStarted) -> None:
        from duelist.tui.screens.dashboard import DashboardScreen

        self.app.switch_screen(DashboardScreen())

    def on_run_launch_failed(self, message: RunLaunchFailed) -> None:
        self.starting = False
        self._message(message.message)

    def action_back(self) -> None:
        self.app.pop_screen()


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
