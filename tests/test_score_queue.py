"""The uncertainty-scoring job: a real subprocess scoring with a real tiny model."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from duelist.engine.runs.events import parse_event
from duelist.store import NewComparison, Store
from tiny_models import build_bert


@pytest.fixture
def scored_setup(tmp_path):
    model_dir = build_bert(tmp_path / "tiny-bert")
    db = tmp_path / "duelist.db"
    with Store.open(db) as s:
        s.insert_comparisons(
            NewComparison(prompt=f"tell me about the {w}", response_a=f"the {w} is good",
                          response_b=f"the {w} is very bad and slow")
            for w in ("cat", "dog", "sun", "moon", "tree", "river", "house"))
        model = s.register_model(str(model_dir), "tiny")
    return db, model.id


def test_score_queue_process_scores_open_items(scored_setup):
    db, model_id = scored_setup
    with Store.open(db) as s:
        from duelist.store import NewAnnotation

        first = s.comparison_ids()[0]
        s.add_annotation(NewAnnotation(comparison_id=first, annotator="ann", choice="a"))
    proc = subprocess.run(
        [sys.executable, "-m", "duelist.engine.application.uncertainty_job", "--db", str(db),
         "--model-id", str(model_id), "--page", "3"],
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    events = [e for e in map(parse_event, proc.stdout.splitlines()) if e]
    kinds = [e["event"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "done"
    assert events[-1]["metrics"]["scored"] == 7  # 6 open items first, then the judged one
    logs = [e["message"] for e in events if e["event"] == "log"]
    assert logs[0] == "scored 3/6 open items" and logs[-1] == "scored 1/1 judged items"
    with Store.open(db) as s:
        scores = [x for x in s.scores_for_model(model_id) if x.comparison_id != first]
        assert len(scores) == 6
        assert all(abs(x.score_a) < 100 and x.std_a is None for x in scores)  # single model
        # The queue now starts with the smallest |reward(A) - reward(B)|.
        margins = {x.comparison_id: abs(x.score_a - x.score_b) for x in scores}
        c = s.claim_next("bob", order="uncertainty", model_id=model_id)
        assert c.id == min(margins, key=margins.get)
        assert s.get_setting("score_queue.running") == {}
        # The judged item is scored too: stats compare the annotator with the model.
        from duelist.engine.quality import store_report

        (ann,) = store_report(s).annotators
        margin = next(x for x in s.scores_for_model(model_id) if x.comparison_id == first)
        if margin.score_a != margin.score_b:
            assert ann.model_n == 1 and ann.model_agree == int(margin.score_a > margin.score_b)
    # Running again finds nothing left to score.
    again = subprocess.run(
        [sys.executable, "-m", "duelist.engine.application.uncertainty_job", "--db", str(db),
         "--model-id", str(model_id)], capture_output=True, text=True, timeout=300)
    done = [e for e in map(parse_event, again.stdout.splitlines()) if e][-1]
    assert done["event"] == "done" and done["metrics"]["scored"] == 0


def test_score_queue_reports_a_missing_model(tmp_path):
    db = tmp_path / "empty.db"
    Store.open(db).close()
    proc = subprocess.run([sys.executable, "-m", "duelist.engine.application.uncertainty_job", "--db", str(db)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    event = json.loads(proc.stdout.strip().splitlines()[-1])
    assert event["event"] == "error" and "no current model" in event["message"]


def test_watcher_starts_a_job_once_per_new_model(scored_setup):
    from duelist.engine.application.scoring_job import ScoringWatcher

    db, model_id = scored_setup
    with Store.open(db) as s:
        watcher = ScoringWatcher(s)
        t0 = time.monotonic()
        assert watcher.check() is True
        assert time.monotonic() - t0 < 1.0  # the annotator does not wait
        assert watcher.check() is False  # already running
        watcher.process.wait(timeout=300)
        assert s.count_scores(model_id) == 7
        assert watcher.check() is False  # same model, nothing left


def test_ensemble_spread_feeds_the_disagreement_order(tmp_path):
    """An ensemble dir scores with std across members; the disagreement order reads it."""
    from duelist.engine.application.uncertainty_job import load_score_fn, score_open_comparisons
    from duelist.engine.scoring.ensemble import write_manifest

    members = [build_bert(tmp_path / f"m{i}", seed=i) for i in range(2)]
    ens_dir = write_manifest(tmp_path / "ens", members)
    db = tmp_path / "ens.db"
    with Store.open(db) as s:
        s.insert_comparisons(
            NewComparison(prompt=f"tell me about the {w}", response_a=f"the {w} is good",
                          response_b=f"why is the {w} so very bad and slow and sad")
            for w in ("cat", "dog", "sun", "moon"))
        model = s.register_model(str(ens_dir), "ens")
        n = score_open_comparisons(s, model.id, load_score_fn(str(ens_dir)))
        assert n == 4
        scores = s.scores_for_model(model.id)
        assert all(x.std_a is not None and x.std_b is not None for x in scores)
        spread = {x.comparison_id: x.std_a ** 2 + x.std_b ** 2 for x in scores}
        top = s.claim_next("ann", order="disagreement", model_id=model.id)
        assert spread[top.id] == max(spread.values())
