"""Round two, item 2 (and 7's encoding case): text that came from a file never
reaches the terminal raw, in any CLI message or in `--json` output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reliability._cli import assert_no_escapes, run, write_rows

OSC52 = "\x1b]52;c;ZXZpbA==\x07\x1b[2J"
HOSTILE_KEYS = [OSC52, "x\x9b2Jy", "\x1b[31mred", "bidi\u202eevil", "bell\x07"]


@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_ignored_column_names_are_cleaned(key: str, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    data = write_rows(tmp_path / "d.jsonl", [{"prompt": "p", "chosen": "a", "rejected": "b",
                                              key: "x"}])
    code, out, err = run(capsys, "import", "--db", tmp_path / "x.db", data)
    assert code == 0 and "ignored columns" in out
    assert_no_escapes(out, err)


@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_column_names_in_error_messages_are_cleaned(key: str, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    data = write_rows(tmp_path / "d.jsonl", [{"prompt": "p", "chosen": "a", key: "b"}])
    code, out, err = run(capsys, "import", "--db", tmp_path / "x.db", data)
    assert code == 2 and err.startswith("duelist: error:") and "found:" in err
    assert_no_escapes(out, err)


def test_csv_duplicate_hostile_header_is_cleaned(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "d.csv"
    data.write_text(f"prompt,chosen,rejected,{OSC52},{OSC52}\np,a,b,1,2\n", encoding="utf-8")
    code, out, err = run(capsys, "import", "--db", tmp_path / "x.db", data)
    assert code == 2 and "twice" in err
    assert_no_escapes(out, err)


def _db_with_hostile_annotator(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    name = "\x9b2J\u202eé\x1b]0;title\x07"
    data = write_rows(tmp_path / f"{name}.jsonl",
                      [{"prompt": "p", "chosen": "a", "rejected": "b"}])
    db = tmp_path / "x.db"
    assert run(capsys, "import", "--db", db, data)[0] == 0
    return db


def test_stats_text_and_json_escape_c1_and_bidi(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    db = _db_with_hostile_annotator(tmp_path, capsys)
    code, out, err = run(capsys, "stats", "--db", db)
    assert code == 0
    assert_no_escapes(out, err)
    code, out, err = run(capsys, "stats", "--db", db, "--json")
    assert code == 0
    assert_no_escapes(out, err)
    names = list(json.loads(out)["annotators"])  # still valid JSON, value unchanged
    assert any("\x9b2J\u202eé" in n for n in names)


def test_stats_under_an_ascii_terminal_does_not_crash(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    db = _db_with_hostile_annotator(tmp_path, capsys)
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    for extra in ([], ["--json"]):
        proc = subprocess.run([sys.executable, "-m", "duelist.tui.cli.main", "stats", "--db",
                               str(db), *extra], capture_output=True, env=env, timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert b"\x1b" not in proc.stdout and b"\xc2\x9b" not in proc.stdout
