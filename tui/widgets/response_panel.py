"""One response (left or right) with three views: Markdown, raw text, word diff.

Safety: the text is cleaned by `sanitize` before any widget sees it. Raw and diff
views are Rich `Text` objects (never parsed as markup); the Markdown view is a
Rich `Markdown` with inert links (see `safe_markdown`). A response must never
open a URL or file, or run an action, because an annotator clicked on it: a
click anywhere on the panel means "this one is better", nothing else.

Speed: one `Static` inside one scroller; switching views only swaps the
renderable, and a new item renders only the view on screen.
"""

from __future__ import annotations

from typing import Literal

from duelist.engine.safe_text import display
from duelist.tui.widgets.safe_markdown import markdown_renderable
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Static

View = Literal["markdown", "raw", "diff"]


class ResponsePanel(Vertical, can_focus=False):
    """A response; clicking it picks it."""

    class Picked(Message):
        def __init__(self, side: str) -> None:
            super().__init__()
            self.side = side

    def __init__(self, side: Literal["left", "right"], label: str, keys: str = "",
                 **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.side = side
        self.border_title = label  # constants only: border titles are markup
        self.border_subtitle = keys
        self.text = ""
        self.view: View = "markdown"
        self._diff: Text | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="panel-body"):
            yield Static(classes="panel-text")

    def set_text(self, text: str, diff: Text | None = None) -> None:
        """Show a new response (already chosen for this side)."""
        self.text = display(text)
        self._diff = diff
        self._render_view()
        self.query_one(VerticalScroll).scroll_home(animate=False)

    def set_view(self, view: View, diff: Text | None = None) -> None:
        self.view = view
        self._diff = diff
        self._render_view()

    def _render_view(self) -> None:
        body = self.query_one(".panel-text", Static)
        if not self.text:
            body.update(Text(""))
        elif self.view == "markdown":
            body.update(markdown_renderable(self.text))
        elif self.view == "diff" and self._diff is not None:
            body.update(self._diff)
        else:
            body.update(Text(self.text, end=""))
        self.set_class(self.view != "markdown", "-plain")

    def scroll_text(self, lines: int) -> None:
        body = self.query_one(VerticalScroll)
        body.scroll_to(y=max(0, body.scroll_y + lines), animate=False)

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.post_message(self.Picked(self.side))
