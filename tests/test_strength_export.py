"""Strength and notes leave the store: margin/notes columns, import and export round
trips with `margin`, the `adjudicated` policy, and export's search filters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from duelist.engine.ingest import read_pairs
from duelist.engine.preferences.resolve import resolve_pairs
from duelist.store import NewAnnotation, NewComparison, Store
from duelist.tui.cli.main import main


@pytest.fixture
def graded(db_path: Path) -> Path:
    with Store.open(db_path) as s:
        for name in ("much", "slight", "mixed", "plain", "dispute"):
            s.add_comparison(NewComparison(f"prompt {name}", f"A {name}", f"B {name}"))
        s.add_annotations_bulk([
            NewAnnotation(1, "ann", "a", strength=3, rationale="A is correct\nB is not"),
            NewAnnotation(2, "ann", "b", strength=1),
            NewAnnotation(3, "ann", "a", strength=3), NewAnnotation(3, "bob", "a"),
            NewAnnotation(4, "ann", "a"),
            NewAnnotation(5, "ann", "a", strength=2), NewAnnotation(5, "bob", "b",
                                                                  rationale="B is shorter"),
        ])
    return db_path


def _rows(path: Path) -> dict[str, dict]:
    return {r["prompt"]: r for r in map(json.loads, path.read_text().splitlines())}


def test_export_writes_margin_strengths_and_notes(graded: Path, tmp_path: Path) -> None:
    out = tmp_path / "p.jsonl"
    assert main(["export", str(out), "--db", str(graded)]) == 0
    rows = _rows(out)
    assert {p: r["margin"] for p, r in rows.items()} == pytest.approx(
        {"prompt much": 1.0, "prompt slight": 1 / 3, "prompt mixed": 0.5, "prompt plain": 0.0},
        abs=1e-6)  # the dispute is a conflict under majority: left out
    assert rows["prompt much"]["notes"] == "ann: A is correct\nB is not"
    assert rows["prompt much"]["strengths"] == "ann=much"
    assert rows["prompt slight"]["chosen"] == "B slight"


@pytest.mark.parametrize("name", ["p.jsonl", "p.csv", "p.parquet"])
def test_margin_round_trips_through_export_and_import(graded: Path, tmp_path: Path,
                                                      name: str) -> None:
    out = tmp_path / name
    assert main(["export", str(out), "--db", str(graded)]) == 0
    fresh = tmp_path / "fresh.db"
    assert main(["import", str(out), "--db", str(fresh)]) == 0
    with Store.open(graded) as a, Store.open(fresh) as b:
        def margins(s: Store) -> dict[str, float]:
            return {p.prompt: p.margin for p in resolve_pairs(s).pairs}
        single = {k: v for k, v in margins(a).items() if k != "prompt mixed"}
        again = margins(b)
    # single-annotator margins come back exactly; the mixed one (0.5, a mean of two
    # votes) comes back as the nearest level a single importer vote can hold
    assert {k: v for k, v in again.items() if k != "prompt mixed"} == pytest.approx(single)
    assert again["prompt mixed"] == pytest.approx(2 / 3)
    # --data-path training reads the file's margin exactly, no rounding to a level
    pairs = {p.prompt: p.margin for p in read_pairs(out)}
    assert pairs["prompt mixed"] == pytest.approx(0.5)


def test_import_strength_column_names_and_errors(tmp_path: Path, capsys) -> None:
    good = tmp_path / "g.jsonl"
    good.write_text("\n".join(json.dumps(r) for r in [
        {"prompt": "p1", "chosen": "c", "rejected": "r", "strength": "much"},
        {"prompt": "p2", "chosen": "c", "rejected": "r", "strength": 1},
        {"prompt": "p3", "chosen": "c", "rejected": "r", "strength": ""}]))
    db = tmp_path / "d.db"
    assert main(["import", str(good), "--db", str(db)]) == 0
    with Store.open(db) as s:
        assert sorted(a.strength or 0 for a in s.annotations_for()) == [0, 1, 3]
    bad = tmp_path / "b.jsonl"
    bad.write_text(json.dumps({"prompt": "p", "chosen": "c", "rejected": "r",
                               "strength": "hugely"}) + "\n")
    assert main(["import", str(bad), "--db", str(db)]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "row 1" in err[0] and "strength" in err[0] and "hugely" in err[0]
    neg = tmp_path / "n.csv"
    neg.write_text("prompt,chosen,rejected,margin\np,c,r,-1\n")
    assert main(["import", str(neg), "--db", str(db)]) != 0
    assert "margin" in capsys.readouterr().err


def test_ab_log_with_strength_flips_with_the_pair(tmp_path: Path) -> None:
    f = tmp_path / "ab.jsonl"
    f.write_text(json.dumps({"prompt": "p", "response_a": "x", "response_b": "y",
                             "winner": "B", "strength": "clearly"}) + "\n")
    db = tmp_path / "d.db"
    assert main(["import", str(f), "--db", str(db)]) == 0
    with Store.open(db) as s:
        [pair] = resolve_pairs(s).pairs
    assert (pair.chosen, pair.margin) == ("y", pytest.approx(2 / 3))


def test_adjudicated_policy_prefers_the_leads_decision(graded: Path, tmp_path: Path,
                                                        capsys) -> None:
    with Store.open(graded) as s:
        s.add_adjudication(5, "lead", "b", 3, "B answers the question")
        s.add_adjudication(1, "lead", "tie")  # overrides a clear majority too
        plain = {p.prompt: p.chosen for p in resolve_pairs(s).pairs}
        adj = {p.prompt: p for p in resolve_pairs(s, "adjudicated").pairs}
        weighted = resolve_pairs(s, "adjudicated:weighted")
    assert "prompt dispute" not in plain and plain["prompt much"] == "A much"
    assert adj["prompt dispute"].chosen == "B dispute"
    assert adj["prompt dispute"].margin == pytest.approx(1.0)
    assert "prompt much" not in adj  # the lead called it a tie
    assert adj["prompt mixed"].chosen == "A mixed"  # not adjudicated: majority
    assert weighted.counts["adjudicated"] == 2
    out = tmp_path / "a.jsonl"
    assert main(["export", str(out), "--db", str(graded), "--policy", "adjudicated"]) == 0
    row = _rows(out)["prompt dispute"]
    assert row["adjudicated"] is True
    assert row["notes"] == "bob: B is shorter | adjudicated: B answers the question"
    assert main(["export", str(out), "--db", str(graded), "--policy", "adjudicated:loudest"]) == 2
    assert "unknown resolution policy 'loudest'" in capsys.readouterr().err


def test_export_search_and_filters(graded: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "f.jsonl"
    assert main(["export", str(out), "--db", str(graded), "--search", "SLIGHT"]) == 0
    assert list(_rows(out)) == ["prompt slight"]
    assert main(["export", str(out), "--db", str(graded), "--annotator", "bob"]) == 0
    assert list(_rows(out)) == ["prompt mixed"]  # dispute is a conflict, left out
    assert main(["export", str(out), "--db", str(graded), "--status", "disputed",
                 "--policy", "adjudicated"]) == 2  # nothing adjudicated yet: nothing to write
    assert "nothing to export" in capsys.readouterr().err
