"""The `judgements` section of `duelist stats`: strength, notes, adjudications, and
each annotator's self-agreement on repeats (`annotate --repeat-rate`).

Self-agreement is the share of repeats answered like the first time (stored
orientation, so a swapped layout does not count as a change of mind), with its
n and a 95% Wilson interval: with the handful of repeats a sitting yields, the
interval says how little a 100% on n = 4 means.
"""

from __future__ import annotations

from typing import Any

from duelist.engine.preferences.strength import STRENGTH_NAMES
from duelist.engine.quality.binomial import wilson_interval as wilson
from duelist.store import Store


def self_agreement(store: Store) -> dict[str, dict[str, Any]]:
    """annotator -> {agree, n, rate, low, high} over their repeats."""
    tally: dict[str, list[int]] = {}
    for pair in store.repeat_pairs():
        t = tally.setdefault(pair.annotator, [0, 0])
        t[0] += pair.original == pair.repeat
        t[1] += 1
    out = {}
    for who in sorted(tally):
        k, n = tally[who]
        lo, hi = wilson(k, n)
        out[who] = {"agree": k, "n": n, "rate": round(k / n, 4), "low": round(lo, 4),
                    "high": round(hi, 4)}
    return out


def judgements_section(store: Store, recent: int = 5) -> dict[str, Any]:
    strength = {who: {("ungraded" if s == 0 else STRENGTH_NAMES[s]): n for s, n in per.items()}
                for who, per in store.strength_counts().items()}
    notes = [{"annotator": n.annotator, "comparison_id": n.comparison_id, "choice": n.choice,
              "note": n.note, "created_at": n.created_at} for n in store.recent_notes(recent)]
    return {"strength": strength, "notes": store.count_notes(), "recent_notes": notes,
            "to_review": len(store.review_comparison_ids()),
            "adjudicated": len(store.latest_adjudications()),
            "self_agreement": self_agreement(store)}

