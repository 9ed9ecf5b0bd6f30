"""The bottom line of key hints, built from the screen's and the app's bindings.

A single `Static` instead of Textual's `Footer` (one widget per key): the annotate
screen re-lays out after every judgement, and fewer widgets keep that fast. The
hints come from the same `Binding(show=True)` objects the keys use, so they
cannot drift from what the keys do.
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.widgets import Static

KEY_STYLE = "bold #e0af68"
DESC_STYLE = "#a9b1d6"


def hint_text(bindings: list[Binding]) -> Text:
    out = Text(end="", no_wrap=True, overflow="ellipsis")
    for b in bindings:
        if not b.show or not b.description:
            continue
        if out:
            out.append("  ")
        out.append(b.key_display or b.key, style=KEY_STYLE)
        out.append(f" {b.description}", style=DESC_STYLE)
    return out


class KeyHints(Static):
    """Shows the visible bindings of its screen, then the app's."""

    def on_mount(self) -> None:
        from duelist.tui.app import screen_bindings

        self.update(hint_text(screen_bindings(type(self.screen)) +
                              screen_bindings(type(self.app))), layout=False)
