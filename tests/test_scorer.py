"""The fast scorer: batched == one at a time (fp32), input order kept, rank == score order."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import torch
from duelist.engine.models.precision import bf16_supported
from duelist.engine.scoring.reward_model import RewardModel
from duelist.engine.scoring.scorer import Scorer, length_batches, resolve_precision
from tiny_models import BUILDERS, FILLER, synthetic_pairs


def _items(n: int, seed: int = 3) -> tuple[list[str], list[str]]:
    """Prompts and responses of very different lengths, so batches really pad."""
    rng = random.Random(seed)
    prompts = [" ".join(rng.choices(FILLER, k=rng.randint(1, 30))) for _ in range(n)]
    responses = [" ".join(rng.choices(FILLER, k=rng.randint(1, 40))) for _ in range(n)]
    return prompts, responses


@pytest.fixture(scope="module", params=sorted(BUILDERS))
def tiny(request, tmp_path_factory) -> RewardModel:
    out = BUILDERS[request.param](tmp_path_factory.mktemp(request.param) / "m", seed=1)
    rm = RewardModel.load(out)
    rm.precision = "fp32"
    return spread_weights(rm)


def spread_weights(rm: RewardModel, std: float = 0.3) -> RewardModel:
    """A freshly initialised tiny model scores everything alike (init std 0.02); bigger
    random weights make scores differ per input, so order and equality checks bite."""
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for param in rm.model.parameters():
            param.add_(torch.randn(param.shape, generator=gen) * std)
    return rm


def test_batch_equals_single_within_1e4_fp32(tiny: RewardModel) -> None:
    prompts, responses = _items(40)
    batched = Scorer(tiny.model, tiny.encoder, precision="fp32", batch_size=16).score(
        prompts, responses)
    singles = [Scorer(tiny.model, tiny.encoder, precision="fp32", batch_size=1).score([p], [r])[0]
               for p, r in zip(prompts, responses, strict=True)]
    assert len(set(round(s, 3) for s in singles)) > 10  # the model really tells items apart
    worst = max(abs(a - b) for a, b in zip(batched, singles, strict=True))
    assert worst < 1e-4, worst
    # and RewardModel.score_batch goes through the same scorer
    via_model = tiny.score_batch(prompts, responses)
    assert max(abs(a - b) for a, b in zip(via_model, singles, strict=True)) < 1e-4


def test_results_come_back_in_input_order(tiny: RewardModel) -> None:
    prompts, responses = _items(30, seed=9)
    scores = tiny.score_batch(prompts, responses)
    perm = list(range(30))
    random.Random(0).shuffle(perm)
    shuffled = tiny.score_batch([prompts[i] for i in perm], [responses[i] for i in perm])
    for pos, i in enumerate(perm):
        assert shuffled[pos] == pytest.approx(scores[i], abs=1e-4)


def test_rank_order_matches_score_order(tiny: RewardModel) -> None:
    prompt = "tell me about the river"
    responses = [row["chosen"] for row in synthetic_pairs(12, seed=4)]
    ranked = tiny.rank(prompt, responses)
    singles = {r: tiny.score(prompt, r) for r in responses}
    assert sorted(r for r, _ in ranked) == sorted(responses)
    assert [s for _, s in ranked] == sorted((s for _, s in ranked), reverse=True)
    for response, score in ranked:
        assert score == pytest.approx(singles[response], abs=1e-4)
    p = tiny.prob_better(prompt, ranked[0][0], ranked[-1][0])
    assert p >= 0.5
    assert tiny.prob_better(prompt, ranked[-1][0], ranked[0][0]) == pytest.approx(1 - p, abs=1e-6)


def test_length_batches_sort_cap_and_cover_every_index() -> None:
    lengths = [5, 100, 7, 64, 64, 3, 200, 9]
    batches = length_batches(lengths, batch_size=3, max_tokens=200)
    flat = [i for b in batches for i in b]
    assert sorted(flat) == list(range(len(lengths)))
    assert [lengths[i] for i in flat] == sorted(lengths, reverse=True)
    for b in batches:
        assert len(b) <= 3
        assert len(b) == 1 or len(b) * max(lengths[i] for i in b) <= 200
    assert batches[0] == [6]  # 200 tokens alone fills the budget


def test_precision_follows_the_hardware_and_fp32_is_honoured(monkeypatch) -> None:
    cpu = torch.device("cpu")
    assert resolve_precision("auto", cpu) == ("bf16" if bf16_supported("cpu") else "fp32")
    assert resolve_precision("fp32", cpu) == "fp32"
    monkeypatch.setenv("DUELIST_SCORE_PRECISION", "fp32")
    assert resolve_precision("auto", cpu) == "fp32"
    assert resolve_precision("bf16", cpu) == "bf16"  # an explicit choice still wins
    with pytest.raises(ValueError):
        resolve_precision("fp8", cpu)


def test_bf16_scores_stay_close_to_fp32(tmp_path: Path) -> None:
    out = BUILDERS["bert"](tmp_path / "m", seed=2)
    rm = spread_weights(RewardModel.load(out))
    prompts, responses = _items(20, seed=5)
    ref = Scorer(rm.model, rm.encoder, precision="fp32").score(prompts, responses)
    low = Scorer(rm.model, rm.encoder, precision="bf16").score(prompts, responses)
    assert max(abs(a - b) for a, b in zip(ref, low, strict=True)) < 0.05
    # the reward head ran in fp32: rewards are not rounded to bf16's 8-bit mantissa
    rounded = [torch.tensor(v).bfloat16().float().item() for v in low]
    assert sum(r != v for r, v in zip(rounded, low, strict=True)) > len(low) // 2
    # and wrapping the head left fp32 scoring exactly as it was
    again = Scorer(rm.model, rm.encoder, precision="fp32").score(prompts, responses)
    assert again == ref


def test_score_pairs_rechecks_near_ties_in_fp32(tmp_path: Path) -> None:
    rm = spread_weights(RewardModel.load(BUILDERS["bert"](tmp_path / "m", seed=2)))
    prompts, first = _items(24, seed=6)
    _, second = _items(24, seed=7)
    second[:4] = first[:4]  # exact ties: any bf16 noise would be all that orders them
    exact = Scorer(rm.model, rm.encoder, precision="fp32")
    ref_a, ref_b = exact.score_pairs(prompts, first, second)
    assert exact.last_refined == 0
    assert ref_a + ref_b == pytest.approx(exact.score(prompts * 2, first + second), abs=1e-5)
    fast = Scorer(rm.model, rm.encoder, precision="bf16")
    a, b = fast.score_pairs(prompts, first, second)
    assert fast.last_refined >= 4
    for i in range(4):  # re-scored in fp32: identical texts, the fp32 rewards
        assert a[i] == pytest.approx(ref_a[i], abs=1e-5)
        assert b[i] == pytest.approx(ref_a[i], abs=1e-5)
    assert [x > y for x, y in zip(a[4:], b[4:], strict=True)] == [
        x > y for x, y in zip(ref_a[4:], ref_b[4:], strict=True)]
