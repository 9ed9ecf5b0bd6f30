"""Graded picks: Shift+1 / Shift+2 (`!` / `@`) ask how much better, then 1 / 2 / 3.

Why a follow-up key rather than six keys of their own: the plain 1/2 flow stays
one key and unchanged, and a graded judgement costs exactly one extra key
(`!`, then 1 slightly, 2 clearly, 3 much). Esc cancels: nothing is recorded.
The chosen level is stored on the judgement (`annotations.strength`) and becomes
TRL's margin at export and training (see duelist.engine.preferences.strength, which this
module must not import: it is on the annotate screen's launch path).
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label

LEVELS = {1: "slightly", 2: "clearly", 3: "much"}


def strength_label(strength: int | None) -> str:
    """'much better' for 3; '' for an ungraded judgement."""
    return f"{LEVELS[strength]} better" if strength in LEVELS else ""


class StrengthScreen(ModalScreen[int | None]):
    """Returns 1, 2 or 3 (slightly / clearly / much better), or None when cancelled."""

    CSS_PATH = "../styles/dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "level(1)", "Slightly", show=False),
        Binding("2", "level(2)", "Clearly", show=False),
        Binding("3", "level(3)", "Much", show=False),
        Binding("escape", "cancel", "Cancel", show=False),
    ]

    def __init__(self, side: str) -> None:
        super().__init__()
        self.side = side  # "A (left)" or "B (right)": what the annotator picked, as shown

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="strength"):
            yield Label(Text(f"How much better is {self.side}?", style="bold"),
                        classes="dialog-title")
            yield Label(Text("1  slightly better\n2  clearly better\n3  much better"),
                        id="strength-levels")
            yield Label(Text("esc cancels (nothing is saved)", style="dim"),
                        classes="dialog-hint")

    def action_level(self, level: int) -> None:
        self.dismiss(level)

    def action_cancel(self) -> None:
        self.dismiss(None)
