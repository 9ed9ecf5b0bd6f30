"""Which model scores is decided in one place (engine/application/model_choice.py).

The CLI (`rank`/`score`/`eval`), the rank screen's job and the queue's scoring process
used to decide it each on their own. Here: the rules of `choose`, and that all three
callers go through `choose`/`offered` and `load` (a spy on `load` sees what each one
asked for, with a real SQLite project and real tiny model dirs).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from duelist.engine.application import model_choice, rank_job, uncertainty_job
from duelist.engine.application.model_choice import ModelChoice, choose, offered
from duelist.engine.errors import ModelLoadError, ParamsError
from duelist.engine.scoring.model_set import ScoreDetail
from duelist.store import NewComparison, Store
from duelist.tui.cli import scoring_opts
from tiny_models import build_bert


@pytest.fixture(scope="module")
def dirs(tmp_path_factory) -> list[Path]:
    root = tmp_path_factory.mktemp("choice")
    return [build_bert(root / name, seed=i) for i, name in enumerate(("a", "b", "c"))]


def test_nothing_registered_is_no_choice(store: Store) -> None:
    assert choose(store) is None
    assert choose(store, aspects=False) is None
    assert choose(store, model_id=7) is None
    assert offered(store) == []
    assert choose(None) is None


def test_the_current_model_then_the_aspects_win(store: Store, dirs: list[Path]) -> None:
    cur = store.register_model(str(dirs[0]), "plain")
    only = choose(store)
    assert (only.kind, only.paths, only.model_id) == ("current", (str(dirs[0]),), cur.id)
    assert [c.kind for c in offered(store)] == ["current"]
    store.register_model(str(dirs[1]), "helpful", aspect="helpfulness", weight=0.5,
                         make_current=False)
    store.register_model(str(dirs[2]), "harmless", aspect="harmlessness", weight=0.3,
                         make_current=False)
    both = choose(store)  # the CLI's default: the aspect set when the project has one
    assert both.kind == "aspects"
    assert dict(both.weights) == {"helpfulness": 0.5, "harmlessness": 0.3}
    assert dict(both.groups) == {"helpfulness": (str(dirs[1]),),
                                 "harmlessness": (str(dirs[2]),)}
    # the queue's job never scores with an aspect set: per registered model only
    assert choose(store, aspects=False).paths == (str(dirs[0]),)
    assert choose(store, model_id=cur.id).model_id == cur.id
    # the rank screen cycles: current first, then the aspects
    assert [c.kind for c in offered(store)] == ["current", "aspects"]


def test_named_dirs_ensembles_and_aspect_specs(store: Store, dirs: list[Path]) -> None:
    one = choose(None, [str(dirs[0])])
    assert (one.kind, one.paths, one.how) == ("dir", (str(dirs[0]),), None)
    ens = choose(None, [str(dirs[0]), str(dirs[1])], how="min")
    assert (ens.kind, ens.how, len(ens.paths)) == ("ensemble", "min", 2)
    store.register_model(str(dirs[2]), "honest", aspect="honesty")
    mixed = choose(store, [f"helpfulness={dirs[0]}", f"helpfulness={dirs[1]}", str(dirs[2])],
                   weights="helpfulness=0.7,honesty=0.3")
    assert mixed.kind == "aspects"
    # several dirs for one aspect form an ensemble inside it; a bare dir's aspect is the registry's
    assert dict(mixed.groups) == {"helpfulness": (str(dirs[0]), str(dirs[1])),
                                  "honesty": (str(dirs[2]),)}
    with pytest.raises(ParamsError, match="needs --weights"):
        choose(None, [f"helpfulness={dirs[0]}"])
    with pytest.raises(ModelLoadError, match="does not exist"):
        choose(None, [str(dirs[0].parent / "nope")])


def test_a_bare_dirs_aspect_falls_back_to_its_duelist_json(tmp_path: Path, dirs: list[Path]) -> None:
    import shutil

    named = tmp_path / "whatever"
    shutil.copytree(dirs[0], named)
    (named / "duelist.json").write_text(json.dumps({"aspect": "honesty"}))
    assert model_choice.aspect_of(str(named), None) == "honesty"
    assert model_choice.aspect_of(str(dirs[1]), None) == "b"  # else the folder's name


class _Spy:
    """Stands in for `model_choice.load`: records the choice, scores without torch."""

    def __init__(self) -> None:
        self.seen: list[ModelChoice] = []

    def __call__(self, choice: ModelChoice, **_kw) -> _Spy:
        self.seen.append(choice)
        return self

    def score_detail(self, prompts, responses, progress=None) -> ScoreDetail:
        return ScoreDetail([float(len(r)) for r in responses])

    def score_batch(self, prompts, responses, progress=None) -> list[float]:
        return self.score_detail(prompts, responses).scores


def test_the_three_callers_share_the_one_choice(db_path: Path, dirs: list[Path],
                                                monkeypatch, capsys) -> None:
    with Store.open(db_path) as s:
        rec = s.register_model(str(dirs[0]), "plain")
        s.insert_comparisons([NewComparison(prompt="p", response_a="a", response_b="bb")])
    spy = _Spy()
    monkeypatch.setattr(model_choice, "load", spy)
    # 1. the CLI (rank, score, eval, serve): no --model means the project's current model
    args = argparse.Namespace(models=None, db=str(db_path), weights=None, aggregate=None)
    assert scoring_opts.load_model_set(args) is spy
    # 2. the rank screen: what it offers, loaded through the same function
    with Store.open(db_path) as s:
        source = offered(s)[0]
    rank_job.load(source)
    # 3. the queue's scoring process
    assert uncertainty_job.main(["--db", str(db_path), "--model-id", str(rec.id)]) == 0
    capsys.readouterr()
    assert [c.paths for c in spy.seen] == [(str(dirs[0]),)] * 3
    assert [c.model_id for c in spy.seen] == [rec.id] * 3
    with Store.open(db_path) as s:  # the job stored what the (fake) model scored
        assert [(x.score_a, x.score_b) for x in s.scores_for_model(rec.id)] == [(1.0, 2.0)]
