"""Judgements -> preference pairs, under a resolution policy.

Several annotators may judge one comparison. A policy turns their votes into one
outcome: 'a' or 'b' (a pair for training), or 'tie', 'both_bad', 'skip',
'conflict' (left out, and counted, so a user sees what was dropped and why).

Policies live in a registry so other modules can add their own without touching
this file; the quality module registers a reliability-weighted one:

    register_policy("weighted", my_policy)   # my_policy(votes, weights) -> Outcome
    resolve_pairs(store, policy="weighted", weights={"alice": 1.0, "bob": 0.4})

Each annotator counts once per comparison: their latest live (not undone)
judgement. 'skip' is not a vote; a comparison with only skips resolves to 'skip'.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from duelist.engine.errors import DuelistError
from duelist.engine.preference import PreferencePair
from duelist.store import Store

OUTCOMES = ("pair", "tie", "both_bad", "skip", "conflict")
VOTE_CHOICES = ("a", "b", "tie", "both_bad")


@dataclass(frozen=True, slots=True)
class Vote:
    annotator: str
    choice: str  # a, b, tie, both_bad or skip (stored orientation)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a policy decided: `choice` is a, b, tie, both_bad, skip or conflict;
    `weight` is how much the resulting pair should count in training (0..1]."""

    choice: str
    weight: float = 1.0


Policy = Callable[[list[Vote], Mapping[str, float] | None], Outcome]
_POLICIES: dict[str, Policy] = {}
_WEIGHTS_FROM: dict[str, Callable[[Store], Mapping[str, float]]] = {}


def register_policy(name: str, policy: Policy,
                    weights_from: Callable[[Store], Mapping[str, float]] | None = None) -> None:
    """Make `policy` available by name to resolve_pairs, export and train.

    `weights_from(store)` supplies annotator weights when the caller passes none
    (the weighted policy estimates reliability from the store)."""
    _POLICIES[name] = policy
    if weights_from is not None:
        _WEIGHTS_FROM[name] = weights_from


def policies() -> list[str]:
    return sorted(_POLICIES)


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


register_policy("majority", majority)
register_policy("unanimous", unanimous)


@dataclass
class Resolution:
    """Pairs ready for training or export, plus what was left out and why."""

    pairs: list[PreferencePair]
    counts: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        c = self.counts
        return (f"{c.get('pairs', 0)} pairs from {c.get('judged', 0)} judged comparisons; "
                f"left out: {c.get('tie', 0)} ties, {c.get('both_bad', 0)} both-bad, "
                f"{c.get('skip', 0)} skipped, {c.get('conflict', 0)} conflicts")


def latest_votes(store: Store) -> dict[int, list[Vote]]:
    """comparison id -> one vote per annotator (their latest live judgement)."""
    by_comparison: dict[int, dict[str, str]] = {}
    for a in store.iter_live_annotations():  # oldest first: later ones overwrite
        by_comparison.setdefault(a.comparison_id, {})[a.annotator] = a.choice
    return {cid: [Vote(who, choice) for who, choice in sorted(per.items())]
            for cid, per in by_comparison.items()}


def resolve_pairs(store: Store, policy: str | Policy = "majority",
                  weights: Mapping[str, float] | None = None) -> Resolution:
    """Every comparison with live judgements, resolved; pairs in comparison-id order.

    Pair provenance (the export's extra columns): comparison_id, source (the file
    the comparison was imported from), annotators, votes (e.g. "a=2 b=1"),
    agreement (share of votes for the winner).
    """
    fn = _POLICIES.get(policy) if isinstance(policy, str) else policy
    if fn is None:
        raise DuelistError(f"unknown resolution policy '{policy}' (use one of {', '.join(policies())})")
    if weights is None and isinstance(policy, str) and policy in _WEIGHTS_FROM:
        weights = _WEIGHTS_FROM[policy](store)
    votes = latest_votes(store)
    counts: dict[str, int] = {"judged": len(votes), "pairs": 0, "tie": 0, "both_bad": 0,
                              "skip": 0, "conflict": 0}
    decided: list[tuple[int, Outcome, list[Vote]]] = []
    for cid in sorted(votes):
        outcome = fn(votes[cid], weights)
        if outcome.choice in ("a", "b"):
            decided.append((cid, outcome, votes[cid]))
        else:
            key = outcome.choice if outcome.choice in counts else "conflict"
            counts[key] += 1
    comparisons = {c.id: c for c in store.get_comparisons([cid for cid, _, _ in decided])}
    pairs: list[PreferencePair] = []
    for cid, outcome, cast in decided:
        c = comparisons[cid]
        chosen, rejected = ((c.response_a, c.response_b) if outcome.choice == "a"
                            else (c.response_b, c.response_a))
        pairs.append(PreferencePair(
            prompt=c.prompt, chosen=chosen, rejected=rejected, comparison_id=cid,
            weight=outcome.weight, provenance=_provenance(c.source, cast, outcome)))
    counts["pairs"] = len(pairs)
    return Resolution(pairs, counts)


def _provenance(source: str, cast: list[Vote], outcome: Outcome) -> dict[str, Any]:
    tally: dict[str, int] = {}
    for v in cast:
        tally[v.choice] = tally.get(v.choice, 0) + 1
    return {
        "source": source,
        "annotators": ",".join(v.annotator for v in cast if v.choice != "skip"),
        "votes": " ".join(f"{k}={tally[k]}" for k in (*VOTE_CHOICES, "skip") if k in tally),
        "agreement": round(outcome.weight, 4),
    }


# The reliability-weighted policy lives with the quality code; importing it registers it.
from .quality import policy as _weighted_policy  # noqa: E402, F401
