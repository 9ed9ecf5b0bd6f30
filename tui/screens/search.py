"""`/`: the search dialog of the annotate and review screens (syntax: tui/search_query.py)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

HINT = ("words to find · annotator:NAME · status:unjudged|judged|skipped|disputed · "
        "gold:yes|no · uncertain:0.5\nenter searches · empty clears · esc cancels")


class SearchScreen(ModalScreen[str | None]):
    """Returns the search line (empty: clear the search), or None when cancelled."""

    CSS_PATH = "../styles/dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", show=False)]

    def __init__(self, initial: str = "") -> None:
        super().__init__()
        self.initial = initial

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="note"):
            yield Label(Text("Search", style="bold"), classes="dialog-title")
            yield Input(value=self.initial, placeholder="e.g. sky status:disputed",
                        max_length=500, select_on_focus=False, id="search-input")
            yield Label(Text(HINT, style="dim"), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
