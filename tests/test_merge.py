"""Team merge: dedupe by content, orientation mapping, idempotency, atomicity."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from duelist.engine.quality import annotator_stats
from duelist.store import NewAnnotation, NewComparison, Store, StoreError
from duelist.tui.cli.main import main


def _store(path: Path, pairs, judgements) -> None:
    """pairs: (prompt, a, b, gold); judgements: (pair index, who, choice, swapped, undo)."""
    with Store.open(path) as s:
        ids = [s.add_comparison(NewComparison(prompt=p, response_a=a, response_b=b, gold=g)).id
               for p, a, b, g in pairs]
        for idx, who, choice, swapped, undo in judgements:
            ann = s.add_annotation(NewAnnotation(comparison_id=ids[idx], annotator=who,
                                                 choice=choice, shown_swapped=swapped,
                                                 duration_ms=4000))
            if undo:
                s.undo_annotation(ann.id)


@pytest.fixture
def two_dbs(tmp_path):
    a, b = tmp_path / "alice.db", tmp_path / "bob.db"
    _store(a, [("q1", "good", "bad", None), ("q2", "x", "y", "a")],
           [(0, "alice", "a", False, False), (1, "alice", "b", True, False),
            (1, "alice", "a", False, True)])
    # bob has q1 FLIPPED (bad, good), the same gold item flipped, and one of his own.
    _store(b, [("q1", "bad", "good", None), ("q2", "y", "x", "b"), ("q3", "m", "n", None)],
           [(0, "bob", "b", True, False), (1, "bob", "b", False, False),
            (2, "bob", "tie", False, False)])
    return a, b


def _by(store: Store, who: str) -> dict[str, tuple[str, bool, bool]]:
    """prompt -> (winner text, shown_swapped, undone) for one annotator."""
    out = {}
    for ann in store.annotations_for(annotator=who, include_undone=True):
        c = store.get_comparison(ann.comparison_id)
        winner = {"a": c.response_a, "b": c.response_b}.get(ann.choice, ann.choice)
        out.setdefault(c.prompt, []).append((winner, ann.shown_swapped, ann.undone))
    return out


def test_merge_maps_orientation_and_is_idempotent(tmp_path, two_dbs):
    a, b = two_dbs
    team = tmp_path / "team.db"
    with Store.open(team) as t:
        r = t.merge_from([a, b])
        assert (r.comparisons_added, r.annotations_added) == (3, 6)
        assert r.flipped == 2  # bob's q1 and q2 are stored the other way round
        assert t.count_comparisons() == 3
        # Winners are the same TEXT as in the sources, whatever the orientation.
        bob = _by(t, "bob")
        assert bob["q1"] == [("good", False, False)]  # picked 'b'=good on a swapped screen
        assert bob["q2"] == [("x", True, False)]
        alice = _by(t, "alice")
        assert sorted(alice["q2"]) == [("x", False, True), ("y", True, False)]  # undo kept
        # Gold: both stores say 'x' wins q2; one answer, in the target's orientation.
        q2 = next(c for c in t.iter_comparisons() if c.prompt == "q2")
        assert {"a": q2.response_a, "b": q2.response_b}[q2.gold] == "x"
        before = [x.id for x in t.annotations_for(include_undone=True)]
        again = t.merge_from([a, b])
        assert (again.comparisons_added, again.annotations_added) == (0, 0)
        assert [x.id for x in t.annotations_for(include_undone=True)] == before


def test_merge_keeps_which_side_was_picked(tmp_path, two_dbs):
    """Left-pick rate is a fact about the screen: flipping storage must not change it."""
    a, b = two_dbs
    team = tmp_path / "team.db"
    with Store.open(b) as s:
        before = {x.annotator: x.left_picks for x in annotator_stats(s.judgement_facts())}
    with Store.open(team) as t:
        t.merge_from([a, b])
        after = {x.annotator: x.left_picks for x in annotator_stats(t.judgement_facts())}
    assert after["bob"] == before["bob"]


def test_undo_made_later_is_carried_over(tmp_path, two_dbs):
    a, b = two_dbs
    team = tmp_path / "team.db"
    with Store.open(team) as t:
        t.merge_from([a, b])
    with Store.open(b) as s:
        s.undo_annotation(s.annotations_for(annotator="bob")[0].id)
    with Store.open(team) as t:
        r = t.merge_from([b])
        assert (r.annotations_added, r.undos_carried) == (0, 1)
        assert len(t.annotations_for(annotator="bob")) == 2


def test_merge_is_all_or_nothing(tmp_path, two_dbs):
    a, b = two_dbs
    # b gets a dangling judgement (written without foreign keys), found mid-merge,
    # after alice's and bob's comparisons were already placed: all must roll back.
    raw = sqlite3.connect(b)
    raw.execute("INSERT INTO annotations (comparison_id, annotator, choice) VALUES (99, 'bob', 'a')")
    raw.commit()
    raw.close()
    team = tmp_path / "team.db"
    with Store.open(team) as t:
        with pytest.raises(StoreError, match=r"bob\.db: judgement .* comparison 99"):
            t.merge_from([a, b])
        assert t.count_comparisons() == 0
        assert t.annotations_for(include_undone=True) == []
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite at all" * 10)
    with Store.open(team) as t:
        with pytest.raises(StoreError, match=r"junk\.db"):
            t.merge_from([a, junk])
        assert t.count_comparisons() == 0
        with pytest.raises(StoreError, match="merge target"):
            t.merge_from([team])


def test_cli_merge(tmp_path, two_dbs, capsys):
    a, b = two_dbs
    team = tmp_path / "team.db"
    assert main(["merge", str(a), str(b), "-o", str(team)]) == 0
    out = capsys.readouterr().out
    assert "+3 comparisons" in out and "+6 judgements" in out
    assert main(["merge", str(a), str(b), "-o", str(team)]) == 0
    assert "+0 comparisons" in capsys.readouterr().out
    missing = tmp_path / "nope.db"
    other = tmp_path / "other.db"
    assert main(["merge", str(missing), "-o", str(other)]) == 2
    assert "nope.db: no such database" in capsys.readouterr().err
    assert not other.exists()


def test_adjudications_and_repeats_travel_with_the_judgements(tmp_path, two_dbs):
    """A lead's decisions and the self-consistency repeats are part of a project: a
    merge keeps them (in the target's orientation) and a second merge adds nothing."""
    _, bob = two_dbs
    with Store.open(bob) as s:
        q1 = next(c for c in s.iter_comparisons() if c.prompt == "q1")  # flipped vs alice
        s.add_adjudication(q1.id, "lead", "b", strength=3, note="B is right")
        undone = s.add_adjudication(q1.id, "lead", "tie")
        s.undo_adjudication(undone.id)
        original = s.annotations_for(comparison_id=q1.id)[0]
        s.add_repeat(original.id, "a", shown_swapped=False)
    target = tmp_path / "team.db"
    with Store.open(target) as t:
        first = t.merge_from([str(two_dbs[0]), str(bob)])
        again = t.merge_from([str(two_dbs[0]), str(bob)])
        q1t = next(c for c in t.iter_comparisons() if c.prompt == "q1")
        adj = t.adjudication_for(q1t.id)
        pairs = t.repeat_pairs()
    assert (first.adjudications_added, first.repeats_added) == (2, 1)
    assert (again.adjudications_added, again.repeats_added) == (0, 0)
    assert q1t.response_a == "good"  # alice's orientation came first
    assert adj is not None and (adj.choice, adj.strength, adj.note) == ("a", 3, "B is right")
    assert [(p.annotator, p.original, p.repeat) for p in pairs] == [("bob", "a", "b")]
