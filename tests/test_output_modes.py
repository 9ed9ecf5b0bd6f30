"""Item 12 of issue 14: outputs follow the umask, and a replaced file keeps its mode."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from duelist.engine.files.atomic import atomic_dir, atomic_file
from duelist.engine.files.file_modes import current_umask
from duelist.engine.preferences.export import export_pairs
from duelist.engine.preferences.pair import PreferencePair

PAIRS = [PreferencePair(prompt="p", chosen="a", rejected="b")]


@pytest.fixture
def umask() -> Iterator[object]:
    old = os.umask(0o022)

    def set_mask(mask: int) -> None:
        os.umask(mask)

    try:
        yield set_mask
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_outputs_follow_umask_022(tmp_path: Path, umask) -> None:
    assert current_umask() == 0o022
    export_pairs(PAIRS, tmp_path / "pairs.jsonl")
    assert mode(tmp_path / "pairs.jsonl") == 0o644
    with atomic_file(tmp_path / "scored.csv") as tmp:  # how scored files are written
        tmp.write_text("x\n")
    assert mode(tmp_path / "scored.csv") == 0o644
    with atomic_dir(tmp_path / "model") as tmp:
        (tmp / "config.json").write_text("{}")
    assert mode(tmp_path / "model") == 0o755
    assert mode(tmp_path / "model" / "config.json") == 0o644


def test_private_umask_gives_private_outputs(tmp_path: Path, umask) -> None:
    umask(0o077)
    export_pairs(PAIRS, tmp_path / "pairs.json")
    assert mode(tmp_path / "pairs.json") == 0o600
    with atomic_dir(tmp_path / "model") as tmp:
        (tmp / "config.json").write_text("{}")
    assert mode(tmp_path / "model") == 0o700


def test_replacing_a_file_or_dir_keeps_its_mode(tmp_path: Path, umask) -> None:
    out = tmp_path / "pairs.jsonl"
    out.write_text("old\n")
    out.chmod(0o644)
    umask(0o077)  # even under a stricter umask, a replaced file keeps what it had
    export_pairs(PAIRS, out)
    assert mode(out) == 0o644 and "old" not in out.read_text()
    out.chmod(0o640)
    with atomic_file(out) as tmp:
        tmp.write_text("y\n")
    assert mode(out) == 0o640
    (tmp_path / "model").mkdir(mode=0o750)
    (tmp_path / "model" / "config.json").write_text("{}")
    (tmp_path / "model").chmod(0o750)
    with atomic_dir(tmp_path / "model") as tmp:
        (tmp / "config.json").write_text("{}")
    assert mode(tmp_path / "model") == 0o750
