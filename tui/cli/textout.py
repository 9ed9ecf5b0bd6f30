"""Every message the CLI prints goes through here, cleaned of terminal escapes.

Why one place: messages quote things that came from files (column names, paths,
annotator names, model names, prompt texts). A JSON key such as
`"\\u001b]52;c;...\\u0007"` printed raw in "ignored columns: ..." writes to the
user's clipboard; `\\u001b[2J` clears their screen. Cleaning at each call site
misses the next call site, so the error printer (`main.py`) and the info printer
(`say`) clean everything they are given, and `--json` output goes through
`dumps`, which escapes the characters a terminal would act on while keeping
the JSON value exactly the same.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
from typing import Any, TextIO

from duelist.engine.safe_text import clean

# Characters JSON (ensure_ascii=False) leaves raw but a terminal acts on or hides:
# DEL and C1 controls (U+009B is an 8-bit CSI), bidi overrides and isolates, zero-width
# and other invisible format characters, and the line/paragraph separators.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def clean_message(text: object) -> str:
    """`text` with escape sequences, control and bidi characters removed (newlines kept)."""
    return clean(str(text))


def say(text: object = "", *, file: TextIO | None = None) -> None:
    """print() for CLI progress and info lines: always cleaned."""
    print(clean_message(text), file=file or sys.stdout)


def dumps(obj: Any, **kw: Any) -> str:
    """json.dumps with non-ASCII kept readable but terminal-active characters escaped.

    The replacement happens after encoding: such characters can only occur inside
    JSON strings, where `\\u009b` means the same value, so parsers see no difference.
    """
    text = json.dumps(obj, ensure_ascii=False, **kw)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def safe_streams() -> None:
    """Never crash on a name the terminal's encoding cannot show
    (`PYTHONIOENCODING=ascii duelist stats`): write it as a backslash escape instead."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors="backslashreplace")


def report_lock_waits() -> None:
    """Say on stderr when a write waits for another process's lock (an import against a
    long lock used to wait minutes in silence)."""
    from duelist.store import connection

    connection.lock_wait_reporter = lambda message: say(f"duelist: {message}", file=sys.stderr)
