"""Votes and outcomes: what one comparison's judgements are, and the two plain policies.

Split from `resolve` so a policy module (the reliability-weighted one in
`duelist.engine.preferences.weighted_policy`) can build on `majority` without importing
the resolver that registers it: the resolver imports policies, never the reverse.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

OUTCOMES = ("pair", "tie", "both_bad", "skip", "conflict")
VOTE_CHOICES = ("a", "b", "tie", "both_bad")


@dataclass(frozen=True, slots=True)
class Vote:
    annotator: str
    choice: str  # a, b, tie, both_bad or skip (stored orientation)
    strength: int | None = None  # 1-3 for a graded A/B vote
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a policy decided: `choice` is a, b, tie, both_bad, skip or conflict;
    `weight` is how much the resulting pair should count in training (0..1]."""

    choice: str
    weight: float = 1.0


def _tally(votes: list[Vote], weights: Mapping[str, float] | None) -> dict[str, float]:
    tally = dict.fromkeys(VOTE_CHOICES, 0.0)
    for v in votes:
        if v.choice in tally:
            tally[v.choice] += 1.0 if weights is None else float(weights.get(v.annotator, 1.0))
    return tally


def majority(votes: list[Vote], weights: Mapping[str, float] | None = None) -> Outcome:
    """The choice with the most (weighted) votes; a draw at the top is a conflict."""
    tally = _tally(votes, weights)
    total = sum(tally.values())
    if total <= 0:
        return Outcome("skip", 0.0)
    top = max(tally.values())
    leaders = [c for c, n in tally.items() if n == top]
    if len(leaders) > 1:
        return Outcome("conflict", 0.0)
    return Outcome(leaders[0], top / total)


def unanimous(votes: list[Vote], weights: Mapping[str, float] | None = None) -> Outcome:
    """A pair only when every non-skip vote agrees."""
    cast = {v.choice for v in votes if v.choice in VOTE_CHOICES}
    if not cast:
        return Outcome("skip", 0.0)
    if len(cast) > 1:
        return Outcome("conflict", 0.0)
    return Outcome(cast.pop(), 1.0)
