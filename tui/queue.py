"""Which comparison an annotator sees next: the queue orders, in one place.

Why a separate module: orders come from different places (ids, a seeded shuffle,
model uncertainty from the quality work), but the annotate session only needs
"give me the next item this annotator has not judged". Adding an order is adding
one class here and one entry in `ORDERS`.

Every order excludes comparisons this annotator already has a live judgement on
(the store's `next_for_annotator` does that through an index, so the cost does
not grow with a 1,000,000-row store), plus `exclude`: items shown in this session
and passed over with `n`, so they do not come straight back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from duelist.store import Comparison, Store


class QueueOrder(Protocol):
    name: str

    def next(self, *, after_id: int, exclude: set[int]) -> Comparison | None:
        """The next unjudged comparison after `after_id` (the last one shown), or None."""
        ...


@dataclass
class SequentialOrder:
    """Comparison ids upward from the last one shown, wrapping around once."""

    store: Store
    annotator: str
    name: str = "sequential"

    def next(self, *, after_id: int, exclude: set[int]) -> Comparison | None:
        return self.store.next_for_annotator(self.annotator, order="sequential",
                                             after_id=after_id, exclude=exclude)


@dataclass
class RandomOrder:
    """A seeded random unjudged item: reproducible for (seed, annotator, step)."""

    store: Store
    annotator: str
    seed: int = 0
    name: str = "random"

    def next(self, *, after_id: int, exclude: set[int]) -> Comparison | None:
        return self.store.next_for_annotator(self.annotator, order="random", seed=self.seed,
                                             after_id=after_id, exclude=exclude)


@dataclass
class UncertaintyOrder:
    """Most uncertain item first, by the current model's scores.

    Contract for the store side (quality work): a method
    `next_uncertain_for_annotator(annotator, *, exclude) -> Comparison | None`
    returning the unjudged, scored comparison with the smallest |score_a - score_b|
    (or largest ensemble spread), or None when no scored item is left. Items
    without scores then come in sequential order, so the queue never runs dry early.
    """

    store: Store
    annotator: str
    name: str = "uncertainty"

    def next(self, *, after_id: int, exclude: set[int]) -> Comparison | None:
        pick = getattr(self.store, "next_uncertain_for_annotator", None)
        item = pick(self.annotator, exclude=exclude) if pick else None
        return item or self.store.next_for_annotator(self.annotator, order="sequential",
                                                     after_id=after_id, exclude=exclude)

    @staticmethod
    def available(store: Store) -> bool:
        """True when the store can rank by uncertainty and a model has scored items."""
        if not hasattr(store, "next_uncertain_for_annotator"):
            return False
        has = getattr(store, "has_uncertainty_scores", None)
        return bool(has()) if has else True


ORDERS: dict[str, Callable[..., QueueOrder]] = {
    "sequential": lambda store, annotator, seed: SequentialOrder(store, annotator),
    "random": lambda store, annotator, seed: RandomOrder(store, annotator, seed),
    "uncertainty": lambda store, annotator, seed: UncertaintyOrder(store, annotator),
}


def make_order(name: str, store: Store, annotator: str, seed: int) -> tuple[QueueOrder, str | None]:
    """Build the named order; returns (order, notice) where notice explains a fallback."""
    if name not in ORDERS:
        raise ValueError(f"unknown order {name!r} (choose from {', '.join(ORDERS)})")
    if name == "uncertainty" and not UncertaintyOrder.available(store):
        return (SequentialOrder(store, annotator),
                "No model scores yet: showing items in sequential order. "
                "Train a model and score the store to get uncertainty-first order.")
    return ORDERS[name](store, annotator, seed), None
