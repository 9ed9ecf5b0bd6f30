"""The shared-queue order: leases in the store, overlap quotas, gold mixed in.

Used instead of the per-annotator orders when `duelist annotate` runs with
`--overlap N` (several annotators on one database) or when the store has gold
items to mix in. Each `next()` is one atomic `Store.claim_next` call, so
processes on the same file (or SSH sessions on one machine) never race.

With `order="uncertainty"` (or "disagreement") the model is looked up on every
call: when a new model is registered and the scoring job has stored its scores,
the very next item already follows the new model, without a restart.
"""

from __future__ import annotations

from dataclasses import dataclass

from duelist.store import Comparison, Store

MODEL_ORDERS = ("uncertainty", "disagreement")


def scored_model(store: Store) -> int | None:
    """The current model's id when it has scored at least one comparison."""
    model = store.current_model()
    if model is None or store.count_scores(model.id) == 0:
        return None
    return model.id


@dataclass
class ClaimedOrder:
    store: Store
    annotator: str
    order: str = "sequential"
    seed: int = 0
    overlap: int | None = 1
    gold_rate: float = 0.0
    name: str = "claimed"

    def __post_init__(self) -> None:
        self.name = f"{self.order} (shared" + (
            f", overlap {self.overlap})" if self.overlap is not None else ")")

    def model_id(self) -> int | None:
        return scored_model(self.store) if self.order in MODEL_ORDERS else None

    def next(self, *, after_id: int, exclude: set[int]) -> Comparison | None:
        model_id = self.model_id()
        order = self.order if (self.order not in MODEL_ORDERS or model_id is not None) \
            else "sequential"
        return self.store.claim_next(self.annotator, overlap=self.overlap, order=order,
                                     gold_rate=self.gold_rate, seed=self.seed,
                                     model_id=model_id, exclude=frozenset(exclude),
                                     after_id=after_id if order == "sequential" else 0)

    def release(self) -> None:
        """Give back this annotator's leases (on a clean quit)."""
        self.store.release_claims(self.annotator)

    def renew(self) -> None:
        """Keep the lease on the item on screen while the annotator reads it."""
        self.store.renew_claims(self.annotator)

    def hold(self, comparison_id: int) -> None:
        """An undo reopened this item on our screen: lease it so nobody else takes it."""
        self.store.hold_item(comparison_id, self.annotator)
