"""Assignment across annotators: overlap, leases, gold mixing, uncertainty order."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from collections import Counter

import pytest
from duelist.store import NewAnnotation, NewComparison, Score, Store


def _fill(store: Store, n: int, gold_every: int = 0) -> list[int]:
    store.insert_comparisons(
        NewComparison(prompt=f"p{i}", response_a=f"x{i}", response_b=f"y{i}",
                      gold=("a" if gold_every and i % gold_every == 0 else None))
        for i in range(n))
    return store.comparison_ids()


def _judge(store: Store, cid: int, who: str, choice: str = "a") -> None:
    store.add_annotation(NewAnnotation(comparison_id=cid, annotator=who, choice=choice))


def test_overlap_one_never_hands_out_the_same_item(store):
    _fill(store, 3)
    first = store.claim_next("ann")
    second = store.claim_next("bob")
    third = store.claim_next("cy")
    assert len({first.id, second.id, third.id}) == 3
    assert store.claim_next("dee") is None  # everything is leased
    # A restarted session of ann gets her own lease back, not a new item.
    assert store.claim_next("ann").id == first.id
    _judge(store, first.id, "ann")
    assert store.claim_next("ann") is None
    assert store.claim_next("dee") is None  # first is done at overlap 1


def test_overlap_two_gives_each_item_to_two_people(store):
    ids = _fill(store, 2)
    seen: Counter = Counter()
    for who in ("ann", "bob", "cy"):
        while (c := store.claim_next(who, overlap=2)) is not None:
            _judge(store, c.id, who)
            seen[c.id] += 1
    assert seen == Counter({ids[0]: 2, ids[1]: 2})
    assert {a.annotator for a in store.annotations_for(comparison_id=ids[0])} == {"ann", "bob"}


def test_expired_lease_comes_back(store):
    (cid,) = _fill(store, 1)
    assert store.claim_next("ann", lease_s=60, now=1000.0).id == cid
    assert store.claim_next("bob", now=1030.0) is None
    assert store.claim_next("bob", now=1061.0).id == cid  # ann's terminal died
    store.release_claim(cid, "bob")
    assert store.active_claims(now=1062.0) == []


def test_skip_does_not_count_toward_overlap(store):
    (cid,) = _fill(store, 1)
    assert store.claim_next("ann").id == cid
    _judge(store, cid, "ann", "skip")
    assert store.claim_next("ann") is None  # ann never sees it again
    assert store.claim_next("bob").id == cid  # but it is not done


def test_gold_is_mixed_in_at_the_rate_and_shown_to_everyone(store):
    _fill(store, 200, gold_every=5)  # 40 gold, 160 ordinary
    gold_ids = set(store.gold_answers())
    got = []
    for _ in range(100):
        c = store.claim_next("ann", gold_rate=0.2, seed=3)
        got.append(c.id)
        _judge(store, c.id, "ann")
    n_gold = sum(cid in gold_ids for cid in got)
    assert 10 <= n_gold <= 30, n_gold
    # Without a gold rate, the ordinary pool comes first; gold only once it is empty.
    first = [store.claim_next("bob").id for _ in range(1)]
    assert first[0] not in gold_ids
    # Gold items ignore the overlap quota: bob can get a gold item ann already did.
    done_gold = next(cid for cid in got if cid in gold_ids)
    picks = set()
    for _ in range(200):
        c = store.claim_next("bob", gold_rate=1.0)
        if c is None:
            break
        picks.add(c.id)
        _judge(store, c.id, "bob")
    assert done_gold in picks


def test_uncertainty_and_disagreement_orders(store):
    ids = _fill(store, 4)
    model = store.register_model("/models/m1", "m1")
    store.put_scores([
        Score(model.id, ids[0], 2.0, -2.0, 0.1, 0.1),   # sure, members agree
        Score(model.id, ids[1], 0.1, 0.0, 0.2, 0.2),    # closest call
        Score(model.id, ids[2], 1.0, 0.0, 1.5, 1.5),    # members disagree most
    ])  # ids[3] unscored: last
    order = []
    while (c := store.claim_next("ann", order="uncertainty", model_id=model.id)) is not None:
        order.append(c.id)
        _judge(store, c.id, "ann")
    assert order == [ids[1], ids[2], ids[0], ids[3]]
    assert store.next_unjudged_by_uncertainty("bob", model.id).id == ids[1]
    assert store.next_unjudged_by_uncertainty("bob", model.id, mode="disagreement").id == ids[2]
    assert store.claim_next("bob", order="disagreement", model_id=model.id) is None  # all done
    assert store.claim_next("bob", order="disagreement", model_id=model.id,
                            overlap=2).id == ids[2]
    with pytest.raises(ValueError):
        store.claim_next("cy", order="sideways", model_id=model.id)


_WORKER = textwrap.dedent("""
    import json, pathlib, sys, time
    from duelist.store import NewAnnotation, Store
    path, who, overlap = sys.argv[1], sys.argv[2], int(sys.argv[3])
    store = Store.open(path)
    pathlib.Path(f"{path}.ready.{who}").touch()
    while not pathlib.Path(f"{path}.go").exists():  # start together, not one by one
        time.sleep(0.01)
    got = []
    while True:
        c = store.claim_next(who, overlap=overlap, order="random", seed=len(who))
        if c is None:
            break
        store.add_annotation(NewAnnotation(comparison_id=c.id, annotator=who, choice="a",
                                           shown_swapped=False, duration_ms=10))
        got.append(c.id)
        time.sleep(0.005)  # a (very fast) annotator reads the next item
    print(json.dumps(got))
