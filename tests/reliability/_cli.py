"""Run `duelist` in-process and capture what a user would see (round-two tests)."""

from __future__ import annotations

import json
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
