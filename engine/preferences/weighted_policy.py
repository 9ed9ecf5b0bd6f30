"""The `weighted` resolution policy: each vote counts by its annotator's reliability.

Listed in `duelist.engine.preferences.resolve`'s registry, so `duelist export
--policy weighted` and training use it like majority or unanimous. When the
caller passes no weights, they are estimated from the store's gold answers and
agreement (see reliability.py); an annotator the estimate has never seen
counts with the prior's weight.
"""

from __future__ import annotations

from collections.abc import Mapping

from duelist.engine.preferences.votes import Outcome, Vote, majority
from duelist.engine.quality.annotator_stats import latest_labels
from duelist.engine.quality.reliability import (
    PRIOR_CORRECT,
    PRIOR_TOTAL,
    reliability_weights,
    weight_from_accuracy,
)

UNSEEN_WEIGHT = weight_from_accuracy(PRIOR_CORRECT / PRIOR_TOTAL)


def store_weights(store) -> dict[str, float]:
    """annotator -> reliability weight, estimated from an open Store."""
    return reliability_weights(latest_labels(store.judgement_facts()), store.gold_answers())


def weighted(votes: list[Vote], weights: Mapping[str, float] | None = None) -> Outcome:
    """Reliability-weighted plurality; a draw at the top is a conflict.

    Same outcome rules as majority (whose tally already takes weights), with
    unknown annotators at the prior weight instead of 1.0.
    """
    if weights is None:
        return majority(votes, None)
    full = {v.annotator: float(weights.get(v.annotator, UNSEEN_WEIGHT)) for v in votes}
    return majority(votes, full)
