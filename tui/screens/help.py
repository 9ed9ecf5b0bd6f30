"""`?`: every key binding, generated from the live bindings so it cannot drift."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

KEY_NAMES = {"question_mark": "?", "left": "←", "right": "→", "up": "↑", "down": "↓",
             "escape": "esc", "enter": "enter", "ctrl+p": "ctrl+p",
             "left_square_bracket": "[", "right_square_bracket": "]",
             "exclamation_mark": "!", "at": "@", "slash": "/"}


def key_label(binding: Binding) -> str:
    """'1,a,left' -> '1 / a / ←': every key of the binding, by the character it types."""
    keys = [KEY_NAMES.get(k.strip(), k.strip()) for k in binding.key.split(",")]
    return " / ".join(keys)


HelpRows = list[tuple[str, list[tuple[str, str]]]]  # (section, [(keys, description)])


class HelpScreen(ModalScreen[None]):
    CSS_PATH = "../styles/dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,question_mark,q", "dismiss", "Close", show=False)]

    def __init__(self, sections: HelpRows) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="help"):
            yield Label(Text("Keys", style="bold"), classes="dialog-title")
            with VerticalScroll():
                yield Static(self._table())
            yield Label(Text("esc or ? closes", style="dim"), classes="dialog-hint")

    def _table(self) -> Table:
        table = Table.grid(padding=(0, 2))
        table.add_column(justify="right", style="bold #7aa2f7", no_wrap=True)
        table.add_column()
        for i, (section, rows) in enumerate(self.sections):
            if i:
                table.add_row("", "")
            table.add_row(Text(section, style="bold #c0caf5"), "")
            for keys, desc in rows:
                table.add_row(Text(keys), Text(desc))
        return table

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
