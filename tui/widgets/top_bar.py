"""One-line header: brand, annotator and item, and the last "saved" mark (or,
while a judgement waits for the database lock, that wait).

The "saved" text is set only after the store's COMMIT returned, so what the
annotator sees as saved is on disk. Drawn by `render()` (no child widgets, no
re-layout) because it changes on every judgement.
"""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static


class TopBar(Static):
    info: reactive[str] = reactive("", layout=False)
    saved: reactive[str] = reactive("", layout=False)
    # A write waiting for the database (screens/store_wait.py): shown instead of
    # `saved`, in the warning colour, until the write lands.
    waiting: reactive[str] = reactive("", layout=False)

    def render(self) -> Text:
        width = max(1, self.size.width)
        left = Text(end="", no_wrap=True, overflow="ellipsis")
        left.append("Duelist", style="bold #e0af68")
        left.append("   ")
        left.append(self.info, style="#a9b1d6")  # plain str appended: never markup
        right = (Text(self.waiting, style="bold #e0af68", end="") if self.waiting
                 else Text(self.saved, style="#9ece6a", end=""))
        gap = width - left.cell_len - right.cell_len
        if gap < 1:
            left.truncate(max(0, width - right.cell_len - 1), overflow="ellipsis")
            gap = 1
        return Text.assemble(left, " " * gap, right, end="", no_wrap=True)
