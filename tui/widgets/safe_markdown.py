"""Markdown renderers for untrusted text that cannot open links or run actions.

Two flavours, both fed text that `sanitize` already cleaned:

- `markdown_renderable(text)`: a Rich `Markdown` for a plain `Static`. One widget,
  ~1 ms to lay out, so the annotate screen can move to the next item well inside
  its 50 ms budget (Textual's `Markdown` widget mounts one widget per block and
  cost 100+ ms per item here). `hyperlinks=False` prints links as "text (url)":
  no OSC 8 hyperlink reaches the terminal, so even a ctrl+click opens nothing.
  Rich's Markdown never interprets Rich markup, so `[@click=app.quit]` stays text.
- `SafeMarkdown`: Textual's `Markdown` widget (richer layout, for long static
  documents such as the guidelines) with link following switched off and the
  `link` action turned into a no-op.
"""

from __future__ import annotations

from rich.markdown import Markdown as RichMarkdown
from textual import on
from textual.widgets import Markdown

CODE_THEME = "github-dark"


def markdown_renderable(text: str) -> RichMarkdown:
    """A Rich Markdown renderable with highlighted code and inert links."""
    return RichMarkdown(text, code_theme=CODE_THEME, hyperlinks=False,
                        inline_code_lexer=None, inline_code_theme=CODE_THEME)


class SafeMarkdown(Markdown):
    """Textual Markdown that never follows links (untrusted input)."""

    def __init__(self, markdown: str | None = None, **kwargs: object) -> None:
        super().__init__(markdown, open_links=False, **kwargs)  # type: ignore[arg-type]

    async def action_link(self, href: str) -> None:
        """Links are shown, not followed."""

    @on(Markdown.LinkClicked)
    def _swallow_link(self, event: Markdown.LinkClicked) -> None:
        event.stop()
        event.prevent_default()
