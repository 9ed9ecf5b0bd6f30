"""Bad input: every case exits non-zero with ONE stderr line naming file, row, column.

Each case writes a real file, runs the real CLI entry (`main([...])`), and checks
the database was left empty.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from duelist.store import Store
from duelist.tui.cli.main import main
from ingest_helpers import dump, write_rows

GOOD = '{"prompt": "p", "chosen": "good", "rejected": "bad"}\n'


def _w(name: str, content: str | bytes):
    """A case that writes `content` to tmp/name."""
    def make(tmp: Path) -> Path:
        path = tmp / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path
    return make


def _parquet(name: str, rows: list[dict]):
    return lambda tmp: write_rows(tmp / name, rows, "parquet")


def _dir(tmp: Path) -> Path:
    (tmp / "folder").mkdir()
    return tmp / "folder"


# (id, file maker, extra CLI args, fragments the error line must contain)
CASES = [
    ("jsonl-malformed", _w("a.jsonl", GOOD + GOOD + '{"prompt": "p", "chosen": \n'), [],
     ["a.jsonl", "row 3", "malformed JSON"]),
    ("jsonl-not-object", _w("b.jsonl", GOOD + '["p", "c", "r"]\n'), [],
     ["b.jsonl", "row 2", "expected a JSON object"]),
    ("json-truncated", _w("c.json", '[{"prompt": "p", "chosen": "x", "rejected": "y"},\n {"prompt": "q'),
     [], ["c.json", "row 2", "malformed JSON at line 2"]),
    ("json-missing-comma", _w("d.json", '[{"prompt": "p", "chosen": "x", "rejected": "y"}\n'
                                        '{"prompt": "q", "chosen": "x", "rejected": "y"}]'),
     [], ["d.json", "row 1", "expected ',' or ']'"]),
    ("json-array-of-numbers", _w("e.json", "[1, 2, 3]"), [],
     ["e.json", "row 1", "expected a JSON object, got a number"]),
    ("json-trailing-garbage", _w("f.json", '[{"prompt": "p", "chosen": "x", "rejected": "y"}] xx'),
     [], ["f.json", "extra data"]),
    ("csv-unclosed-quote", _w("g.csv", 'prompt,chosen,rejected\n"p,"x","y"\n'), [],
     ["g.csv", "row 1", "malformed CSV"]),
    ("csv-extra-field", _w("h.csv", "prompt,chosen,rejected\np,x,y\nq,x,y,z\n"), [],
     ["h.csv", "row 2", "more than the 3 columns"]),
    ("csv-missing-field", _w("i.csv", "prompt,chosen,rejected\np,x\n"), [],
     ["i.csv", "row 1", "fewer than the 3 columns"]),
    ("csv-duplicate-header", _w("j.csv", "prompt,chosen,chosen\np,x,y\n"), [],
     ["j.csv", "column 'chosen'", "twice"]),
    ("empty-file", _w("k.jsonl", ""), [], ["k.jsonl", "no data rows"]),
    ("whitespace-csv", _w("l.csv", "  \n\n"), [], ["l.csv", "empty"]),
    ("header-only-csv", _w("m.csv", "prompt,chosen,rejected\n"), [], ["m.csv", "no data rows"]),
    ("utf16-without-bom", _w("n.jsonl", GOOD.encode("utf-16-le")), [],
     ["n.jsonl", "row 1", "UTF-16"]),
    ("utf32-bom", _w("o.jsonl", GOOD.encode("utf-32")), [], ["o.jsonl", "UTF-32"]),
    ("invalid-utf8", _w("p.csv", "prompt,chosen,rejected\ncaf\xe9,x,y\n".encode("latin-1")), [],
     ["p.csv", "row 2", "invalid UTF-8"]),
    ("nul-byte", _w("q.jsonl", GOOD.encode() + b'{"prompt": "p\x00", "chosen": "a", "rejected": "b"}\n'),
     [], ["q.jsonl", "row 2", "NUL"]),
    ("nul-escape", _w("r.jsonl", '{"prompt": "p", "chosen": "a\\u0000", "rejected": "b"}\n'), [],
     ["r.jsonl", "row 1", "column 'chosen'", "NUL"]),
    ("empty-chosen", _w("s.jsonl", GOOD + '{"prompt": "p2", "chosen": "", "rejected": "b"}\n'), [],
     ["s.jsonl", "row 2", "column 'chosen'", "empty"]),
    ("whitespace-prompt", _w("t.csv", 'prompt,chosen,rejected\n"   ",x,y\n'), [],
     ["t.csv", "row 1", "column 'prompt'", "empty"]),
    ("identical-a-b", _w("u.jsonl", '{"prompt": "p", "response_a": "same", "response_b": "same"}\n'),
     [], ["u.jsonl", "row 1", "column 'response_b'", "identical"]),
    ("missing-column", _w("v.csv", "prompt,chosen\np,x\n"), [],
     ["v.csv", "row 1", "column 'rejected'", "missing"]),
    ("missing-column-later-row", _w("w.jsonl", GOOD + '{"prompt": "p2", "rejected": "b"}\n'), [],
     ["w.jsonl", "row 2", "column 'chosen'", "missing"]),
    ("unknown-columns", _w("x.jsonl", '{"question": "q", "answer": "a"}\n'), [],
     ["x.jsonl", "row 1", "cannot tell the input shape"]),
    ("ambiguous-columns", _w("y.jsonl", '{"prompt": "p", "chosen": "a", "rejected": "b", '
                                        '"responses": ["c", "d"]}\n'), [],
     ["y.jsonl", "row 1", "--shape"]),
    ("score-not-number", _w("z.csv", "prompt,response,score\np,x,high\np,y,2\n"), [],
     ["z.csv", "row 1", "column 'score'", "number"]),
    ("score-nan", _w("z2.jsonl", '{"prompt": "p", "response": "x", "score": NaN}\n'), [],
     ["z2.jsonl", "row 1", "column 'score'", "finite"]),
    ("prompt-is-number", _w("aa.jsonl", '{"prompt": 42, "chosen": "a", "rejected": "b"}\n'), [],
     ["aa.jsonl", "row 1", "column 'prompt'", "expected text"]),
    ("responses-not-list", _w("ab.jsonl", '{"prompt": "p", "responses": "just one"}\n'), [],
     ["ab.jsonl", "row 1", "column 'responses'", "list"]),
    ("responses-too-few", _w("ac.jsonl", '{"prompt": "p", "responses": ["only"]}\n'), [],
     ["ac.jsonl", "row 1", "column 'responses'", "at least 2"]),
    ("responses-duplicate", _w("ad.jsonl", '{"prompt": "p", "responses": ["x", "y", "x"]}\n'), [],
     ["ad.jsonl", "row 1", "column 'responses'", "identical"]),
    ("bad-winner", _w("ae.csv", "prompt,response_a,response_b,winner\np,x,y,C\n"), [],
     ["ae.csv", "row 1", "column 'winner'", "unknown winner"]),
    ("bad-gold", _w("af.jsonl", '{"prompt": "p", "response_a": "x", "response_b": "y", "gold": "maybe"}\n'),
     [], ["af.jsonl", "row 1", "column 'gold'", "gold answer"]),
    ("chat-message-without-role", _w("ag.jsonl", '{"prompt": [{"content": "hi"}], "chosen": "a", '
                                                 '"rejected": "b"}\n'), [],
     ["ag.jsonl", "row 1", "column 'prompt'", "role"]),
    ("directory-as-file", _dir, [], ["folder", "is a directory"]),
    ("missing-path", lambda tmp: tmp / "nope.jsonl", [], ["nope.jsonl", "no such file"]),
    ("corrupt-parquet", _w("ah.parquet", b"PAR1 this is not really parquet"), [],
     ["ah.parquet", "Parquet"]),
    ("parquet-mistyped", _parquet("ai", [{"prompt": "p", "chosen": 1, "rejected": 2}]), [],
     ["ai.parquet", "row 1", "column 'chosen'", "expected text"]),
    ("unknown-extension", _w("aj.txt", "hello world\n"), [], ["aj.txt", "unknown file type"]),
    ("forced-shape-missing", _w("ak.jsonl", GOOD), ["--shape", "ratings"],
     ["ak.jsonl", "row 1", "column 'response'", "missing"]),
    ("mapped-column-missing", _w("al.csv", "prompt,chosen,rejected\np,x,y\n"),
     ["--text-column", "good_code"], ["al.csv", "row 1", "column 'good_code'"]),
]


@pytest.mark.parametrize("make,extra,fragments", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input(tmp_path: Path, capsys, make, extra, fragments) -> None:
    path = make(tmp_path)
    db = tmp_path / "d.db"
    Store.open(db).close()
    before = dump(db)
    code = main(["import", str(path), "--db", str(db), *extra])
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert code == 2
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("duelist: error: ")
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert "Traceback" not in captured.err
    assert dump(db) == before


def test_at_least_25_cases() -> None:
    assert len(CASES) >= 25


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(tmp_path: Path, capsys) -> None:
    path = tmp_path / "secret.jsonl"
    path.write_text(GOOD)
    path.chmod(0)
    assert main(["import", str(path), "--db", str(tmp_path / "d.db")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "secret.jsonl" in err[0] and "permission" in err[0]


def test_non_sqlite_db(tmp_path: Path, capsys) -> None:
    data = tmp_path / "ok.jsonl"
    data.write_text(GOOD)
    db = tmp_path / "notes.db"
    db.write_text("these are my notes, not a database\n" * 20)
    assert main(["import", str(data), "--db", str(db)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "notes.db" in err[0] and "not a SQLite database" in err[0]
    assert db.read_text().startswith("these are my notes")


def test_newer_schema_db(tmp_path: Path, capsys) -> None:
    data = tmp_path / "ok.jsonl"
    data.write_text(GOOD)
    db = tmp_path / "future.db"
    Store.open(db).close()
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
                 "VALUES ('duelist', 'm999_from_the_future', 'now')")
    conn.commit()
    conn.close()
    for command in (["import", str(data)], ["export", str(tmp_path / "o.jsonl")], ["stats"]):
        assert main([*command, "--db", str(db)]) == 2
        err = capsys.readouterr().err.splitlines()
        assert len(err) == 1 and "future.db" in err[0] and "newer" in err[0], err


def test_bad_second_file_imports_nothing(tmp_path: Path, capsys) -> None:
    """One command, two files: the bad row in the second rolls back the first too."""
    good = tmp_path / "good.jsonl"
    good.write_text("".join(json.dumps({"prompt": f"p{i}", "chosen": "a", "rejected": "b"}) + "\n"
                            for i in range(50)))
    bad = tmp_path / "bad.jsonl"
    bad.write_text(GOOD + '{"prompt": "q", "chosen": "same", "rejected": "same"}\n')
    db = tmp_path / "d.db"
    assert main(["import", str(good), "--db", str(db)]) == 0
    capsys.readouterr()
    before = dump(db)
    more = tmp_path / "more.jsonl"
    more.write_text(json.dumps({"prompt": "new", "chosen": "x", "rejected": "y"}) + "\n")
    assert main(["import", str(more), str(bad), "--db", str(db)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "bad.jsonl, row 2, column 'rejected'" in err[0]
    assert dump(db) == before
    with Store.open(db) as store:
        assert store.count_comparisons() == 50
        assert store.integrity_ok()
