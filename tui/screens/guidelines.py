"""`g`: the annotation guidelines, as Markdown (links are shown, never followed)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import ClassVar

from duelist.engine.safe_text import display
from duelist.tui.widgets.safe_markdown import SafeMarkdown
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label

DEFAULT_GUIDELINES = Path(str(files("duelist.assets"))) / "guidelines.md"  # in the wheel too
FALLBACK = """# Annotation guidelines

Pick the response that is **more helpful, honest and harmless** for the prompt.

- `1`/`a`/`←`: A is better; `2`/`b`/`→`: B is better.
- `t`: tie (equally good); `x`: both are bad; `s`: skip when you cannot judge.
- Judge the content, not its length or its position: sides are shuffled.
"""


def load_guidelines(path: str | Path | None) -> str:
    """The guidelines text: the given file, else assets/guidelines.md, else a short default."""
    for candidate in (path, DEFAULT_GUIDELINES):
        if candidate and Path(candidate).is_file():
            return Path(candidate).read_text(encoding="utf-8", errors="replace")
    return FALLBACK


class GuidelinesScreen(ModalScreen[None]):
    CSS_PATH = "../styles/dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,g,q", "close", "Close", show=False),
        # The annotate screen scrolls with j/k and space; the same keys here (issue 14).
        Binding("j,down", "scroll_text(3)", "Scroll down", show=False),
        Binding("k,up", "scroll_text(-3)", "Scroll up", show=False),
        Binding("space,pagedown", "scroll_text(20)", "Page down", show=False),
        Binding("pageup", "scroll_text(-20)", "Page up", show=False),
    ]

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = display(text)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="guidelines"):
            yield Label(Text("Guidelines", style="bold"), classes="dialog-title")
            with VerticalScroll():
                yield SafeMarkdown(self.text)
            yield Label(Text("j/k or ↑/↓ scroll · esc or g closes", style="dim"),
                        classes="dialog-hint")

    def action_scroll_text(self, lines: int) -> None:
        body = self.query_one(VerticalScroll)
        body.scroll_to(y=max(0, body.scroll_y + lines), animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
