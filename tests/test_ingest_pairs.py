"""read_pairs: the trainer's path from a preference file to PreferencePairs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from duelist.engine.errors import InputError
from duelist.engine.ingest import FileInfo, read_pairs


def test_read_pairs_hh(hh_path: Path) -> None:
    info = FileInfo("")
    pairs = read_pairs(hh_path, info=info)
    raw = json.loads(hh_path.read_text("utf-8"))
    assert info.rows == len(raw)
    assert len(pairs) == len(raw) - info.skipped
    assert pairs[0].prompt == raw[0]["prompt"] and pairs[0].chosen == raw[0]["chosen"]
    assert pairs[0].provenance == {"source": hh_path.name, "row": 1}


def test_read_pairs_custom_columns_csv(tmp_path: Path) -> None:
    f = tmp_path / "code.csv"
    f.write_text("instruction,good_code,bad_code\n"
                 '"Sort a list","sorted(xs)","xs.sort"\n', encoding="utf-8")
    pairs = read_pairs(f, "instruction", "good_code", "bad_code")
    assert [(p.prompt, p.chosen, p.rejected) for p in pairs] == [("Sort a list", "sorted(xs)", "xs.sort")]


def test_read_pairs_strict_empty(tmp_path: Path) -> None:
    f = tmp_path / "p.jsonl"
    f.write_text('{"prompt": "p", "chosen": "x", "rejected": "y"}\n'
                 '{"prompt": "q", "chosen": " ", "rejected": "y"}\n', encoding="utf-8")
    assert len(read_pairs(f)) == 1
    with pytest.raises(InputError, match=r"p\.jsonl, row 2, column 'chosen'"):
        read_pairs(f, skip_empty=False)


def test_read_pairs_rejects_unjudged(tmp_path: Path) -> None:
    f = tmp_path / "todo.jsonl"
    f.write_text('{"prompt": "p", "response_a": "x", "response_b": "y"}\n', encoding="utf-8")
    with pytest.raises(InputError, match="still to judge"):
        read_pairs(f)
