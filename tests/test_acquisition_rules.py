"""Acquisition rules (bench/sim/acquisition.py) on a real tiny reward model.

Each rule is fed what the product would feed it: rewards and head inputs from a tiny
BERT reward model (bench/sim/head_features.py), and for disagreement the spreads of a
real three-member ensemble scored as the queue's scoring job scores it (`load_score_fn`).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from duelist.engine.scoring.reward_model import RewardModel
from tiny_models import build_bert, build_llama

from bench.sim.acquisition import (
    Pool,
    expected_change,
    k_center,
    pick_uncertainty,
    select_batch,
)
from bench.sim.head_features import head_inputs, head_layer, pool_from_model

WORDS = ("cat", "dog", "sun", "moon", "tree", "river", "house", "car", "blue", "red", "green",
         "fast", "slow", "big", "small", "happy", "sad")


def comparisons(n: int = 12) -> tuple[list[str], list[str], list[str]]:
    prompts = [f"tell me about the {WORDS[i % len(WORDS)]}" for i in range(n)]
    a = [f"the {WORDS[i % len(WORDS)]} is good and {WORDS[(i * 3) % len(WORDS)]}"
         for i in range(n)]
    b = [f"the {WORDS[(i + 5) % len(WORDS)]} is very bad" for i in range(n)]
    return prompts, a, b


@pytest.fixture(scope="module")
def tiny_rm(tmp_path_factory):
    return RewardModel.load(build_bert(tmp_path_factory.mktemp("acq") / "bert", seed=3),
                            device="cpu")


@pytest.fixture(scope="module")
def tiny_pool(tiny_rm):
    return pool_from_model(tiny_rm, *comparisons())


@pytest.mark.parametrize("builder", [build_bert, build_llama])
def test_head_inputs_reproduce_the_models_rewards(tmp_path, builder):
    """h @ W.T + b is the reward the product scores with: the features are the head's input."""
    rm = RewardModel.load(builder(tmp_path / "m"), device="cpu")
    prompts, a, _ = comparisons(6)
    scores, feats = head_inputs(rm, prompts, a, batch_size=4)
    layer = head_layer(rm.model)
    bias = layer.bias.detach().numpy() if layer.bias is not None else 0.0
    rebuilt = feats @ layer.weight.detach().numpy().T + bias
    np.testing.assert_allclose(rebuilt[:, 0], scores, atol=1e-4)
    rm.precision = "fp32"
    np.testing.assert_allclose(scores, rm.score_batch(prompts, a), atol=1e-4)


def test_uncertainty_picks_the_closest_calls(tiny_pool):
    picked = select_batch("uncertainty", tiny_pool, 4, seed=0)
    margins = tiny_pool.margin()
    assert sorted(margins[picked]) == sorted(np.sort(margins)[:4])
    assert margins[picked[0]] == margins.min()


def test_disagreement_follows_a_real_ensembles_spread(tmp_path):
    from duelist.engine.application.uncertainty_job import load_score_fn
    from duelist.engine.scoring.ensemble import write_manifest

    members = [build_bert(tmp_path / f"rm-seed{s}", seed=s) for s in range(3)]
    score = load_score_fn(str(write_manifest(tmp_path / "rm", members)))
    prompts, a, b = comparisons()
    rewards, spreads = score([*prompts, *prompts], [*a, *b])
    n = len(prompts)
    pool = Pool(score_a=np.array(rewards[:n]), score_b=np.array(rewards[n:]),
                std_a=np.array(spreads[:n]), std_b=np.array(spreads[n:]))
    key = pool.std_a ** 2 + pool.std_b ** 2
    assert key.max() > 0  # three differently seeded members do disagree
    picked = select_batch("disagreement", pool, 3, seed=1)
    assert list(key[picked]) == sorted(key, reverse=True)[:3]
    with pytest.raises(ValueError, match="spreads"):
        select_batch("disagreement", Pool(score_a=pool.score_a, score_b=pool.score_b), 3)


