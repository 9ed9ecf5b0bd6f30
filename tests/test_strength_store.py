"""Strength, adjudications, search and notes in the store (real SQLite files).

Includes the migration from the schema before this feature (m001-m003): a store
written then opens with its judgements intact and gains the new columns/table.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from duelist.store import NewAnnotation, NewComparison, Store
from duelist.store.migrations import m001_initial, m002_judge_counts, m003_gold_index
from duelist.store.review import SearchFilter
from sqlite_utils import Database
from sqlite_utils.migrations import Migrations


def _old_store(path: Path) -> None:
    """A database exactly as Duelist wrote it before m004/m005, with one judgement."""
    old = Migrations("duelist")
    for fn, name in ((m001_initial, "m001_initial"), (m002_judge_counts, "m002_judge_counts"),
                     (m003_gold_index, "m003_gold_index")):
        old(name=name)(fn)
    db = Database(str(path))
    old.apply(db)
    db.execute("INSERT INTO comparisons (hash, prompt, response_a, response_b) "
               "VALUES ('h', 'p', 'x', 'y')")
    db.execute("INSERT INTO annotations (comparison_id, annotator, choice, rationale) "
               "VALUES (1, 'ann', 'a', 'old note')")
    db.conn.commit()
    db.close()


def test_migration_from_the_previous_schema_keeps_judgements(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _old_store(path)
    with Store.open(path) as s:
        applied = {r[0] for r in s.db.execute("SELECT name FROM _sqlite_migrations")}
        assert {"m004_strength", "m005_adjudications_repeats"} <= applied
        [ann] = s.annotations_for()
        assert (ann.choice, ann.strength, ann.rationale) == ("a", None, "old note")
        assert s.latest_adjudications() == {}
        graded = s.add_annotation(NewAnnotation(1, "bob", "b", strength=3))
        assert graded.strength == 3


def test_strength_only_on_a_or_b_and_only_1_to_3(store) -> None:
    store.insert_comparisons([NewComparison("p", "x", "y")])
    with pytest.raises(ValueError, match="strength must be 1, 2 or 3"):
        store.add_annotation(NewAnnotation(1, "ann", "a", strength=4))
    with pytest.raises(ValueError, match="only an A or B"):
        store.add_annotation(NewAnnotation(1, "ann", "tie", strength=1))
    # the schema refuses it too, for writers that skip the dataclass check
    with pytest.raises(sqlite3.IntegrityError):
        store.db.execute("INSERT INTO annotations (comparison_id, annotator, choice, strength) "
                         "VALUES (1, 'x', 'tie', 2)")
    assert store.add_annotation(NewAnnotation(1, "ann", "a", strength=1)).strength == 1
    store.add_annotations_bulk([NewAnnotation(1, "bob", "b", strength=2)])
    assert store.strength_counts() == {"ann": {1: 1}, "bob": {2: 1}}


def test_adjudication_newest_live_wins_and_undo_restores(store) -> None:
    store.insert_comparisons([NewComparison("p", "x", "y")])
    first = store.add_adjudication(1, "lead", "a", 2, "A cites the source")
    second = store.add_adjudication(1, "lead", "b")
    assert store.latest_adjudications()[1].id == second.id
    assert store.undo_adjudication(second.id)
    assert store.latest_adjudications()[1] == first
    assert store.adjudication_for(1).note == "A cites the source"
    with pytest.raises(ValueError):
        store.add_adjudication(1, "lead", "skip")
    with pytest.raises(ValueError):
        store.add_adjudication(1, "lead", "tie", 2)


def _project(store) -> None:
    store.insert_comparisons([
        NewComparison("capital of France", "Paris", "Lyon", gold="a"),  # 1: gold missed by bob
        NewComparison("2+2", "4", "5"),  # 2: agree
        NewComparison("colour of sky", "blue", "green"),  # 3: disagree
        NewComparison("100% sure_thing", "yes", "no"),  # 4: unjudged, LIKE metacharacters
        NewComparison("skip me", "a1", "b1"),  # 5: skipped only
    ])
    store.add_annotations_bulk([
        NewAnnotation(1, "ann", "a"), NewAnnotation(1, "bob", "b", rationale="Lyon is bigger"),
        NewAnnotation(2, "ann", "a"), NewAnnotation(2, "bob", "a", strength=3),
        NewAnnotation(3, "ann", "a"), NewAnnotation(3, "bob", "tie"),
        NewAnnotation(5, "ann", "skip"),
    ])


def test_review_lists_disagreements_and_missed_gold(store) -> None:
    _project(store)
    assert store.review_comparison_ids() == [1, 3]
    assert store.review_comparison_ids(SearchFilter(text="sky")) == [3]


@pytest.mark.parametrize(("f", "ids"), [
    (SearchFilter(text="PARIS"), [1]),
    (SearchFilter(text="100%"), [4]),
    (SearchFilter(text="Par_s"), []),  # _ is literal, not a wildcard
    (SearchFilter(text="sure_"), [4]),
    (SearchFilter(annotator="bob"), [1, 2, 3]),
    (SearchFilter(status="unjudged"), [4]),
    (SearchFilter(status="judged"), [1, 2, 3]),
    (SearchFilter(status="skipped"), [5]),
    (SearchFilter(status="disputed"), [1, 3]),
    (SearchFilter(gold=True), [1]),
    (SearchFilter(gold=False, status="judged"), [2, 3]),
])
def test_search_filters(store, f: SearchFilter, ids: list[int]) -> None:
    _project(store)
    assert store.search_comparison_ids(f) == ids


def test_search_by_model_uncertainty(store) -> None:
    from duelist.store import Score

    _project(store)
    model = store.register_model("/m", "m")
    store.put_scores([Score(model.id, 1, 2.0, 0.0), Score(model.id, 2, 0.1, 0.0)])
    assert store.search_comparison_ids(SearchFilter(model_id=model.id,
                                                    uncertain_below=0.5)) == [2]
    with pytest.raises(ValueError, match="scored model"):
        store.search_comparison_ids(SearchFilter(uncertain_below=0.5))


def test_notes_counted_and_newest_first(store) -> None:
    _project(store)
    store.add_annotation(NewAnnotation(3, "cy", "b", rationale="green is wrong"))
    assert store.count_notes() == 2
    notes = store.recent_notes(5)
    assert [(n.annotator, n.note) for n in notes] == [("cy", "green is wrong"),
                                                      ("bob", "Lyon is bigger")]
