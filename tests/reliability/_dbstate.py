"""Helpers shared by the reliability tests: "is the database unchanged?" and
"can this process make a file read-only?".

`content_dump` reads through a read-only URI connection so that looking at a
database never changes it; comparing dumps (not mtimes) is what "unchanged"
means to a user: same tables, same rows.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


def content_dump(path: Path) -> str:
    """Every schema statement and row, as SQL text ("" for a missing file)."""
    if not path.exists():
        return ""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


def file_digest(path: Path) -> str:
    """The raw bytes of a file, for files that must not change at all."""
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "<absent>"


def assert_one_line(message: str, *must_contain: str) -> None:
    text = message.strip()
    assert text, "no message at all"
    assert "\n" not in text, f"more than one line:\n{text}"
    assert "Traceback" not in text, text
    for part in must_contain:
        assert part in text, f"{part!r} not in {text!r}"


@contextlib.contextmanager
def read_only(*paths: Path) -> Iterator[None]:
    """Make files/folders unwritable even for root, or skip saying why not.

    chmod does not stop root, so as root this sets the immutable attribute
    (chattr +i, needs CAP_LINUX_IMMUTABLE and an ext2/3/4-like filesystem).
    """
    done: list[Path] = []
    if os.geteuid() != 0:
        modes = {p: p.stat().st_mode for p in paths}
        for p in paths:
            p.chmod(0o555 if p.is_dir() else 0o444)
        try:
            yield
        finally:
            for p, m in modes.items():
                p.chmod(m)
        return
    if not shutil.which("chattr"):
        pytest.skip("running as root and chattr is missing: root ignores chmod")
    try:
        for p in paths:
            r = subprocess.run(["chattr", "+i", str(p)], capture_output=True, text=True)
            if r.returncode != 0:
                pytest.skip(f"running as root and chattr +i failed ({r.stderr.strip()}): "
                            "root ignores chmod, so read-only cannot be simulated here")
            done.append(p)
        yield
    finally:
        for p in reversed(done):
            subprocess.run(["chattr", "-i", str(p)], check=False)
