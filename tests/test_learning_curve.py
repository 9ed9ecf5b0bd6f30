"""`stats` shows the project's learning curve: accuracy per finished run on a fixed
held-out slice of the project's judged pairs, each run only on pairs it did not train on.

Real SQLite file, run folders written by the product's own snapshot code
(engine/application/run_launch.py), scores stored as the scoring job stores them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from duelist.engine.application.learning_curve import in_slice, learning_curve, trained_prompts
from duelist.engine.application.run_launch import (
    TrainForm,
    params_for,
    resolve_snapshot,
    write_pairs,
)
from duelist.engine.preferences.pair import PreferencePair
from duelist.engine.training.split import split_pairs
from duelist.store import NewAnnotation, NewComparison, Score, Store
from duelist.tui.cli.main import main


def _project(db: Path, n: int) -> list[int]:
    with Store.open(db) as store:
        store.insert_comparisons(NewComparison(f"question {i}", f"good answer {i}",
                                               f"poor answer {i}") for i in range(n))
        ids = store.comparison_ids()
        store.add_annotations_bulk([NewAnnotation(comparison_id=c, annotator="ann",
                                                  choice="a" if c % 3 else "b") for c in ids])
    return ids


def _finished_run(store: Store, tmp: Path, name: str, n_first: int, *, right: set[int] | None,
                  all_ids: list[int]) -> int:
    """A done run whose snapshot holds the first `n_first` pairs; its model is right on
    the comparisons in `right` (every one when None)."""
    pairs = [p for p in resolve_snapshot(store).pairs if p.comparison_id <= all_ids[n_first - 1]]
    run = store.create_run(name, {}, status="running")
    folder = tmp / f"run{run.id}"
    folder.mkdir()
    write_pairs(pairs, folder / "pairs.jsonl")
    form = TrainForm()
    (folder / "params.json").write_text(json.dumps(params_for(form, folder, folder / "pairs.jsonl",
                                                              len(pairs))))
    store.update_run(run.id, status="done", run_dir=str(folder), n_pairs=len(pairs))
    model = store.register_model(str(folder / "model"), name, run_id=run.id)
    scores = []
    for c in store.get_comparisons(all_ids):
        a_won = c.id % 3 != 0
        correct = right is None or c.id in right
        high_a = a_won == correct
        scores.append(Score(model.id, c.id, 1.0 if high_a else -1.0, -1.0 if high_a else 1.0))
    store.put_scores(scores)
    return run.id


def test_each_run_is_scored_on_slice_pairs_it_did_not_train_on(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    ids = _project(db, 300)
    with Store.open(db) as store:
        first = _finished_run(store, tmp_path, "small", 100, right=None, all_ids=ids)
        odd_right = {c for c in ids if c % 2}
        second = _finished_run(store, tmp_path, "all", 300, right=odd_right, all_ids=ids)
        curve = learning_curve(store)
    prompts = {c: f"question {i}" for i, c in enumerate(ids)}
    slice_ids = [c for c in ids if in_slice(prompts[c])]
    assert curve["slice_pairs"] == len(slice_ids) and 30 < len(slice_ids) < 100
    (p1, p2) = curve["runs"]
    assert (p1["run_id"], p1["labels"], p2["run_id"], p2["labels"]) == (first, 100, second, 300)

    def held_out(n_first: int) -> list[int]:
        snap = [PreferencePair(prompts[c], "", "") for c in ids[:n_first]]
        train = {p.prompt for p in split_pairs(snap, 0.2, 42).train}  # the form's defaults
        return [c for c in slice_ids if prompts[c] not in train]

    # the small run never saw pairs 100-299, so it is scored on more of the slice
    assert p1["n"] == len(held_out(100)) > p2["n"] == len(held_out(300)) > 0
    assert p1["accuracy"] == 1.0 and p1["correct"] == p1["n"]
    assert p2["correct"] == sum(1 for c in held_out(300) if c % 2)
    assert p2["low"] <= p2["accuracy"] <= p2["high"]
    assert "Tiny data" in curve["warning"]  # the big run has few held-out pairs left


def test_runs_without_a_snapshot_or_scores_say_why(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    ids = _project(db, 60)
    with Store.open(db) as store:
        run = store.create_run("from-a-file", {}, status="done")
        store.register_model(str(tmp_path / "m1"), "m1", run_id=run.id)
        unscored = store.create_run("unscored", {}, status="running")
        folder = tmp_path / "u"
        folder.mkdir()
        write_pairs(resolve_snapshot(store).pairs[:30], folder / "pairs.jsonl")
        store.update_run(unscored.id, status="done", run_dir=str(folder), n_pairs=30)
        store.register_model(str(folder / "model"), "u", run_id=unscored.id)
        store.create_run("still-running", {}, status="running")
        curve = learning_curve(store)
    by_name = {r["name"]: r for r in curve["runs"]}
    assert set(by_name) == {"from-a-file", "unscored"}  # only finished runs
    assert by_name["from-a-file"]["accuracy"] is None
    assert "which pairs it saw is unknown" in by_name["from-a-file"]["note"]
    assert by_name["unscored"]["n"] == 0 and "not scored" in by_name["unscored"]["note"]
    assert len(ids) == 60


def test_trained_prompts_follow_the_workers_split(tmp_path: Path) -> None:
    rows = [PreferencePair(f"q{i % 25}", "a", "b") for i in range(80)]
    write_pairs(rows, tmp_path / "pairs.jsonl")
    (tmp_path / "params.json").write_text(json.dumps({"valid_split": 0.2, "seed": 7}))
    assert trained_prompts(str(tmp_path)) == {p.prompt for p in split_pairs(rows, 0.2, 7).train}
    assert trained_prompts(str(tmp_path / "missing")) is None
    assert trained_prompts(None) is None


def test_slice_is_fixed_by_the_prompt() -> None:
    share = sum(in_slice(f"prompt number {i}") for i in range(2000)) / 2000
    assert 0.17 < share < 0.23
    assert in_slice("same prompt") == in_slice("same prompt")


def test_duelist_stats_prints_the_curve_with_n_and_a_warning(tmp_path: Path, capsys) -> None:
    db = tmp_path / "p.db"
    ids = _project(db, 120)
    with Store.open(db) as store:
        _finished_run(store, tmp_path, "first\x1b[31mred", 60, right=None, all_ids=ids)
    assert main(["stats", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "learning curve (accuracy on a fixed held-out slice: 20% of prompts" in out
    line = next(x for x in out.splitlines() if x.startswith("  run 1 "))
    assert "60 labels, accuracy 1.000 [" in line and "n=" in line
    assert "\x1b" not in out  # a run name is untrusted text
    assert "warning: Tiny data" in out
    assert main(["stats", "--db", str(db), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)["learning_curve"]
    assert data["runs"][0]["labels"] == 60 and data["runs"][0]["n"] > 0


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_no_finished_runs_means_no_curve_lines(tmp_path: Path, capsys) -> None:
    db = tmp_path / "p.db"
    _project(db, 20)
    assert main(["stats", "--db", str(db)]) == 0
    assert "learning curve" not in capsys.readouterr().out


@pytest.mark.anyio
async def test_the_stats_screen_shows_the_curve(tmp_path: Path) -> None:
    from annotate_helpers import wait_for
    from duelist.tui.app import AnnotateOptions, DuelistApp
    from duelist.tui.screens.quality import StatsScreen
    from textual.widgets import Static

    db = tmp_path / "p.db"
    ids = _project(db, 120)
    with Store.open(db) as store:
        _finished_run(store, tmp_path, "rm[bold]x[/bold]", 60, right=None, all_ids=ids)
    app = DuelistApp(db, AnnotateOptions(annotator="lead", stamp_timing=False))
    async with app.run_test(size=(130, 42)) as pilot:
        await pilot.pause()
        await app.push_screen(StatsScreen())
        await wait_for(pilot, lambda: app.screen.data is not None, "the report")
        await pilot.pause()
        curve = app.screen.query_one("#stats-curve", Static)
        text = str(curve.render())
        assert curve.display and "learning curve" in text
        assert "run 1 rm[bold]x[/bold]: 60 labels, accuracy 1.000" in text  # literal name
        assert "Tiny data" in text
