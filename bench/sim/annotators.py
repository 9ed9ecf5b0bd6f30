"""Simulated annotators with known behaviour, for tests, benchmarks and demos.

Knowing the truth lets us check that the statistics find what we planted:
- accurate:    right with probability `accuracy` (default 0.9), reads properly;
- random:      a coin flip between the two sides;
- left:        picks whatever is shown on the LEFT with probability `bias`,
               otherwise judges like an accurate annotator;
- adversarial: picks the worse response with probability `accuracy`;
- speeder:     accurate-ish but clicks faster than anyone can read.
Every judgement is made on a screen where the sides were swapped at random,
exactly like the annotate screen does, so side and winner are separate facts.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

KINDS = ("accurate", "random", "left", "adversarial", "speeder")


@dataclass(frozen=True, slots=True)
class SimAnnotator:
    name: str
    kind: str = "accurate"
    accuracy: float = 0.9
    bias: float = 0.85
    seconds_per_100_chars: float = 4.0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown simulated annotator kind {self.kind!r}")

    def judge(self, truth: str, rng: random.Random, text_chars: int = 400
              ) -> tuple[str, bool, int]:
        """(choice in stored orientation, shown_swapped, duration_ms) for an item
        whose better response is `truth` ('a' or 'b', stored orientation)."""
        swapped = rng.random() < 0.5
        wrong = "b" if truth == "a" else "a"
        left = "b" if swapped else "a"  # the stored side shown on the left
        if self.kind == "random":
            choice = rng.choice(("a", "b"))
        elif self.kind == "left" and rng.random() < self.bias:
            choice = left
        elif self.kind == "adversarial":
            choice = wrong if rng.random() < self.accuracy else truth
        else:
            choice = truth if rng.random() < self.accuracy else wrong
        per_100 = 0.15 if self.kind == "speeder" else self.seconds_per_100_chars
        seconds = max(0.2, rng.gauss(1.0 + per_100 * text_chars / 100, 0.3))
        return choice, swapped, int(seconds * 1000)


def standard_team() -> list[SimAnnotator]:
    """The team the quality tests and benchmark use: two good, four problematic."""
    return [
        SimAnnotator("ada", "accurate", accuracy=0.92),
        SimAnnotator("bob", "accurate", accuracy=0.85),
        SimAnnotator("cat", "random"),
        SimAnnotator("dan", "left", bias=0.85),
        SimAnnotator("eve", "adversarial", accuracy=0.8),
    ]


def populate(store, team: list[SimAnnotator], *, n_items: int = 300, overlap: int = 3,
             gold_every: int = 10, seed: int = 0) -> dict[int, str]:
    """Fill a store with comparisons and simulated judgements; return the truth.

    Each ordinary item is judged by `overlap` annotators drawn at random from
    `team`; every annotator judges every gold item (one in `gold_every`).
    Returns comparison id -> the better side ('a'/'b', stored orientation).
    """
    from duelist.store import NewAnnotation, NewComparison

    rng = random.Random(seed)
    planned: list[tuple[NewComparison, str]] = []
    for i in range(n_items):
        good = f"A careful, correct answer to question {i}. " + "detail " * rng.randint(5, 60)
        bad = f"A sloppy answer to question {i}. " + "filler " * rng.randint(5, 60)
        truth = rng.choice(("a", "b"))
        a, b = (good, bad) if truth == "a" else (bad, good)
        is_gold = gold_every > 0 and i % gold_every == gold_every - 1
        planned.append((NewComparison(prompt=f"Question {i}?", response_a=a, response_b=b,
                                      source="simulated", gold=truth if is_gold else None),
                        truth))
    store.insert_comparisons(c for c, _ in planned)
    truth_by_id: dict[int, str] = {}
    judgements: list[NewAnnotation] = []
    for c, truth in planned:
        placed = store.add_comparison(c)
        stored_truth = ({"a": "b", "b": "a"}[truth]) if placed.flipped else truth
        truth_by_id[placed.id] = stored_truth
        judges = team if c.gold is not None else rng.sample(team, min(overlap, len(team)))
        chars = len(c.prompt) + len(c.response_a) + len(c.response_b)
        for judge in judges:
            choice, swapped, ms = judge.judge(stored_truth, rng, chars)
            judgements.append(NewAnnotation(comparison_id=placed.id, annotator=judge.name,
                                            choice=choice, shown_swapped=swapped, duration_ms=ms,
                                            session_id=f"sim-{judge.name}"))
    store.add_annotations_bulk(judgements)
    return truth_by_id
