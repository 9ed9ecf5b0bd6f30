"""The prompt, as dialogue turns; older history folds into a Collapsible.

Built once and updated in place (no mounting per item) so moving to the next
comparison stays a few milliseconds even with long conversations.

Keyboard (issue 14, item 5; nearly every hh item is multi-turn): `e` expands or folds
the earlier turns (the fold's title names the key), `[` / `]` scroll the prompt.
Expanded, the box may grow to most of the screen (class `-expanded`) and it scrolls
to its end, so the final question, the one being answered, stays in view.
"""

from __future__ import annotations

from duelist.tui.text.prompt_turns import Turn, split_history, split_turns
from duelist.tui.text.sanitize import literal
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Collapsible, Static

_ROLE_LABEL = {"user": "Human", "assistant": "Assistant", "system": "System", "": "Prompt"}
_ROLE_STYLE = {"user": "bold #7aa2f7", "assistant": "bold #9ece6a", "system": "bold #e0af68",
               "": "bold #7aa2f7"}


def render_turns(turns: list[Turn]) -> Text:
    """Each turn as a role label line plus its literal text, blank line between."""
    out = Text(end="")
    for i, turn in enumerate(turns):
        if i:
            out.append("\n\n")
        out.append(_ROLE_LABEL.get(turn.role, turn.role.title() or "Prompt"),
                   style=_ROLE_STYLE.get(turn.role, "bold"))
        out.append("\n")
        out.append_text(literal(turn.text))
    return out


class PromptView(VerticalScroll, can_focus=False):
    """Shows one comparison's prompt."""

    def compose(self) -> ComposeResult:
        with Collapsible(title="Earlier conversation", collapsed=True, id="history"):
            yield Static(id="history-body")
        yield Static(id="latest")

    def show(self, prompt: str, messages: list[dict[str, str]] | None) -> None:
        older, recent = split_history(split_turns(prompt, messages))
        history = self.query_one("#history", Collapsible)
        history.display = bool(older)
        if older:
            n = len(older)
            title = f"Earlier conversation ({n} turn{'s' if n != 1 else ''}) · e expands"
            if history.title != title:  # each change costs a re-layout
                history.title = title
            history.collapsed = True
            self.query_one("#history-body", Static).update(render_turns(older))
        self.remove_class("-expanded")
        self.query_one("#latest", Static).update(render_turns(recent))
        self.scroll_home(animate=False)

    @property
    def has_history(self) -> bool:
        return bool(self.query_one("#history", Collapsible).display)

    def toggle_history(self) -> bool:
        """Expand or fold the earlier turns; returns True when now expanded."""
        history = self.query_one("#history", Collapsible)
        if not history.display:
            return False
        history.collapsed = not history.collapsed
        expanded = not history.collapsed
        old, new = ("e expands", "e folds") if expanded else ("e folds", "e expands")
        history.title = history.title.replace(old, new)
        self.set_class(expanded, "-expanded")
        if expanded:  # the last turn is the question being answered: keep it on screen
            self.call_after_refresh(self.scroll_end, animate=False)
        else:
            self.scroll_home(animate=False)
        return expanded

    def scroll_lines(self, lines: int) -> None:
        self.scroll_to(y=max(0, self.scroll_y + lines), animate=False)
