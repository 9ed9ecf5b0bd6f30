"""Shared queue in the annotate app: --overlap, leases across sessions, gold mixed in."""

from __future__ import annotations

from pathlib import Path

import pytest
from annotate_helpers import live, make_app, make_project
from duelist.engine.application.annotation_session import Session
from duelist.store import NewComparison, Store
from duelist.tui.cli.main import main


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_two_annotators_at_overlap_one_never_share_an_item(db_path: Path) -> None:
    ids = make_project(db_path, 6)
    app = make_app(db_path, overlap=1)
    bob_store = Store.open(db_path)  # another annotator, another connection
    bob = Session(bob_store, "bob", overlap=1, seed=7)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            mine = app.screen.session.current.id
            theirs = bob.start().id
            assert mine != theirs  # the app's lease keeps bob off the item on screen
            for _ in range(2):
                await pilot.press("1")
                bob.judge("left", 1000)
            await pilot.pause()
            tester_ids = [r.comparison_id for r in live(db_path, "tester")]
            bob_ids = [r.comparison_id for r in live(db_path, "bob")]
            assert set(tester_ids).isdisjoint(bob_ids)
        # Quitting gave tester's lease back: bob can now finish everything else.
        while bob.current is not None:
            bob.judge("right", 1000)
        everyone = [r.comparison_id for r in bob_store.annotations_for()]
        assert sorted(everyone) == sorted(ids)  # each item judged exactly once
    finally:
        bob_store.close()


def test_overlap_two_sessions_share_each_item_twice(db_path: Path) -> None:
    ids = make_project(db_path, 4)
    stores = [Store.open(db_path) for _ in range(3)]
    try:
        sessions = [Session(s, name, overlap=2) for s, name in zip(stores, "xyz", strict=True)]
        for s in sessions:
            s.start()
        progress = True
        while progress:
            progress = False
            for s in sessions:
                if s.current is not None:
                    s.judge("left", 500)
                    progress = True
        rows = stores[0].annotations_for()
        per_item = {cid: sorted(r.annotator for r in rows if r.comparison_id == cid) for cid in ids}
        assert all(len(v) == 2 and len(set(v)) == 2 for v in per_item.values())
    finally:
        for s in stores:
            s.close()


def test_gold_items_are_mixed_in_unannounced(db_path: Path) -> None:
    with Store.open(db_path) as store:
        store.insert_comparisons(
            NewComparison(prompt=f"q{i}", response_a=f"good {i}", response_b=f"bad {i}",
                          gold="a" if i % 4 == 0 else None) for i in range(40))
        gold_ids = set(store.gold_answers())
        s = Session(store, "gia", gold_rate=0.25, seed=1)
        shown = []
        item = s.start()
        while item is not None and len(shown) < 20:
            shown.append(item.id)
            item = s.judge("left", 800) and s.current
        # Gold among the first 20 (not all postponed to the end), but not only gold.
        n_gold = sum(cid in gold_ids for cid in shown)
        assert 2 <= n_gold <= 12
        from duelist.engine.quality import store_report

        (gia,) = store_report(store).annotators
        assert gia.gold_n == n_gold
        assert gia.gold_accuracy == pytest.approx(
            sum(1 for r in store.annotations_for(annotator="gia")
                if r.comparison_id in gold_ids and r.choice == "a") / n_gold)


def test_cli_rejects_bad_overlap_and_gold_rate(tmp_path: Path, capsys) -> None:
    db = tmp_path / "x.db"
    assert main(["annotate", "--db", str(db), "--overlap", "0"]) == 2
    assert "--overlap must be at least 1" in capsys.readouterr().err
    assert main(["annotate", "--db", str(db), "--gold-rate", "1.5"]) == 2
    assert "--gold-rate must be between 0 and 1" in capsys.readouterr().err


@pytest.mark.parametrize("overlap", [None, 1])
def test_uncertainty_queue_follows_a_new_model_without_restart(db_path: Path, overlap) -> None:
    from duelist.store import Score

    ids = make_project(db_path, 6)
    with Store.open(db_path) as store:
        s = Session(store, "una", order="uncertainty", overlap=overlap, randomize=False)
        assert s.notice and "No model scores yet" in s.notice
        assert s.start().id == ids[0]  # no model yet: id order
        model = store.register_model("/models/new", "new")  # a training run finished
        store.put_scores([Score(model.id, cid, 1.0, 1.0 - 0.1 * (k + 1))  # ids[-1]: widest
                          for k, cid in enumerate(ids)])
        store.put_scores([Score(model.id, ids[4], 0.5, 0.49)])  # the closest call
        s.judge("left", 900)
        assert s.current.id == ids[4]


def test_undo_in_a_shared_queue_keeps_the_item(db_path: Path) -> None:
    make_project(db_path, 2)
    stores = [Store.open(db_path), Store.open(db_path)]
    try:
        ann = Session(stores[0], "ann", overlap=1)
        bob = Session(stores[1], "bob", overlap=1)
        first = ann.start().id
        ann.judge("left", 500)  # ann moves on to the second item
        ann.undo()  # and comes back to the first: it is open again, but hers
        assert ann.current.id == first
        assert bob.start() is None  # the second is leased to ann, the first held by her
        ann.judge("right", 500)
        rows = stores[0].annotations_for()
        assert [(r.comparison_id, r.annotator) for r in rows] == [(first, "ann")]
    finally:
        for s in stores:
            s.close()
