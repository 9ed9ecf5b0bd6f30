"""How good is a reward model on held-out pairs, and can its probabilities be trusted?

Reports pairwise accuracy, mean margin, expected calibration error (ECE) before and
after the model dir's temperature, and the correlation between reward and response
length: a reward that mostly tracks length is a known failure (it rewards verbosity),
and accuracy alone hides it.

The metric functions are stdlib only so they are cheap to test; `evaluate()` scores
through any object with RewardModel's `score_batch`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from duelist.engine.scoring.calibration import Calibration, fit_temperature, pair_ece


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson correlation; None when undefined (fewer than 2 points or no spread)."""
    n = len(xs)
    if n < 2 or n != len(ys):
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx <= 0 or syy <= 0:
        return None
    return sxy / math.sqrt(sxx * syy)


def _ranks(values: Sequence[float]) -> list[float]:
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2.0  # ties share their mean rank
        i = j + 1
    return ranks


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    return pearson(_ranks(xs), _ranks(ys))


@dataclass(frozen=True, slots=True)
class EvalReport:
    n_pairs: int
    accuracy: float
    mean_margin: float
    ece: float
    temperature: float | None  # the model dir's, when it has one
    ece_calibrated: float | None
    ece_refit: float  # ECE at the temperature best for THIS data (how far calibration can go)
    length_pearson: float | None
    length_spearman: float | None
    longer_wins: float  # share of pairs where the longer response got the higher reward

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def pair_metrics(chosen: Sequence[float], rejected: Sequence[float],
                 chosen_len: Sequence[int], rejected_len: Sequence[int],
                 calibration: Calibration | None = None) -> EvalReport:
    """All metrics from the rewards of chosen and rejected responses (and their lengths)."""
    n = len(chosen)
    if n == 0:
        raise ValueError("no pairs to evaluate")
    margins = [c - r for c, r in zip(chosen, rejected, strict=True)]
    correct = sum(1.0 if m > 0 else 0.5 if m == 0 else 0.0 for m in margins)
    rewards = list(chosen) + list(rejected)
    lengths = [float(x) for x in list(chosen_len) + list(rejected_len)]
    longer = [(c, r, lc, lr) for c, r, lc, lr in zip(chosen, rejected, chosen_len, rejected_len,
                                                     strict=True) if lc != lr]
    longer_wins = (sum(1 for c, r, lc, lr in longer if (c > r) == (lc > lr)) / len(longer)
                   if longer else 0.5)
    t = calibration.temperature if calibration is not None else None
    return EvalReport(
        n_pairs=n, accuracy=correct / n, mean_margin=sum(margins) / n,
        ece=pair_ece(margins, 1.0), temperature=t,
        ece_calibrated=pair_ece(margins, t) if t is not None else None,
        ece_refit=pair_ece(margins, fit_temperature(margins)),
        length_pearson=pearson(rewards, lengths), length_spearman=spearman(rewards, lengths),
        longer_wins=longer_wins)


def evaluate(model: Any, pairs: Sequence[Any], *, calibration: Calibration | None = None,
             progress: Callable[[int, int], None] | None = None) -> EvalReport:
    """Score every pair's chosen and rejected response with `model` and report."""
    prompts = [p.prompt for p in pairs]
    n = len(pairs)
    if hasattr(model, "score_pairs"):  # a single model: near ties re-checked in fp32
        chosen, rejected = model.score_pairs(prompts, [p.chosen for p in pairs],
                                             [p.rejected for p in pairs], progress=progress)
    else:
        texts = [p.chosen for p in pairs] + [p.rejected for p in pairs]
        scores = model.score_batch(prompts + prompts, texts, progress=progress)
        chosen, rejected = scores[:n], scores[n:]
    return pair_metrics(chosen, rejected, [len(p.chosen) for p in pairs],
                        [len(p.rejected) for p in pairs], calibration)
