"""Run `duelist` in-process and capture what a user would see (round-two tests)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from duelist.tui.cli.main import main

# Terminal-active characters that must never reach stdout/stderr raw.
ESCAPE_CHARS = ("\x1b", "\x07", "\x9b", "\x9d", "\u202e")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def write_rows(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def assert_no_escapes(*texts: str) -> None:
    for text in texts:
        for ch in ESCAPE_CHARS:
            assert ch not in text, f"{ch!r} reached the terminal: {text!r}"


# Four labelled rows, and the same prompts with the opposite votes: two labellers' files.
ROWS = [{"prompt": f"p{i}", "chosen": f"good {i}", "rejected": f"bad {i}"} for i in range(4)]
FLIPPED = [{"prompt": r["prompt"], "chosen": r["rejected"], "rejected": r["chosen"]} for r in ROWS]


def live_judgements_per_annotator(db: Path) -> dict[str, int]:
    """annotator -> live judgements, read with plain sqlite3 (not through the store)."""
    conn = sqlite3.connect(db)
    try:
        return dict(conn.execute("SELECT annotator, COUNT(*) FROM annotations WHERE undone = 0 "
                                 "GROUP BY annotator").fetchall())
    finally:
        conn.close()