""")


@pytest.mark.parametrize("overlap", [1, 2])
def test_four_processes_judge_one_database(db_path, overlap):
    """4 real processes race on one file: no duplicate at overlap 1, no lost or
    locked writes, and every comparison ends with exactly `overlap` judges."""
    n = 120
    with Store.open(db_path) as s:
        _fill(s, n)
    procs = [subprocess.Popen([sys.executable, "-c", _WORKER, str(db_path), f"w{i}", str(overlap)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(4)]
    deadline = time.monotonic() + 120
    while len(list(db_path.parent.glob("*.ready.*"))) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    (db_path.parent / f"{db_path.name}.go").touch()
    results = []
    for p in procs:
        out, err = p.communicate(timeout=240)
        assert p.returncode == 0, err
        results.append(json.loads(out))
    claimed = [cid for got in results for cid in got]
    assert len(claimed) == n * overlap  # nothing lost
    with Store.open(db_path) as s:
        rows = s.annotations_for()
        assert len(rows) == n * overlap  # every write landed
        per_item = Counter(a.comparison_id for a in rows)
        assert set(per_item.values()) == {overlap}
        for cid in per_item:
            judges = [a.annotator for a in rows if a.comparison_id == cid]
            assert len(set(judges)) == overlap  # never the same person twice
        assert s.integrity_ok()
    if overlap == 1:
        assert len(set(claimed)) == n
    # The exact split depends on the scheduler, so it is printed; that the work was
    # shared at all is asserted (each worker pauses 5 ms per item, like a reader).
    print(f"\noverlap {overlap}: items per process {[len(got) for got in results]}")
    assert sum(1 for got in results if got) >= 2


def test_judge_counts_follow_every_writer(store):
    """The `judges` column (triggers, migration m002) drives the queue: it must
    follow inserts, skips, undo, bulk writes and merges."""
    (cid,) = _fill(store, 1)

    def judges() -> int:
        return store.db.execute("SELECT judges FROM comparisons WHERE id = ?", [cid]).fetchone()[0]

    _judge(store, cid, "ann")
    _judge(store, cid, "bob", "skip")
    assert judges() == 1  # a skip is not a judgement
    first = store.annotations_for(annotator="ann")[0]
    store.undo_annotation(first.id)
    assert judges() == 0
    store.add_annotations_bulk([NewAnnotation(cid, "cy", "b"), NewAnnotation(cid, "dee", "tie")])
    assert judges() == 2
    assert store.claim_next("eve", overlap=2) is None
    assert store.claim_next("eve", overlap=3).id == cid


def test_migration_backfills_judge_counts(tmp_path):
    """A store written before m002 gets correct counts when it is opened."""
    import sqlite3

    from duelist.store.migrations import m001_initial
    from sqlite_utils import Database

    path = tmp_path / "old.db"
    db = Database(sqlite3.connect(path))
    m001_initial(db)
    db.execute("CREATE TABLE _sqlite_migrations (migration_set TEXT, name TEXT, applied_at TEXT, "
               "PRIMARY KEY (migration_set, name))")
    db.execute("INSERT INTO _sqlite_migrations VALUES ('duelist', 'm001_initial', 'x')")
    db.execute("INSERT INTO comparisons (hash, prompt, response_a, response_b) "
               "VALUES ('h1', 'p', 'a', 'b'), ('h2', 'q', 'a', 'b')")
    db.execute("INSERT INTO annotations (comparison_id, annotator, choice) "
               "VALUES (1, 'x', 'a'), (1, 'y', 'skip'), (2, 'x', 'b')")
    db.execute("UPDATE annotations SET undone = 1 WHERE comparison_id = 2")
    db.conn.commit()
    db.close()
    with Store.open(path) as s:
        counts = dict(s.db.execute("SELECT id, judges FROM comparisons").fetchall())
        assert counts == {1: 1, 2: 0}
        assert s.claim_next("z").id == 2


def test_renewing_keeps_a_slow_readers_lease(store):
    (cid,) = _fill(store, 1)
    assert store.claim_next("ann", lease_s=60, now=1000.0).id == cid
    assert store.renew_claims("ann", lease_s=60, now=1050.0) == 1  # still reading at 1050
    assert store.claim_next("bob", now=1100.0) is None  # would have expired at 1060
    assert store.claim_next("bob", now=1111.0).id == cid
