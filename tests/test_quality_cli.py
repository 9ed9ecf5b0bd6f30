"""End to end: import gold items, judge through real sessions, read `duelist stats`."""

from __future__ import annotations

import json
from pathlib import Path

from duelist.engine.application.annotation_session import Session
from duelist.store import Store
from duelist.tui.cli.main import main

from bench.sim.annotators import populate, standard_team


def _write_gold_file(path: Path) -> None:
    """20 ordinary rows and 10 gold rows; every second gold row lists the better
    response SECOND with gold 'B', so the importer's orientation mapping is tested."""
    rows = []
    for i in range(20):
        rows.append({"prompt": f"Ordinary question {i}?", "response_a": f"plain answer {i}",
                     "response_b": f"other answer {i}"})
    for i in range(10):
        good, bad = f"GOOD: the right answer to {i}", f"the wrong answer to {i}"
        if i % 2:
            rows.append({"prompt": f"Gold question {i}?", "response_a": bad, "response_b": good,
                         "gold": "B"})
        else:
            rows.append({"prompt": f"Gold question {i}?", "response_a": good, "response_b": bad,
                         "gold": "A"})
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")


def _pick(session: Session, honest: bool) -> str:
    """An annotator who picks the GOOD answer (or, if not honest, the other one)."""
    item = session.current
    swapped = session.swapped(item.id)
    left = item.response_b if swapped else item.response_a
    good_left = left.startswith("GOOD") if item.prompt.startswith("Gold") else True
    return "left" if good_left == honest else "right"


def test_gold_import_mixing_and_accuracy_end_to_end(tmp_path: Path, capsys) -> None:
    src, db = tmp_path / "items.jsonl", tmp_path / "team.db"
    _write_gold_file(src)
    assert main(["import", str(src), "--db", str(db)]) == 0
    capsys.readouterr()
    with Store.open(db) as store:
        gold = store.gold_answers()
        assert len(gold) == 10
        for cid, answer in gold.items():  # the known answer points at the GOOD text
            c = store.get_comparison(cid)
            assert {"a": c.response_a, "b": c.response_b}[answer].startswith("GOOD")
        for name, honest in (("hon", True), ("liar", False)):
            s = Session(store, name, gold_rate=0.3, seed=5)
            s.start()
            shown = []
            while s.current is not None:
                shown.append(s.current.id)
                s.judge(_pick(s, honest), 4000)
            assert any(cid in gold for cid in shown[:12])  # mixed in, not saved for last
    assert main(["stats", "--db", str(db), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    people = {a["annotator"]: a for a in data["quality"]["annotators"]}
    assert (people["hon"]["gold_correct"], people["hon"]["gold_n"]) == (10, 10)
    assert (people["liar"]["gold_correct"], people["liar"]["gold_n"]) == (0, 10)
    assert people["hon"]["weight"] > people["liar"]["weight"]
    assert main(["stats", "--db", str(db)]) == 0
    text = capsys.readouterr().out
    assert "gold" in text and "10/10" in text and "0/10" in text


def test_stats_text_and_json_flag_the_simulated_team(tmp_path: Path, capsys) -> None:
    db = tmp_path / "sim.db"
    with Store.open(db) as store:
        populate(store, standard_team(), n_items=300, overlap=3, seed=4)
    assert main(["stats", "--db", str(db), "--json"]) == 0
    q = json.loads(capsys.readouterr().out)["quality"]
    assert set(q["flagged"]) == {"cat", "dan", "eve"}
    assert "left-biased" in q["flagged"]["dan"] and "adversarial" in q["flagged"]["eve"]
    assert -1.0 <= q["fleiss_kappa"] <= 1.0 and q["overlapping_items"] == 300
    assert len(q["pairs"]) == 10
    assert main(["stats", "--db", str(db)]) == 0
    text = capsys.readouterr().out
    assert "Fleiss kappa" in text and "Krippendorff alpha" in text
    flagged = next(line for line in text.splitlines() if line.startswith("flagged"))
    assert "dan:" in flagged and "left-biased" in flagged and "eve: adversarial" in flagged
