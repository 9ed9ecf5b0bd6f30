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


def screen_bindings(cls: type) -> list[Binding]:
    """Bindings declared on a class and its bases (most derived first, no repeats).

    Used by the hints line and the app's help/command palette alike, so what the keys
    do and what the screen says they do come from one list."""
    seen: set[str] = set()
    out: list[Binding] = []
    for klass in cls.__mro__:
        for b in klass.__dict__.get("BINDINGS", []):
            if isinstance(b, Binding) and b.key not in seen and klass.__module__.startswith("duelist"):
                seen.add(b.key)
                out.append(b)
    return out


# Always shown, at the right end, however narrow the terminal: at 80 columns the full
# line was cut and a new user lost "? Help" and "q Quit" (issue 14, item 14).
PINNED_KEYS = ("question_mark", "q")


class KeyHints(Static):
    """Shows the visible bindings of its screen, then the app's; the pinned keys
    (help, quit) always fit, and the screen's keys are cut with "…" instead."""

    def on_mount(self) -> None:
        bindings = screen_bindings(type(self.screen)) + screen_bindings(type(self.app))
        self._rest = hint_text([b for b in bindings if b.key not in PINNED_KEYS])
        self._pinned = hint_text([b for b in bindings if b.key in PINNED_KEYS])
        self._fit()

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        if not hasattr(self, "_rest"):
            return
        width = self.size.width or self.app.size.width
        room = max(0, width - self._pinned.cell_len - 2)
        rest = self._rest.copy()
        if rest.cell_len > room:
            rest.truncate(room, overflow="ellipsis")  # ends in "…"
        out = Text(end="", no_wrap=True, overflow="ellipsis")
        out.append_text(rest)
        if self._pinned:
            out.append("  ")
            out.append_text(self._pinned)
        self.update(out, layout=False)
