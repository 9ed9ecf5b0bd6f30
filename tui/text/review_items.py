"""What the review screen shows about one comparison, as plain text (Textual-free).

Every vote with its strength, note and time, the gold answer, and the lead's
decision. Choices are shown in the store's orientation (A = response_a): a
reviewer compares the stored pair, not each annotator's randomised layout.
"""

from __future__ import annotations

from dataclasses import dataclass

from duelist.engine.safe_text import one_line
from duelist.store import Annotation, Comparison, Store
from duelist.store.records import Adjudication
from duelist.store.review import SearchFilter

LEVELS = {1: "slightly", 2: "clearly", 3: "much"}
CHOICE_LABEL = {"a": "A", "b": "B", "tie": "tie", "both_bad": "both bad", "skip": "skip"}


@dataclass(frozen=True, slots=True)
class ReviewItem:
    comparison: Comparison
    votes: list[Annotation]  # live judgements, oldest first
    adjudication: Adjudication | None

    @property
    def tally(self) -> str:
        """'A 2 · B 1' over live non-skip votes."""
        counts: dict[str, int] = {}
        for v in self.votes:
            if v.choice != "skip":
                counts[v.choice] = counts.get(v.choice, 0) + 1
        return " · ".join(f"{CHOICE_LABEL[c]} {n}" for c, n in sorted(counts.items()))

    @property
    def gold_missed(self) -> bool:
        gold = self.comparison.gold
        return gold is not None and any(v.choice not in ("skip", gold) for v in self.votes)


def load_item(store: Store, comparison_id: int) -> ReviewItem | None:
    c = store.get_comparison(comparison_id)
    if c is None:
        return None
    return ReviewItem(c, store.annotations_for(comparison_id=comparison_id),
                      store.adjudication_for(comparison_id))


def review_ids(store: Store, f: SearchFilter | None = None) -> list[int]:
    """Disputed or gold-missed comparisons, narrowed by the search filter."""
    return store.review_comparison_ids(f)


def choice_text(choice: str, strength: int | None) -> str:
    label = CHOICE_LABEL.get(choice, choice)
    return f"{label}, {LEVELS[strength]} better" if strength in LEVELS else label


def vote_lines(item: ReviewItem) -> list[tuple[str, str, str, str]]:
    """(annotator, choice with strength, time, note) per vote; text already one-line."""
    return [(one_line(v.annotator, 30), choice_text(v.choice, v.strength),
             v.created_at.replace("T", " ")[:16], one_line(v.rationale or "", 300))
            for v in item.votes]


def decision_text(adj: Adjudication | None) -> str:
    if adj is None:
        return "not adjudicated"
    note = f" · note: {one_line(adj.note, 200)}" if adj.note else ""
    return (f"adjudicated: {choice_text(adj.choice, adj.strength)} by "
            f"{one_line(adj.adjudicator, 30)} at {adj.created_at.replace('T', ' ')[:19]}{note}")
