"""Split a prompt into dialogue turns for display.

Prompts arrive either as chat messages (`Comparison.prompt_messages`, a list of
{"role", "content"}) or as one string in the Anthropic HH style
("\\n\\nHuman: ...\\n\\nAssistant: ..."). Annotators judge the LAST reply in
context, so the screen shows turns as distinct blocks and folds older history.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TURN = re.compile(r"(?:^|\n)\s*(Human|Assistant|User|System)\s*:[ \t]?", re.IGNORECASE)
_ROLE_NAMES = {"human": "user", "user": "user", "assistant": "assistant", "system": "system"}


@dataclass(frozen=True, slots=True)
class Turn:
    role: str  # "user", "assistant", "system", or "" for a plain prompt
    text: str


def split_turns(prompt: str, messages: list[dict[str, str]] | None = None) -> list[Turn]:
    """Turns of the conversation; a prompt without role markers is one plain turn."""
    if messages:
        return [Turn(_ROLE_NAMES.get(str(m.get("role", "")).lower(), str(m.get("role", ""))),
                     str(m.get("content", "")).strip()) for m in messages]
    marks = list(_TURN.finditer(prompt))
    if not marks:
        return [Turn("", prompt.strip())]
    turns: list[Turn] = []
    head = prompt[: marks[0].start()].strip()
    if head:
        turns.append(Turn("", head))
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(prompt)
        text = prompt[m.end(): end].strip()
        role = _ROLE_NAMES[m.group(1).lower()]
        if i == len(marks) - 1 and role == "assistant" and not text:
            continue  # the trailing "Assistant:" the responses complete
        turns.append(Turn(role, text))
    return turns


def split_history(turns: list[Turn], keep: int = 1) -> tuple[list[Turn], list[Turn]]:
    """(older turns to fold, recent turns to show): keep the last user turn and
    everything after it, at least `keep` turns."""
    last_user = max((i for i, t in enumerate(turns) if t.role == "user"), default=len(turns) - keep)
    cut = max(0, min(last_user, len(turns) - keep))
    return turns[:cut], turns[cut:]