def test_uncertainty_with_a_random_share(tiny_pool):
    rng_items = select_batch("uncertainty_random", tiny_pool, 6, seed=0)
    assert len(rng_items) == len(set(rng_items)) == 6
    from bench.sim.acquisition import pick_uncertainty_random

    # share 0 is plain uncertainty; share 1 is a plain random draw
    assert pick_uncertainty_random(tiny_pool, 6, np.random.default_rng(5), share=0.0) == \
        pick_uncertainty(tiny_pool, 6, np.random.default_rng(5))
    drawn = pick_uncertainty_random(tiny_pool, 6, np.random.default_rng(5), share=1.0)
    assert drawn == [int(i) for i in np.random.default_rng(5).choice(len(tiny_pool), 6,
                                                                     replace=False)]
    # with 0.5, three are random and the other three are the most uncertain of the rest
    mixed = pick_uncertainty_random(tiny_pool, 6, np.random.default_rng(7), share=0.5)
    random_part = set(mixed[:3])
    rest = [i for i in np.argsort(tiny_pool.margin(), kind="stable") if i not in random_part]
    assert sorted(mixed[3:]) == sorted(int(i) for i in rest[:3])
    with pytest.raises(ValueError, match="between 0 and 1"):
        pick_uncertainty_random(tiny_pool, 6, np.random.default_rng(0), share=1.5)


def test_diverse_batch_does_not_spend_labels_on_duplicates(tiny_rm):
    """Five copies of the most uncertain comparison: uncertainty takes copies, k-center one."""
    prompts, a, b = comparisons(10)
    base = pool_from_model(tiny_rm, prompts, a, b)
    top = int(np.argmin(base.margin()))
    dup = [prompts[top]] * 4, [a[top]] * 4, [b[top]] * 4
    pool = pool_from_model(tiny_rm, prompts + dup[0], a + dup[1], b + dup[2])
    copies = {top, *range(10, 14)}
    by_margin = select_batch("uncertainty", pool, 4, seed=0)
    assert len(copies & set(by_margin)) >= 4  # identical items tie for most uncertain
    diverse = select_batch("diverse_uncertain", pool, 4, seed=0)
    assert len(diverse) == len(set(diverse)) == 4
    assert len(copies & set(diverse)) == 1


def test_k_center_spreads_out_and_respects_labelled_centres():
    pts = np.array([[0.0, 0], [0.1, 0], [5, 5], [5.1, 5], [10, 0]])
    assert set(k_center(pts, 3)) == {0, 2, 4}
    # with [0, 0] already labelled, the first pick is the farthest from it
    assert k_center(pts, 1, centers=np.array([[0.0, 0]])) == [4]
    assert k_center(np.zeros((3, 2)), 3) == [0, 1, 2]  # all duplicates: still k items


def test_expected_change_is_the_expected_gradient_norm_of_the_head(tiny_rm, tiny_pool):
    """2p(1-p)||h_a - h_b|| equals E_y ||d BT-loss / d W_head|| computed by autograd."""
    layer = head_layer(tiny_rm.model)
    w = layer.weight.detach().clone().requires_grad_(True)
    expected = []
    for i in range(len(tiny_pool)):
        ha = torch.tensor(tiny_pool.feat_a[i])
        hb = torch.tensor(tiny_pool.feat_b[i])
        margin = (w @ (ha - hb)).squeeze()
        p = torch.sigmoid(margin).item()
        norms = []
        for y in (1.0, 0.0):  # A preferred, B preferred
            loss = -(y * torch.nn.functional.logsigmoid(margin)
                     + (1 - y) * torch.nn.functional.logsigmoid(-margin))
            (grad,) = torch.autograd.grad(loss, w, retain_graph=True)
            norms.append(grad.norm().item())
        expected.append(p * norms[0] + (1 - p) * norms[1])
    np.testing.assert_allclose(expected_change(tiny_pool), expected, rtol=1e-3, atol=1e-6)
    same = pool_from_model(tiny_rm, ["q"], ["the cat is good"], ["the cat is good"])
    assert expected_change(same)[0] == 0.0  # identical answers teach the head nothing
    picked = select_batch("expected_change", tiny_pool, 3, seed=0)
    np.testing.assert_allclose(expected_change(tiny_pool)[picked],
                               sorted(expected, reverse=True)[:3], rtol=1e-3)


def test_random_is_seeded_and_unknown_rules_are_refused(tiny_pool):
    assert select_batch("random", tiny_pool, 5, seed=3) == select_batch("random", tiny_pool, 5,
                                                                         seed=3)
    assert len(select_batch("random", tiny_pool, 50, seed=3)) == len(tiny_pool)
    with pytest.raises(ValueError, match="unknown acquisition rule"):
        select_batch("smallest", tiny_pool, 3)
