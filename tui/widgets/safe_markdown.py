"""Markdown renderers for untrusted text that cannot open links or run actions.

Two flavours, both fed text that `sanitize` already cleaned:

- `markdown_renderable(text)`: a Rich `Markdown` for a plain `Static`, parsed so that
  no character of the text can vanish (see `LiteralMarkdown`). One widget,
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

from markdown_it import MarkdownIt
from markdown_it.token import Token
from rich.markdown import Markdown as RichMarkdown
from textual import on
from textual.widgets import Markdown

CODE_THEME = "github-dark"

# markdown-it rules that make text disappear rather than format it. Annotators judge
# what they see, so a response must never lose characters to the renderer:
# - html_block / html_inline: Rich drops raw HTML, so "<div>...</div>" showed an empty
#   panel and "Hello<br>World" read "HelloWorld". Off: tags are plain text.
# - entity / escape are kept (an escaped "\_" must not start emphasis) but their
#   tokens get their source back, so "&amp;" and "\*" show as typed (`_hard_breaks`).
# - reference: a line "[x]: http://..." (a link definition) vanished entirely.
# - image: "![alt](src)" became a picture icon without its source.
# - autolink: "<http://x>" lost its angle brackets.
_SWALLOWING_RULES = ["html_block", "html_inline", "reference", "image", "autolink", "text_join"]


def _literal_parser() -> MarkdownIt:
    return (MarkdownIt("commonmark", {"html": False})
            .enable("strikethrough").enable("table").disable(_SWALLOWING_RULES))


_PARSER = _literal_parser()


def _hard_breaks(tokens: list[Token]) -> None:
    """Single newlines stay line breaks (a haiku, an address, a log keeps its lines), and
    escapes and entities show their source text ("text_join" is off, so they arrive as
    "text_special" tokens that still carry it)."""
    for token in tokens:
        if token.type == "softbreak":
            token.type, token.tag = "hardbreak", "br"
        elif token.type == "text_special":
            token.type = "text"
            token.content = token.markup or token.content
        if token.children:
            _hard_breaks(token.children)


class LiteralMarkdown(RichMarkdown):
    """Rich Markdown that formats (code, lists, emphasis) but never hides text."""

    def __init__(self, markup: str, **kwargs: object) -> None:
        super().__init__(markup, **kwargs)  # type: ignore[arg-type]
        self.parsed = _PARSER.parse(markup)
        _hard_breaks(self.parsed)


def markdown_renderable(text: str) -> RichMarkdown:
    """A Rich Markdown renderable with highlighted code, inert links, and no hidden text."""
    return LiteralMarkdown(text, code_theme=CODE_THEME, hyperlinks=False,
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
