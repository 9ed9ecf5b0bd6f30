"""Ensembles and multi-aspect sets: aggregation, uncertainty, weights, same interface."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest
from duelist.engine.application.uncertainty_job import load_score_fn
from duelist.engine.errors import ModelLoadError, ParamsError
from duelist.engine.scoring.aspects import AspectSet, from_store, parse_weights
from duelist.engine.scoring.ensemble import Ensemble, aggregate, write_manifest
from duelist.engine.scoring.loader import load_model
from duelist.engine.scoring.reward_model import RewardModel
from test_scorer import _items, spread_weights
from tiny_models import build_bert


@pytest.fixture(scope="module")
def member_dirs(tmp_path_factory) -> list[Path]:
    """Three saved tiny BERTs that disagree with each other."""
    root = tmp_path_factory.mktemp("ens")
    dirs = []
    for seed in (1, 2, 3):
        rm = RewardModel.load(build_bert(root / f"raw{seed}", seed=seed))
        spread_weights(rm, std=0.3 + 0.1 * seed)
        dirs.append(rm.save(root / f"rm-seed{seed}"))
    return dirs


@pytest.fixture(scope="module")
def members(member_dirs) -> list[RewardModel]:
    out = []
    for d in member_dirs:
        rm = RewardModel.load(d)
        rm.precision = "fp32"
        out.append(rm)
    return out


@pytest.mark.parametrize("how", ["mean", "median", "min"])
def test_ensemble_aggregates_members_and_reports_their_spread(members, how: str) -> None:
    prompts, responses = _items(15, seed=11)
    per = [m.score_batch(prompts, responses) for m in members]
    ens = Ensemble(members, how=how)
    detail = ens.score_detail(prompts, responses)
    expect = {"mean": statistics.fmean, "median": statistics.median, "min": min}[how]
    for i in range(15):
        column = [p[i] for p in per]
        assert detail.scores[i] == pytest.approx(expect(column), abs=1e-5)
        assert detail.std[i] == pytest.approx(statistics.pstdev(column), abs=1e-5)
    assert max(detail.std) > 1e-3  # the members really disagree
    assert ens.score_batch(prompts, responses) == detail.scores


def test_ensemble_has_the_reward_model_interface(members) -> None:
    ens = Ensemble(members)
    prompt = "tell me about the sun"
    responses = ["the sun is big", "bad answer", "good answer and more", "what"]
    ranked = ens.rank(prompt, responses)
    assert [s for _, s in ranked] == sorted((s for _, s in ranked), reverse=True)
    assert ranked[0][1] == pytest.approx(ens.score(prompt, ranked[0][0]), abs=1e-5)
    p = ens.prob_better(prompt, ranked[0][0], ranked[-1][0])
    assert 0.5 <= p <= 1.0
    with pytest.raises(ParamsError, match="aggregate"):
        Ensemble(members, how="max")
    assert aggregate([3.0, 1.0, 2.0], "min") == 1.0


def test_ensemble_manifest_loads_and_feeds_the_uncertainty_queue(member_dirs, members,
                                                                 tmp_path: Path) -> None:
    path = write_manifest(member_dirs[0].parent / "rm", member_dirs, how="median")
    loaded = load_model(path)
    assert isinstance(loaded, Ensemble) and loaded.how == "median" and len(loaded.members) == 3
    for m in loaded.members:
        m.precision = "fp32"
    prompts, responses = _items(6, seed=2)
    want = Ensemble(members, how="median").score_detail(prompts, responses)
    got = loaded.score_detail(prompts, responses)
    assert got.scores == pytest.approx(want.scores, abs=1e-5)
    fn = load_score_fn(str(path))
    rewards, spreads = fn(prompts, responses)
    assert len(rewards) == 6 and spreads is not None and max(spreads) > 0
    # a single model is not an ensemble: the queue gets no spread from it
    assert load_score_fn(str(member_dirs[0]))(prompts, responses)[1] is None
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "ensemble.json").write_text("{}")
    with pytest.raises(ModelLoadError, match="ensemble"):
        load_model(tmp_path / "broken")


def test_aspects_combine_with_the_guides_weighted_sum(members) -> None:
    prompts, responses = _items(10, seed=4)
    helpful, harmless = members[0], members[1]
    weights = {"helpfulness": 0.7, "harmlessness": 0.3}
    aspects = AspectSet({"helpfulness": helpful, "harmlessness": harmless}, weights)
    detail = aspects.score_detail(prompts, responses)
    h1 = helpful.score_batch(prompts, responses)
    h2 = harmless.score_batch(prompts, responses)
    assert detail.aspects["helpfulness"] == pytest.approx(h1, abs=1e-6)
    for i in range(10):
        assert detail.scores[i] == pytest.approx(0.7 * h1[i] + 0.3 * h2[i], abs=1e-5)
    # doubling one weight changes the combination exactly as the sum says
    heavy = AspectSet({"helpfulness": helpful, "harmlessness": harmless},
                      {"helpfulness": 1.4, "harmlessness": 0.3})
    assert heavy.score_batch(prompts, responses) == pytest.approx(
        [0.7 * a + s for a, s in zip(h1, detail.scores, strict=True)], abs=1e-5)
    assert aspects.rank("p", ["x", "y"])[0][1] >= aspects.rank("p", ["x", "y"])[1][1]


def test_weights_parse_and_must_match_the_aspects(members) -> None:
    assert parse_weights("helpfulness=0.5, harmlessness=0.3,honesty=0.2") == {
        "helpfulness": 0.5, "harmlessness": 0.3, "honesty": 0.2}
    for bad in ("helpfulness", "a=x", "a=1,a=2", ",", "=3"):
        with pytest.raises(ParamsError):
            parse_weights(bad)
    with pytest.raises(ParamsError, match="no weight"):
        AspectSet({"a": members[0], "b": members[1]}, {"a": 1.0})
    with pytest.raises(ParamsError, match="no model"):
        AspectSet({"a": members[0]}, {"a": 1.0, "z": 2.0})


def test_aspects_from_the_project_registry(store, member_dirs) -> None:
    assert from_store(store) is None
    store.register_model(str(member_dirs[0]), "helpful", aspect="helpfulness", weight=0.5)
    store.register_model(str(member_dirs[1]), "harmless", aspect="harmlessness", weight=0.3)
    store.register_model(str(member_dirs[2]), "plain")  # no aspect: not part of the set
    aspects = from_store(store)
    assert aspects.weights == {"helpfulness": 0.5, "harmlessness": 0.3}
    store.set_setting("aspect_weights", {"harmlessness": 0.9})
    assert from_store(store).weights == {"helpfulness": 0.5, "harmlessness": 0.9}
