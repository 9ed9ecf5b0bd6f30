"""Annotator reliability and the reliability-weighted vote.

Why log-odds weights: if annotators err independently, the Bayes-optimal vote
weights each one by log(p / (1 - p)), p being their accuracy (the "one-coin"
Dawid-Skene model). An annotator at chance gets ~0, a sharp one a lot.

Accuracy is estimated from two kinds of evidence:
- gold items (known answers), counted GOLD_WEIGHT times because they are truth;
- agreement with the weighted consensus of the OTHER annotators on shared items,
  re-estimated a few rounds so that a good annotator is not dragged down by
  bad colleagues in the first plain-majority round.

Weights never go negative: an adversarial annotator is ignored, not inverted,
because inverting a confused (rather than malicious) annotator is riskier than
losing their votes.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping

DECISIVE = ("a", "b", "tie", "both_bad")
GOLD_WEIGHT = 2.0
PRIOR_CORRECT = 2.0  # Beta prior: an annotator nobody can check yet counts as p = 2/3
PRIOR_TOTAL = 3.0
MIN_WEIGHT = 0.01  # keeps a lone voter's item resolvable, and always loses to real evidence
MAX_WEIGHT = 4.0


def weight_from_accuracy(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return min(MAX_WEIGHT, max(MIN_WEIGHT, math.log(p / (1.0 - p))))


def weighted_vote(labels: Mapping[str, str], weights: Mapping[str, float],
                  default_weight: float = 1.0) -> str | None:
    """The label with the largest summed weight, or None on a tie or no votes.

    `labels` maps annotator -> decisive label ('skip' is ignored).
    """
    totals: dict[str, float] = defaultdict(float)
    for annotator, label in labels.items():
        if label in DECISIVE:
            totals[label] += weights.get(annotator, default_weight)
    if not totals:
        return None
    ranked = sorted(totals.items(), key=lambda kv: -kv[1])
    if len(ranked) > 1 and math.isclose(ranked[0][1], ranked[1][1], rel_tol=1e-9, abs_tol=1e-12):
        return None
    return ranked[0][0]


def estimate_accuracy(items: Mapping[int, Mapping[str, str]], gold: Mapping[int, str],
                      iterations: int = 5) -> dict[str, tuple[float, float]]:
    """Per annotator: (estimated accuracy, evidence count).

    `items` maps comparison id -> {annotator: decisive label}; `gold` maps
    comparison id -> known label. Gold items count only as gold evidence.
    """
    names = sorted({a for labels in items.values() for a in labels})
    weights = dict.fromkeys(names, 1.0)
    result: dict[str, tuple[float, float]] = {}
    for _ in range(max(1, iterations)):
        correct: dict[str, float] = dict.fromkeys(names, PRIOR_CORRECT)
        total: dict[str, float] = dict.fromkeys(names, PRIOR_TOTAL)
        for cid, labels in items.items():
            if cid in gold:
                for a, label in labels.items():
                    total[a] += GOLD_WEIGHT
                    correct[a] += GOLD_WEIGHT * (label == gold[cid])
                continue
            if len(labels) < 2:
                continue
            for a, label in labels.items():
                others = {o: lab for o, lab in labels.items() if o != a}
                consensus = weighted_vote(others, weights)
                if consensus is None:
                    continue
                total[a] += 1.0
                correct[a] += label == consensus
        result = {a: (correct[a] / total[a], total[a] - PRIOR_TOTAL) for a in names}
        weights = {a: weight_from_accuracy(p) for a, (p, _n) in result.items()}
    return result


def reliability_weights(items: Mapping[int, Mapping[str, str]],
                        gold: Mapping[int, str]) -> dict[str, float]:
    """annotator -> vote weight (log-odds of estimated accuracy, clipped)."""
    return {a: weight_from_accuracy(p) for a, (p, _n) in estimate_accuracy(items, gold).items()}
