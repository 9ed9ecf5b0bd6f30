"""One response (left or right) with three views: Markdown, raw text, word diff.

Safety: the text is cleaned by `sanitize` before any widget sees it. Raw and diff
views are Rich `Text` objects (never parsed as markup). The Markdown view uses
`SafeMarkdown`, whose link action is a no-op: Textual's Markdown turns links into
`link(href)` actions, and a response must never open a URL or file, or run an
action, because an annotator clicked on it.
"""

from __future__ import annotations

from typing import Literal

from duelist.tui.sanitize import display
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import ContentSwitcher, Label, Markdown, Static

View = Literal["markdown", "raw", "diff"]


class SafeMarkdown(Markdown):
    """Markdown that never follows links (untrusted input)."""

    def __init__(self, markdown: str | None = None, **kwargs: object) -> None:
        super().__init__(markdown, open_links=False, **kwargs)  # type: ignore[arg-type]

    async def action_link(self, href: str) -> None:
        """Links in responses are shown, not followed."""

    @on(Markdown.LinkClicked)
    def _swallow_link(self, event: Markdown.LinkClicked) -> None:
        event.stop()
        event.prevent_default()


class ResponsePanel(Vertical, can_focus=False):
    """A response; clicking it picks it."""

    view: reactive[View] = reactive("markdown", init=False)

    class Picked(Message):
        def __init__(self, side: str) -> None:
            super().__init__()
            self.side = side

    def __init__(self, side: Literal["left", "right"], label: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.side = side
        self.label = label
        self._text = ""
        self._diff: Text | None = None
        self._rendered: set[str] = set()

    def compose(self) -> ComposeResult:
        yield Label(Text(self.label, style="bold"), classes="panel-title")
        with ContentSwitcher(initial="markdown", classes="panel-body"):
            with VerticalScroll(id="markdown"):
                yield SafeMarkdown()
            with VerticalScroll(id="raw"):
                yield Static(classes="raw-text")
            with VerticalScroll(id="diff"):
                yield Static(classes="diff-text")

    def set_text(self, text: str) -> None:
        """New response: remember it; render only the view on screen (others lazily)."""
        self._text = display(text)
        self._diff = None
        self._rendered.clear()
        self._render_view()

    def set_diff(self, diff: Text | None) -> None:
        self._diff = diff
        self._rendered.discard("diff")
        if self.view == "diff":
            self._render_view()

    def watch_view(self, view: View) -> None:
        self.query_one(ContentSwitcher).current = view
        self._render_view()

    def _render_view(self) -> None:
        view = self.view
        if view in self._rendered:
            return
        self._rendered.add(view)
        scroller = self.query_one(f"#{view}", VerticalScroll)
        if view == "markdown":
            self.query_one(SafeMarkdown).update(self._text)
        elif view == "raw":
            self.query_one(".raw-text", Static).update(Text(self._text, end=""))
        else:
            self.query_one(".diff-text", Static).update(self._diff or Text(self._text, end=""))
        scroller.scroll_home(animate=False)

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.post_message(self.Picked(self.side))
