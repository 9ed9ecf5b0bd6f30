"""Round two, item 3 through `merge`: imported annotators stay tied to file content
when projects are merged (RELIABILITY.md §7 listed `merge` not carrying
`import_sources`: two projects that imported different files of one name joined
those labellers into one annotator)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from reliability._cli import FLIPPED, ROWS, live_judgements_per_annotator, run, write_rows


def _sources(db: Path) -> dict[str, str]:
    conn = sqlite3.connect(db)
    try:
        return dict(conn.execute("SELECT annotator, first_name FROM import_sources").fetchall())
    finally:
        conn.close()


def _project(tmp_path: Path, name: str, rows: list[dict],
             file_name: str = "labels.jsonl") -> tuple[Path, Path]:
    folder = tmp_path / name
    folder.mkdir()
    db = folder / "p.db"
    data = write_rows(folder / file_name, rows)
    return db, data


def test_two_labellers_files_of_one_name_stay_two_annotators_after_merge(
        tmp_path: Path, capsys) -> None:
    (alice, a), (bob, b) = _project(tmp_path, "alice", ROWS), _project(tmp_path, "bob", FLIPPED)
    assert run(capsys, "import", "--db", alice, a)[0] == 0
    assert run(capsys, "import", "--db", bob, b)[0] == 0
    team = tmp_path / "team.db"
    code, out, err = run(capsys, "merge", alice, bob, "-o", team)
    assert code == 0, err
    counts = live_judgements_per_annotator(team)
    assert len(counts) == 2 and sorted(counts.values()) == [4, 4], counts
    renamed = next(n for n in counts if n != "import:labels.jsonl")
    assert renamed.startswith("import:labels.jsonl#")
    assert f"import:labels.jsonl is {renamed} here" in out
    assert set(_sources(team)) == set(counts)
    # importing bob's file into the merged project now finds its content: nothing added
    code, out, _ = run(capsys, "import", "--db", team, b)
    assert code == 0 and "0 judgements added" in out, out
    # and merging again adds nothing either
    code, out, _ = run(capsys, "merge", alice, bob, "-o", team)
    assert code == 0 and "+0 judgements" in out, out
    assert live_judgements_per_annotator(team) == counts


def test_the_same_content_imported_under_another_name_keeps_the_targets_annotator(
        tmp_path: Path, capsys) -> None:
    (one, a), (two, _) = _project(tmp_path, "one", ROWS), _project(tmp_path, "two", [])
    copy = shutil.copy(a, tmp_path / "two" / "copy.jsonl")
    assert run(capsys, "import", "--db", one, a)[0] == 0
    assert run(capsys, "import", "--db", two, copy)[0] == 0
    assert live_judgements_per_annotator(two) == {"import:copy.jsonl": 4}
    code, out, err = run(capsys, "merge", two, "-o", one)
    assert code == 0, err
    assert "import:copy.jsonl is import:labels.jsonl here" in out
    assert live_judgements_per_annotator(one) == {"import:labels.jsonl": 4}  # one source, counted once
    assert _sources(one) == {"import:labels.jsonl": "labels.jsonl"}
