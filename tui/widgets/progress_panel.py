"""Done/total for this annotator and for everyone, as two slim bars."""

from __future__ import annotations

from duelist.tui.session import Progress
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, ProgressBar


class ProgressPanel(Horizontal):
    def compose(self) -> ComposeResult:
        yield Label("you", classes="bar-label")
        yield ProgressBar(id="mine", show_eta=False, show_percentage=False)
        yield Label("", id="mine-count", classes="bar-count")
        yield Label("all", classes="bar-label")
        yield ProgressBar(id="overall", show_eta=False, show_percentage=False)
        yield Label("", id="overall-count", classes="bar-count")

    def show(self, p: Progress) -> None:
        for key, done in (("mine", p.mine), ("overall", p.overall)):
            bar = self.query_one(f"#{key}", ProgressBar)
            count = self.query_one(f"#{key}-count", Label)
            if p.total is None or done is None:
                bar.update(total=None)
                count.update("counting…")
            else:
                bar.update(total=max(p.total, 1), progress=done)
                count.update(Text(f"{done:,}/{p.total:,}"))
