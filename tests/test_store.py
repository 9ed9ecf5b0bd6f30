"""Store basics on a real SQLite file: migrations, pragmas, dedup, undo, runs, models."""

from __future__ import annotations

import sqlite3

import pytest
from duelist.store import (
    NewAnnotation,
    NewComparison,
    NewerSchemaError,
    NotADatabaseError,
    RunMetric,
    Score,
    Store,
    StoreError,
)


def test_blank_database_gets_schema_and_pragmas(db_path) -> None:
    s = Store.open(db_path)
    tables = set(s.db.table_names())
    assert {"comparisons", "annotations", "runs", "run_metrics", "models", "scores",
            "settings", "_sqlite_migrations"} <= tables
    assert s.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert s.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert s.db.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    s.close()
    # reopening applies nothing twice
    s2 = Store.open(db_path)
    from duelist.store.migrations import known_names

    applied = [r["name"] for r in s2.db.query("SELECT name FROM _sqlite_migrations")]
    assert sorted(applied) == sorted(known_names())  # each migration exactly once
    s2.close()


def test_dedup_by_content_hash_including_flipped(store) -> None:
    added = store.insert_comparisons([
        NewComparison("p", "x", "y"), NewComparison("p", "y", "x"), NewComparison("p", "x", "y")])
    assert added == 1
    placed = store.add_comparison(NewComparison("p", "y", "x"))
    assert placed.flipped and not placed.added
    assert store.count_comparisons() == 1


def test_bulk_insert_is_all_or_nothing(store) -> None:
    def items():
        yield NewComparison("p1", "a", "b")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        store.insert_comparisons(items())
    assert store.count_comparisons() == 0


def test_undo_marks_and_never_deletes(store) -> None:
    store.insert_comparisons([NewComparison("p", "a", "b")])
    c = store.next_for_annotator("ann")
    a = store.add_annotation(NewAnnotation(c.id, "ann", "b", shown_swapped=True, duration_ms=120))
    assert store.next_for_annotator("ann") is None
    undone = store.undo_annotation(a.id)
    assert undone.undone and undone.undone_at
    assert store.undo_annotation(a.id) is None
    assert store.annotations_for(annotator="ann") == []
    assert len(store.annotations_for(annotator="ann", include_undone=True)) == 1
    assert store.next_for_annotator("ann").id == c.id


def test_runs_metrics_models_scores(store) -> None:
    run = store.create_run("r1", {"lr": 1e-5})
    store.update_run(run.id, status="running", pid=123)
    store.add_metrics([RunMetric(run.id, 1, "train", loss=0.7), RunMetric(run.id, 2, "eval", accuracy=0.6)])
    assert [m.step for m in store.metrics_for_run(run.id)] == [1, 2]
    assert store.metrics_for_run(run.id, "eval")[0].accuracy == 0.6
    m1 = store.register_model("/m/1", "m1", run_id=run.id)
    m2 = store.register_model("/m/2", "m2")
    assert store.current_model().id == m2.id
    store.set_current_model(m1.id)
    assert store.current_model().id == m1.id
    store.insert_comparisons([NewComparison("p", "a", "b")])
    store.put_scores([Score(m1.id, 1, 0.5, -0.5)])
    assert store.scores_for_model(m1.id)[0].score_a == 0.5
    with pytest.raises(ValueError):
        store.update_run(run.id, status="bogus")


def test_not_a_database(tmp_path) -> None:
    bad = tmp_path / "notes.db"
    bad.write_text("hello, I am a text file")
    with pytest.raises(NotADatabaseError, match="not a SQLite database"):
        Store.open(bad)
    assert bad.read_text() == "hello, I am a text file"


def test_foreign_sqlite_file_is_refused(tmp_path) -> None:
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE customers (id)")
    conn.commit()
    conn.close()
    with pytest.raises(NotADatabaseError, match="not a Duelist store"):
        Store.open(other)


def test_newer_schema_is_refused(db_path) -> None:
    Store.open(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
                 "VALUES ('duelist', 'm999_from_the_future', 'now')")
    conn.commit()
    conn.close()
    with pytest.raises(NewerSchemaError, match="newer"):
        Store.open(db_path)


def test_directory_and_missing_folder(tmp_path) -> None:
    with pytest.raises(NotADatabaseError, match="directory"):
        Store.open(tmp_path)
    with pytest.raises(StoreError, match="does not exist"):
        Store.open(tmp_path / "nope" / "x.db")
