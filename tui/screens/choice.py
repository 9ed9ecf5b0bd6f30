"""A small modal question with one key per answer (cancel a run? quit how?).

Why a modal with single keys rather than buttons only: the app is keyboard-first,
and a question that can kill an hour of training must not be answered by a stray
Enter, so there is no default; Escape always means "do nothing".
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ChoiceScreen(ModalScreen[str | None]):
    """Ask `question`; dismiss with the chosen answer's value, or None on Escape."""

    CSS_PATH = "../styles/choice.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "choose('')", "Never mind")]

    def __init__(self, question: str, choices: list[tuple[str, str, str]]) -> None:
        """`choices`: (key, label, value) triples; the key answers without the mouse."""
        super().__init__()
        self.question = question
        self.choices = choices
        for key, _label, value in choices:
            self._bindings.bind(key, f"choose({value!r})", show=False)

    def compose(self) -> ComposeResult:
        with Vertical(id="choice-box"):
            yield Static(self.question, id="choice-question", markup=False)
            with Horizontal(id="choice-buttons"):
                for key, label, value in self.choices:
                    yield Button(Text(f"{label} [{key}]"), id=f"choice-{value}")
                yield Button(Text("Never mind [esc]"), id="choice-none")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        value = (event.button.id or "").removeprefix("choice-")
        self.action_choose("" if value == "none" else value)

    def action_choose(self, value: str) -> None:
        self.dismiss(value or None)
