"""A one-line text dialog: a title, an input, a hint; enter returns the text, esc None.

Shared by the rationale note (`r`) and the search (`/`): the same modal, focus and
submit behaviour, told apart only by their words and limits.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label


class LineDialog(ModalScreen[str | None]):
    """Returns the typed line (empty means clear), or None when cancelled."""

    CSS_PATH = "../styles/dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", show=False)]
    DIALOG_TITLE = ""
    PLACEHOLDER = ""
    HINT = ""
    MAX_LENGTH = 500
    INPUT_ID = "line-input"

    def __init__(self, initial: str = "") -> None:
        super().__init__()
        self.initial = initial

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="note"):
            yield Label(Text(self.DIALOG_TITLE, style="bold"), classes="dialog-title")
            yield Input(value=self.initial, placeholder=self.PLACEHOLDER,
                        max_length=self.MAX_LENGTH, select_on_focus=False, id=self.INPUT_ID)
            yield Label(Text(self.HINT, style="dim"), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
