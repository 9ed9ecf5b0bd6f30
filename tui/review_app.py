"""`duelist review`: the review screen on its own, for a lead who does not annotate.

Thin like DuelistApp: it opens the store and shows ReviewScreen; `q` quits.
"""

from __future__ import annotations

from typing import Any, ClassVar

from duelist.store import Store
from duelist.tui.screens.review import ReviewScreen
from textual.app import App
from textual.binding import Binding, BindingType


class ReviewApp(App[int]):
    TITLE = "Duelist review"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", tooltip="Quit (every decision is already saved)"),
    ]

    def __init__(self, store: Store, adjudicator: str, query: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.store = store
        self.adjudicator = adjudicator
        self.initial_query = query

    def on_mount(self) -> None:
        self.push_screen(ReviewScreen(self.adjudicator, self.initial_query))
