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
    """Most uncertain item first: smallest |score_a - score_b| of the current model.

    Uses the store's `next_unjudged_by_uncertainty(annotator, model_id, exclude=...)`
    (quality work), which puts items the model has not scored after the scored
    ones, so the queue never runs dry early.
    """

    store: Store
    annotator: str
    model_id: int | None
    name: str = "uncertainty"

    def next(self, *, after_id: int, exclude: set[int]) -> Comparison | None:
        # Looked up per item: when a new model is registered and the scoring job
        # has stored its scores, the next item already follows the new model.
        self.model_id = self.scored_model(self.store) or self.model_id
        if self.model_id is None:
            return self.store.next_for_annotator(self.annotator, order="sequential",
                                                 after_id=after_id, exclude=exclude)
        return self.store.next_unjudged_by_uncertainty(self.annotator, self.model_id,
                                                       exclude=exclude)

    @staticmethod
    def scored_model(store: Store) -> int | None:
        """The current model's id when it has scored at least one comparison."""
        model = store.current_model()
        if model is None or store.count_scores(model.id) == 0:
            return None
        return model.id


ORDERS: dict[str, Callable[..., QueueOrder]] = {
    "sequential": lambda store, annotator, seed: SequentialOrder(store, annotator),
    "random": lambda store, annotator, seed: RandomOrder(store, annotator, seed),
}


def make_order(name: str, store: Store, annotator: str, seed: int, *, overlap: int | None = None,
               gold_rate: float = 0.0) -> tuple[QueueOrder, str | None]:
    """Build the named order; returns (order, notice) where notice explains a fallback.

    With an `overlap` quota, or gold items to mix in, the shared claimed queue
    (engine/application/claimed_queue.py) serves the items instead: leases in the store keep
    annotators in other processes off each other's items."""
    if overlap is not None or name == "disagreement" or (gold_rate > 0 and store.count_gold() > 0):
        from duelist.engine.application.claimed_queue import (
            MODEL_ORDERS,
            ClaimedOrder,
            scored_model,
        )

        notice = None
        if name in MODEL_ORDERS and scored_model(store) is None:
            notice = ("No model scores yet: showing items in sequential order until a "
                      "model has scored them.")
        return ClaimedOrder(store, annotator, name, seed, overlap, gold_rate), notice
    if name == "uncertainty":
        model_id = UncertaintyOrder.scored_model(store)
        if model_id is None:
            return (UncertaintyOrder(store, annotator, None),
                    "No model scores yet: showing items in sequential order until a model "
                    "has scored them (train a model: scoring then starts on its own).")
        return UncertaintyOrder(store, annotator, model_id), None
    if name not in ORDERS:
        raise ValueError(f"unknown order {name!r} (choose from {', '.join([*ORDERS, 'uncertainty'])})")
    return ORDERS[name](store, annotator, seed), None
