"""Untrusted text as a Rich `Text`: shown exactly as stored, never parsed as markup.

Rich/Textual markup such as `[@click=app.quit]` would run an action if a string were
ever parsed as markup; `literal(text)` builds a `Text` from the cleaned, capped
string (see `duelist.engine.safe_text`, which owns the cleaning). Keep this module
free of Textual imports: Rich is enough, and it stays cheap.
"""

from __future__ import annotations

from duelist.engine.safe_text import display
from rich.text import Text


def literal(text: str | None, style: str = "") -> Text:
    """A Rich `Text` that shows `text` exactly as stored (cleaned, capped), never markup."""
    return Text(display(text), style=style, end="")
