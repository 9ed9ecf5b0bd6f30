"""Validating one cell: texts, chat messages, scores, winners, gold answers.

Every failure names the file, the row and the source column, so a user can jump
straight to the bad cell.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from duelist.engine.errors import InputError

_SURROGATE = re.compile("[\ud800-\udfff]")
# Texts made only of whitespace and invisible characters (zero-width space/joiners,
# word joiner, BOM, soft hyphen, Hangul fillers) show as blank: treat them as empty.
_BLANK = re.compile("[\\s\u00ad\u034f\u115f\u1160\u180e\u200b-\u200f\u2060-\u2064"
                    "\u3164\ufeff\uffa0]*")


def is_blank(text: str) -> bool:
    """True for a text that would show as nothing: empty, whitespace, invisible characters."""
    return not text.strip() or _BLANK.fullmatch(text) is not None


_ROLE_LABELS = {"user": "User", "human": "Human", "assistant": "Assistant", "system": "System",
                "gpt": "Assistant", "bot": "Assistant", "tool": "Tool"}

WINNERS = {
    "a": "a", "response_a": "a", "model_a": "a", "left": "a", "1": "a",
    "b": "b", "response_b": "b", "model_b": "b", "right": "b", "2": "b",
    "tie": "tie", "draw": "tie", "equal": "tie", "same": "tie",
    "both_bad": "both_bad", "both bad": "both_bad", "bothbad": "both_bad",
    "tie (bothbad)": "both_bad", "neither": "both_bad",
}


class EmptyTextError(InputError):
    """An empty or whitespace-only text: the one row defect `skip_empty` may skip."""


class Cell:
    """Where a value came from, for error messages."""

    __slots__ = ("column", "path", "row")

    def __init__(self, path: str, row: int, column: str) -> None:
        self.path, self.row, self.column = path, row, column

    def error(self, message: str, kind: type[InputError] = InputError) -> InputError:
        return kind(message, path=self.path, row=self.row, column=self.column)


def _type_name(value: Any) -> str:
    if value is None:
        return "empty (null)"
    return {list: "a list", dict: "an object", bool: "a boolean", int: "a number",
            float: "a number"}.get(type(value), type(value).__name__)


def text_at(value: Any, where: str, row: int, column: str) -> str:
    """`text` without building a Cell unless the value is bad (the per-row hot path)."""
    if (type(value) is str and value and not value.isspace() and "\x00" not in value
            and (value.isascii() or not (_SURROGATE.search(value) or _BLANK.fullmatch(value)))):
        return value
    return text(value, Cell(where, row, column))


def text(value: Any, cell: Cell) -> str:
    """A non-empty response text. A list of chat messages becomes its contents."""
    if type(value) is not str:
        if isinstance(value, list) and value and all(isinstance(m, dict) for m in value):
            value = "\n\n".join(_content(m, cell) for m in value)
        else:
            raise cell.error(f"expected text, got {_type_name(value)}")
    if is_blank(value):
        raise cell.error("text is empty, whitespace or invisible characters only",
                         EmptyTextError)
    if "\x00" in value:
        raise cell.error("text contains a NUL character")
    if not value.isascii() and _SURROGATE.search(value):
        # only a JSON escape such as "\ud800" can produce one; SQLite cannot store it
        raise cell.error("text contains a lone UTF-16 surrogate (a broken \\uD8xx escape); "
                         "fix the file's text encoding")
    return value


def prompt(value: Any, where: str, row: int,
           column: str) -> tuple[str, list[dict[str, str]] | None]:
    """Prompt text plus, for chat input, the original messages.

    Chat messages flatten to "User: ...\\n\\nAssistant: ..." so every model sees
    plain text; a string prompt (e.g. hh's "Human: ... Assistant:") stays as is.
    """
    if (type(value) is str and value[:1] != "[" and value and not value.isspace()
            and "\x00" not in value
            and (value.isascii() or not (_SURROGATE.search(value) or _BLANK.fullmatch(value)))):
        return value, None  # the common case, checked without building anything
    cell = Cell(where, row, column)
    if isinstance(value, str) and value[:1] == "[" and value.rstrip()[-1:] == "]":
        parsed = _maybe_json_list(value)  # chat messages stored as JSON text (CSV)
        if parsed is not None and _looks_like_chat(parsed):
            value = parsed
    if isinstance(value, list):
        if not value:
            raise cell.error("chat prompt has no messages")
        messages = []
        for i, m in enumerate(value, 1):
            if not isinstance(m, dict) or "role" not in m or "content" not in m:
                raise cell.error(f"chat message {i} must be an object with 'role' and 'content'")
            role = m["role"]
            if not isinstance(role, str) or not role.strip():
                raise cell.error(f"chat message {i} has no role")
            messages.append({"role": role, "content": _content(m, cell)})
        return text(flatten_chat(messages), cell), messages
    return text(value, cell), None


def role_label(role: str) -> str:
    """How a chat role is written in flattened text ("user" -> "User")."""
    return _ROLE_LABELS.get(role.lower(), role.title())


def flatten_chat(messages: list[dict[str, str]]) -> str:
    """Chat messages as the ONE plain text every Duelist model sees (training, scoring, RL).

    The RL hand-off (engine/rl) renders conversations with this same function, and the
    chat_template saved in a model dir reproduces it in Jinja, so all routes agree.
    """
    return "\n\n".join(f"{role_label(m['role'])}: {m['content']}" for m in messages)


def _content(message: dict, cell: Cell) -> str:
    content = message.get("content")
    if isinstance(content, list):  # multimodal parts: keep the text ones
        texts = [p.get("text") for p in content if isinstance(p, dict)]
        if any(t is not None and not isinstance(t, str) for t in texts):
            raise cell.error("chat message content part has a 'text' that is not text")
        content = "".join(t for t in texts if t)
        if not content and content_has_parts(message):
            raise cell.error("chat message has no text parts (only images, audio or files); "
                             "Duelist compares texts")
    if content is None:  # an OpenAI tool-call turn: content null, the calls say what it did
        content = _tool_calls(message.get("tool_calls"), cell)
    if not isinstance(content, str):
        raise cell.error(f"chat message content must be text, got {_type_name(content)}")
    return content


def content_has_parts(message: dict) -> bool:
    parts = message.get("content")
    return isinstance(parts, list) and any(isinstance(p, dict) for p in parts)


def _tool_calls(calls: Any, cell: Cell) -> str:
    """OpenAI `tool_calls` as readable text: `[tool call] name({...})` per call."""
    if not calls:
        return ""
    if not isinstance(calls, list):
        raise cell.error(f"chat message tool_calls must be a list, got {_type_name(calls)}")
    out = []
    for call in calls:
        fn = call.get("function") if isinstance(call, dict) else None
        if not isinstance(fn, dict):
            raise cell.error("chat message tool call has no 'function' object")
        args = fn.get("arguments", "")
        out.append(f"[tool call] {fn.get('name', '?')}"
                   f"({args if isinstance(args, str) else json.dumps(args)})")
    return "\n".join(out)


def _maybe_json_list(value: str) -> list | None:
    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    return parsed if isinstance(parsed, list) else None


def _looks_like_chat(value: list) -> bool:
    return bool(value) and all(isinstance(m, dict) and "role" in m for m in value)


def text_list(value: Any, cell: Cell) -> list[str]:
    """The responses of shape (b): a list (or a JSON-array string, for CSV) of texts."""
    if isinstance(value, str):
        parsed = _maybe_json_list(value.strip())
        if parsed is None:
            raise cell.error("expected a list of responses (a JSON array in CSV cells)")
        value = parsed
    if not isinstance(value, list):
        raise cell.error(f"expected a list of responses, got {_type_name(value)}")
    if len(value) < 2:
        raise cell.error(f"needs at least 2 responses to compare, got {len(value)}")
    out = [text(v, cell) for v in value]
    seen: dict[str, int] = {}
    for i, t in enumerate(out, 1):
        if t in seen:
            raise cell.error(f"responses {seen[t]} and {i} are identical")
        seen[t] = i
    return out


def score(value: Any, cell: Cell) -> float:
    if isinstance(value, bool) or value is None:
        raise cell.error(f"expected a number, got {_type_name(value)}")
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise cell.error(f"expected a number, got {value!r:.40}") from None
    if not isinstance(value, (int, float)):
        raise cell.error(f"expected a number, got {_type_name(value)}")
    try:
        value = float(value)
    except OverflowError:  # a 400-digit integer
        raise cell.error("score is too large for a number (more than about 1e308)") from None
    if not math.isfinite(value):
        raise cell.error("score must be a finite number")
    return float(value)


def winner(value: Any, cell: Cell, what: str = "winner") -> str:
    key = str(value).strip().lower() if isinstance(value, (str, int)) and not isinstance(value, bool) else None
    if key not in WINNERS:
        raise cell.error(f"unknown {what} {value!r:.40}; use A, B, tie or both_bad")
    return WINNERS[key]


def gold(value: Any, cell: Cell) -> str | None:
    """Known answer for quality checks; empty means none."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return winner(value, cell, "gold answer")
