"""`duelist import`, `stats` and `demo` through the real CLI entry and console script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from duelist.store import NewAnnotation, Store
from duelist.tui.cli import cmd_demo
from duelist.tui.cli.main import main
from ingest_helpers import dump

DUELIST = Path(sys.executable).with_name("duelist")


def _prefs(path: Path, n: int, start: int = 0) -> Path:
    path.write_text("".join(json.dumps({"prompt": f"p{i}", "chosen": f"good {i}",
                                        "rejected": f"bad {i}"}) + "\n"
                            for i in range(start, start + n)), encoding="utf-8")
    return path


def test_import_twice_adds_nothing(tmp_path: Path, capsys) -> None:
    data = _prefs(tmp_path / "prefs.jsonl", 30)
    db = tmp_path / "d.db"
    assert main(["import", str(data), "--db", str(db)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "imported 1 file: 30 comparisons added, 0 already present, 30 judgements added"
    assert "shape preferences" in out[0]
    before = dump(db)
    assert main(["import", str(data), "--db", str(db)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "imported 1 file: 0 comparisons added, 30 already present, 0 judgements added"
    assert dump(db) == before


def test_overlapping_files_and_flipped_pairs(tmp_path: Path, capsys) -> None:
    """A second file sharing rows (one flipped) adds only the new ones; the shared
    comparisons get the second file's judgement as a second annotator."""
    db = tmp_path / "d.db"
    first = _prefs(tmp_path / "first.jsonl", 10)
    second = tmp_path / "second.jsonl"
    rows = [{"prompt": f"p{i}", "chosen": f"good {i}", "rejected": f"bad {i}"} for i in range(5, 15)]
    rows[0] = {"prompt": "p5", "chosen": "bad 5", "rejected": "good 5"}  # disagrees with first
    second.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main(["import", str(first), str(second), "--db", str(db)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "imported 2 files: 15 comparisons added, 5 already present, 20 judgements added")
    with Store.open(db) as store:
        assert store.count_comparisons() == 15
        assert set(store.annotators()) == {"import:first.jsonl", "import:second.jsonl"}
    assert main(["export", str(tmp_path / "o.jsonl"), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "14 pairs from 15 judged comparisons" in out and "1 conflicts" in out


def test_autotrain_flags_pairs_per_prompt_and_skip_empty(tmp_path: Path, capsys) -> None:
    code = tmp_path / "code.csv"
    code.write_text("instruction,good_code,bad_code\nSort,sorted(x),x.sort\nEmpty,,x\n")
    db = tmp_path / "d.db"
    flags = ["--prompt-text-column", "instruction", "--text-column", "good_code",
             "--rejected-text-column", "bad_code"]
    assert main(["import", str(code), "--db", str(db), *flags]) == 2
    assert "row 2, column 'good_code'" in capsys.readouterr().err
    assert main(["import", str(code), "--db", str(db), *flags, "--skip-empty"]) == 0
    assert "1 row with empty text skipped" in capsys.readouterr().out
    cands = tmp_path / "cands.jsonl"
    cands.write_text("".join(json.dumps({"prompt": f"q{i}", "responses": [f"r{k}" for k in range(4)]})
                             + "\n" for i in range(3)))
    assert main(["import", str(cands), "--db", str(db), "--pairs-per-prompt", "2", "--seed", "3"]) == 0
    assert "6 comparisons added" in capsys.readouterr().out


def test_stats_human_and_json(tmp_path: Path, capsys) -> None:
    db = tmp_path / "d.db"
    assert main(["import", str(_prefs(tmp_path / "prefs.jsonl", 4)), "--db", str(db)]) == 0
    with Store.open(db) as store:
        first = store.comparison_ids()[0]
        store.add_annotation(NewAnnotation(first, "alice", "tie"))
        undone = store.add_annotation(NewAnnotation(first, "alice", "a"))
        store.undo_annotation(undone.id)
    capsys.readouterr()
    assert main(["stats", "--db", str(db), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["overview"] == {"comparisons": 4, "judged": 4, "annotations": 5, "skips": 0,
                                 "undone": 1, "gold": 0}
    assert stats["annotators"]["alice"] == {"judgements": 1, "choices": {"tie": 1}}
    assert stats["annotators"]["import:prefs.jsonl"]["judgements"] == 4
    assert stats["resolution"]["pairs"] == 3 and stats["resolution"]["conflict"] == 1
    assert stats["training"] == {"runs": 0, "by_status": {}, "models": 0, "current_model": None}
    assert main(["stats", "--db", str(db)]) == 0
    text = capsys.readouterr().out
    assert "comparisons  4 (4 judged, 0 with gold)" in text
    assert "  alice: 1 (tie 1)" in text
    assert "pairs        3 by majority vote" in text


def test_stats_missing_db(tmp_path: Path, capsys) -> None:
    assert main(["stats", "--db", str(tmp_path / "none.db")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "none.db: no such database" in err[0]
    assert not (tmp_path / "none.db").exists()


def test_demo_seeds_once(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "demo"
    assert main(["demo", "--dir", str(folder), "--no-tui"]) == 0
    assert "with 60 comparisons" in capsys.readouterr().out
    assert main(["demo", "--dir", str(folder), "--no-tui"]) == 0
    assert "already exists" in capsys.readouterr().out
    with Store.open(folder / "duelist.db") as store:
        comps = list(store.iter_comparisons())
    assert len(comps) == 60 and len({c.prompt for c in comps}) == 20
    assert sum(c.prompt.startswith("Human:") for c in comps) >= 3 * 3  # multi-turn prompts
    assert any("```" in c.response_a or "```" in c.response_b for c in comps)


def test_demo_data_is_well_formed() -> None:
    rows = [json.loads(line) for line in cmd_demo.DEMO_DATA.read_text("utf-8").splitlines()]
    assert len(rows) == 20
    assert all(set(r) == {"prompt", "responses"} and len(r["responses"]) == 3 for r in rows)
    assert cmd_demo.GUIDELINES.is_file()


def test_console_script_end_to_end(tmp_path: Path) -> None:
    """The installed `duelist` script, as a user runs it: import, stats, bad file."""
    data = _prefs(tmp_path / "prefs.jsonl", 5)
    env = {**os.environ, "NO_COLOR": "1"}
    db = str(tmp_path / "d.db")
    done = subprocess.run([str(DUELIST), "import", str(data), "--db", db], capture_output=True,
                          text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1].startswith("imported 1 file: 5 comparisons added")
    assert done.stderr == ""
    stats = subprocess.run([str(DUELIST), "stats", "--json", "--db", db], capture_output=True,
                           text=True, env=env, timeout=120)
    assert json.loads(stats.stdout)["overview"]["comparisons"] == 5
    bad = tmp_path / "bad.csv"
    bad.write_text("prompt,chosen,rejected\np,same,same\n")
    failed = subprocess.run([str(DUELIST), "import", str(bad), "--db", db], capture_output=True,
                            text=True, env=env, timeout=120)
    assert failed.returncode == 2
    assert failed.stderr.splitlines() == [
        f"duelist: error: {bad}, row 1, column 'rejected': is identical to 'chosen'; "
        "nothing to compare"]


def test_stats_export_and_s_screen_count_judged_alike(tmp_path: Path, capsys) -> None:
    """Issue 14 item 13: 'judged' and 'live' mean the same in `stats` and `export` (and
    the S screen): a comparison that was only skipped is judged nowhere, and the
    skip is named apart instead of making the numbers disagree."""
    from duelist.engine.quality.report import store_report
    from duelist.store import NewAnnotation, NewComparison

    db = tmp_path / "p.db"
    with Store.open(db) as store:
        ids = [store.add_comparison(NewComparison(f"q{i}", "good", "bad")).id for i in range(3)]
        for cid, choice in zip(ids, ["a", "b", "skip"], strict=True):
            store.add_annotation(NewAnnotation(comparison_id=cid, annotator="ann", choice=choice,
                                               shown_swapped=False, duration_ms=1000))
        quality = store_report(store)
    assert main(["stats", "--db", str(db)]) == 0
    text = capsys.readouterr().out
    assert "comparisons  3 (2 judged, 0 with gold)" in text
    assert "judgements   2 live, 1 skips, 0 undone" in text
    assert "pairs        2 by majority vote (left out: 0 ties, 0 both-bad, 0 conflicts, " \
        "1 only skipped)" in text
    assert main(["export", str(tmp_path / "o.jsonl"), "--db", str(db)]) == 0
    assert "2 pairs from 2 judged comparisons; left out: 0 ties, 0 both-bad, 0 conflicts; " \
        "1 more only skipped" in capsys.readouterr().out
    assert (quality.judged, quality.annotations) == (2, 2)  # what the S screen shows
