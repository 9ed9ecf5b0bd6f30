"""Make untrusted text (prompts, responses, rationales, run errors, file names) safe as
plain text: the one place for `clean` and `one_line`, shared by the application layer,
the CLI and the Textual screens.

Why: comparisons come from files and models we do not control. A response that
contains `\\x1b]52;c;...\\x07` would write to the annotator's clipboard, `\\x1b[2J`
would wipe the screen, and bidi overrides (U+202E) can make text read differently
from what is stored.

- `clean(text)` strips terminal escape sequences (CSI, OSC, DCS/SOS/PM/APC, other
  ESC sequences, their 8-bit C1 forms), every other C0/C1 control character except
  newline and tab, and bidi embedding/override/isolate characters.
- `display(text)` also cuts over-long lines for drawing (the store keeps the full text).
- `one_line(text)` squashes a cleaned text onto one line, for titles, cells and errors.

Standard library only: the store-facing session and the CLI use it without Rich.
"""

from __future__ import annotations

import re

# Longest single line drawn in full. A 100k-character line without breaks makes
# Textual's wrapping and layout crawl; nobody reads past this on a terminal anyway.
MAX_LINE_CHARS = 4000
# Longest text drawn in full (all lines together).
MAX_TEXT_CHARS = 60_000

_ESC_SEQ = re.compile(
    r"""
      \x1b\[ [0-?]* [\x20-/]* [@-~]?          # CSI ... final byte (7-bit)
    | \x9b   [0-?]* [\x20-/]* [@-~]?          # CSI (8-bit C1)
    | (?:\x1b\]|\x9d) .*? (?:\x07|\x1b\\|\x9c|\Z)            # OSC ... BEL/ST
    | (?:\x1b[PX^_]|[\x90\x98\x9e\x9f]) .*? (?:\x1b\\|\x9c|\x07|\Z)  # DCS/SOS/PM/APC ... ST
    | \x1b [\x20-/]* [0-~]?                   # other ESC sequences (charset, keypad, ...)
    """,
    re.VERBOSE | re.DOTALL,
)
# C0 except \t and \n, DEL, C1, and bidi embeddings/overrides/isolates.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean(text: str) -> str:
    """Return `text` without escape sequences, control characters or bidi controls.

    Newlines and tabs survive; `\\r\\n` and lone `\\r` become `\\n` (a bare carriage
    return would let a line overwrite itself on a terminal).
    """
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x1b" in text or any("\x90" <= ch <= "\x9f" for ch in text):
        text = _ESC_SEQ.sub("", text)
    return _CONTROL.sub("", text)


def cap_lines(text: str, max_line: int = MAX_LINE_CHARS, max_total: int = MAX_TEXT_CHARS) -> str:
    """Shorten absurdly long lines/texts for display, with a visible marker.

    The marker says how much was hidden, so an annotator knows the item is huge
    rather than silently judging a truncated answer.
    """
    if len(text) <= max_line and len(text) <= max_total:
        return text
    lines = []
    for line in text.split("\n"):
        if len(line) > max_line:
            line = f"{line[:max_line]}… [{len(line) - max_line:,} chars hidden]"
        lines.append(line)
    out = "\n".join(lines)
    if len(out) > max_total:
        out = f"{out[:max_total]}\n… [{len(out) - max_total:,} chars hidden]"
    return out


def display(text: str | None) -> str:
    """`clean` then `cap_lines`: the plain string to hand to a non-markup widget."""
    return cap_lines(clean(text or ""))


def one_line(text: object, limit: int | None = 200, *, empty: str = "") -> str:
    """Cleaned text squashed onto one line (titles, table cells, notifications, errors).

    `limit=None` keeps the whole line (error messages must name the file, row and
    column in full); `empty` is what an empty text becomes (the CLI says "unknown error").
    """
    flat = " ".join(clean("" if text is None else str(text)).split())
    if not flat:
        return empty
    return flat if limit is None or len(flat) <= limit else flat[: limit - 1] + "…"
