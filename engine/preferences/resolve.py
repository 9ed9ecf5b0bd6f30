"""Judgements -> preference pairs, under a resolution policy.

Several annotators may judge one comparison. A policy turns their votes into one
outcome: 'a' or 'b' (a pair for training), or 'tie', 'both_bad', 'skip',
'conflict' (left out, and counted, so a user sees what was dropped and why).

Policies live in a registry: majority and unanimous (`votes`), the quality
module's reliability-weighted one, and any a caller adds without touching this file:

    register_policy("mine", my_policy)   # my_policy(votes, weights) -> Outcome
    resolve_pairs(store, policy="weighted", weights={"alice": 1.0, "bob": 0.4})

Each annotator counts once per comparison: their latest live (not undone)
judgement. 'skip' is not a vote; a comparison with only skips resolves to 'skip'.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from duelist.engine.errors import DuelistError
from duelist.engine.preferences.pair import PreferencePair
from duelist.engine.preferences.strength import STRENGTH_NAMES, margin_for, pair_margin
from duelist.engine.preferences.votes import (
    VOTE_CHOICES,
    Outcome,
    Vote,
    majority,
    unanimous,
)
from duelist.engine.preferences.weighted_policy import store_weights, weighted
from duelist.store import Store

Policy = Callable[[list[Vote], Mapping[str, float] | None], Outcome]
# The built-in policies; `register_policy` adds more (tests and plug-ins do).
_POLICIES: dict[str, Policy] = {"majority": majority, "unanimous": unanimous,
                                "weighted": weighted}
_WEIGHTS_FROM: dict[str, Callable[[Store], Mapping[str, float]]] = {"weighted": store_weights}


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




@dataclass
class Resolution:
    """Pairs ready for training or export, plus what was left out and why."""

    pairs: list[PreferencePair]
    counts: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        c = self.counts
        return (f"{c.get('pairs', 0)} pairs from {c.get('judged', 0)} judged comparisons; "
                f"left out: {c.get('tie', 0)} ties, {c.get('both_bad', 0)} both-bad, "
                f"{c.get('conflict', 0)} conflicts; {c.get('skip', 0)} more only skipped")


def latest_votes(store: Store) -> dict[int, list[Vote]]:
    """comparison id -> one vote per annotator (their latest live judgement)."""
    by_comparison: dict[int, dict[str, Vote]] = {}
    for a in store.iter_live_annotations():  # oldest first: later ones overwrite
        by_comparison.setdefault(a.comparison_id, {})[a.annotator] = Vote(
            a.annotator, a.choice, a.strength, a.rationale or None)
    return {cid: [per[who] for who in sorted(per)] for cid, per in by_comparison.items()}


ADJUDICATED = "adjudicated"


def split_policy(policy: str) -> tuple[bool, str]:
    """'adjudicated' -> (True, 'majority'); 'adjudicated:weighted' -> (True, 'weighted');
    anything else -> (False, policy). The fallback resolves items nobody adjudicated."""
    head, _, rest = policy.partition(":")
    if head == ADJUDICATED:
        return True, rest or "majority"
    return False, policy


def resolve_pairs(store: Store, policy: str | Policy = "majority",
                  weights: Mapping[str, float] | None = None) -> Resolution:
    """Every comparison with live judgements, resolved; pairs in comparison-id order.

    Pair provenance (the export's extra columns): comparison_id, source (the file
    the comparison was imported from), annotators, votes (e.g. "a=2 b=1"),
    agreement (share of votes for the winner), strength, notes, adjudicated.

    `adjudicated` (or `adjudicated:<fallback>`) takes a lead's adjudicated decision
    where there is one and resolves every other comparison by the fallback policy
    (majority unless named). An adjudicated pair has weight 1 and the lead's margin.
    """
    use_adjudications, policy = (split_policy(policy) if isinstance(policy, str)
                                 else (False, policy))
    fn = _POLICIES.get(policy) if isinstance(policy, str) else policy
    if fn is None:
        names = ", ".join([*policies(), ADJUDICATED, ADJUDICATED + ":<policy>"])
        raise DuelistError(f"unknown resolution policy '{policy}' (use one of {names})")
    if weights is None and isinstance(policy, str) and policy in _WEIGHTS_FROM:
        weights = _WEIGHTS_FROM[policy](store)
    votes = latest_votes(store)
    adjudications = store.latest_adjudications() if use_adjudications else {}
    for cid in adjudications:
        votes.setdefault(cid, [])
    counts: dict[str, int] = {"judged": len(votes), "pairs": 0, "tie": 0, "both_bad": 0,
                              "skip": 0, "conflict": 0}
    if use_adjudications:
        counts["adjudicated"] = len(adjudications)
    decided: list[tuple[int, Outcome, list[Vote]]] = []
    for cid in sorted(votes):
        adj = adjudications.get(cid)
        if adj is not None:
            outcome: Outcome = Adjudicated(adj.choice, 1.0, adj.strength, adj.note or None)
        else:
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
        if isinstance(outcome, Adjudicated):
            margin = margin_for(outcome.strength)
        else:
            margin = pair_margin([v.strength for v in cast if v.choice == outcome.choice])
        pairs.append(PreferencePair(
            prompt=c.prompt, chosen=chosen, rejected=rejected, comparison_id=cid,
            weight=outcome.weight, provenance=_provenance(c.source, cast, outcome),
            margin=round(margin, 6)))
    counts["pairs"] = len(pairs)
    # "judged" means what `duelist stats` and the S screen mean: a comparison with a
    # live vote other than skip (or a lead's decision). Only-skipped ones are `skip`.
    counts["judged"] -= counts["skip"]
    return Resolution(pairs, counts)


@dataclass(frozen=True, slots=True)
class Adjudicated(Outcome):
    """A lead's decision, standing in for the policy's outcome."""

    strength: int | None = None
    note: str | None = None


def _provenance(source: str, cast: list[Vote], outcome: Outcome) -> dict[str, Any]:
    tally: dict[str, int] = {}
    for v in cast:
        tally[v.choice] = tally.get(v.choice, 0) + 1
    notes = [f"{v.annotator}: {v.note}" for v in cast if v.note]
    graded = [f"{v.annotator}={STRENGTH_NAMES[v.strength]}" for v in cast
              if v.strength in STRENGTH_NAMES]
    adjudicated = isinstance(outcome, Adjudicated)
    if adjudicated and outcome.note:
        notes.append(f"adjudicated: {outcome.note}")
    if adjudicated and outcome.strength in STRENGTH_NAMES:
        graded.append(f"adjudicated={STRENGTH_NAMES[outcome.strength]}")
    return {
        "source": source,
        "annotators": ",".join(v.annotator for v in cast if v.choice != "skip"),
        "votes": " ".join(f"{k}={tally[k]}" for k in (*VOTE_CHOICES, "skip") if k in tally),
        "agreement": round(outcome.weight, 4),
        "strength": " ".join(graded),
        "notes": " | ".join(notes),
        "adjudicated": adjudicated,
    }

