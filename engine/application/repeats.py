"""Self-consistency repeats (`duelist annotate --repeat-rate R`), Textual-free.

After a judgement, with probability R (seeded per annotator), the next item is
one this annotator already judged, shown again with its sides swapped from the
first showing. Which one: the oldest judgement never repeated, and not among
the last MIN_GAP items of this sitting, so memory of the layout helps little.
The answer goes to the `repeats` table (never `annotations`), so export,
training and agreement statistics see each judgement once; `stats` compares
the two answers (self-agreement per annotator).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from duelist.store import Store

MIN_GAP = 5


@dataclass(frozen=True, slots=True)
class Repeat:
    """A repeat on screen: which judgement it repeats and the side layout to show."""

    original_id: int
    comparison_id: int
    swapped: bool  # the opposite of what the annotator saw the first time


class RepeatPlanner:
    def __init__(self, store: Store, annotator: str, rate: float, seed: int = 0) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"repeat rate must be between 0 and 1, got {rate}")
        self.store = store
        self.annotator = annotator
        self.rate = rate
        self.rng = random.Random(f"repeat:{seed}:{annotator}")

    def next_repeat(self, recent: list[int]) -> Repeat | None:
        """A repeat to serve now, or None (draw failed, or nothing eligible yet)."""
        if self.rate <= 0 or self.rng.random() >= self.rate:
            return None
        found = self.store.repeat_candidate(self.annotator, frozenset(recent[-MIN_GAP:]))
        if found is None:
            return None
        original_id, cid, shown_swapped = found
        return Repeat(original_id, cid, not shown_swapped)
