"""Queries behind annotation-quality statistics and the uncertainty scoring job.

The engine's quality code works on plain facts (who judged what, how fast, on
how much text, against which known answer), so the math stays testable without
SQL and this module stays the only place that knows the schema.
"""

from __future__ import annotations

from dataclasses import dataclass

from duelist.store import _rows
from duelist.store.annotations import check_judgement
from duelist.store.records import Comparison, NewAnnotation

_UNSCORED = ("NOT EXISTS (SELECT 1 FROM scores s WHERE s.model_id = :m "
             "AND s.comparison_id = c.id)")
_OPEN = " AND c.judges < :overlap"  # live, non-skip judgements (triggers, migration m002)


@dataclass(frozen=True, slots=True)
class JudgementFacts:
    """One live judgement with what quality stats need to know about it.

    `choice` is in the store's orientation; `text_chars` is the length of the
    prompt plus both responses (for the reading-time floor); `gold` is the
    known answer in the store's orientation, or None.
    """

    annotation_id: int
    comparison_id: int
    annotator: str
    choice: str
    shown_swapped: bool
    duration_ms: int | None
    text_chars: int
    gold: str | None
    created_at: str


@dataclass(frozen=True, slots=True)
class Margin:
    """A model's view of one comparison: score_a - score_b, and the ensemble spread."""

    comparison_id: int
    margin: float
    std: float | None


class QualityMixin:
    def judgement_facts(self) -> list[JudgementFacts]:
        """Every live judgement, oldest first, with text length and gold answer."""
        sql = ("SELECT a.id, a.comparison_id, a.annotator, a.choice, a.shown_swapped, "
               "a.duration_ms, length(c.prompt) + length(c.response_a) + length(c.response_b), "
               "c.gold, a.created_at FROM annotations a JOIN comparisons c "
               "ON c.id = a.comparison_id WHERE a.undone = 0 ORDER BY a.id")
        return [JudgementFacts(r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6] or 0, r[7], r[8])
                for r in self.db.execute(sql)]

    def gold_answers(self) -> dict[int, str]:
        """comparison id -> known answer (stored orientation) for every gold item."""
        return {r[0]: r[1] for r in self.db.execute(
            "SELECT id, gold FROM comparisons WHERE gold IS NOT NULL")}

    def count_gold(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM comparisons WHERE gold IS NOT NULL").fetchone()[0]

    def model_margins(self, model_id: int) -> dict[int, Margin]:
        """comparison id -> the model's margin (and spread) for every scored comparison."""
        out: dict[int, Margin] = {}
        for cid, sa, sb, da, db_ in self.db.execute(
                "SELECT comparison_id, score_a, score_b, std_a, std_b FROM scores "
                "WHERE model_id = ?", [model_id]):
            std = None if da is None and db_ is None else ((da or 0.0) ** 2 + (db_ or 0.0) ** 2) ** 0.5
            out[cid] = Margin(cid, sa - sb, std)
        return out

    def count_scores(self, model_id: int) -> int:
        return self.db.execute("SELECT COUNT(*) FROM scores WHERE model_id = ?",
                               [model_id]).fetchone()[0]

    def unscored_open_comparisons(self, model_id: int, *, overlap: int | None = 1,
                                  after_id: int = 0, limit: int = 256) -> list[Comparison]:
        """Comparisons still open (fewer than `overlap` live, non-skip judges; with
        None, every comparison) that `model_id` has not scored yet, by id from
        `after_id`; the scoring job pages through these."""
        rows = self.db.query(
            f"SELECT c.* FROM comparisons c WHERE c.id > :after AND {_UNSCORED}"
            f"{_OPEN if overlap is not None else ''} ORDER BY c.id LIMIT :limit",
            {"after": after_id, "m": model_id, "overlap": overlap, "limit": limit})
        return [_rows.comparison(r) for r in rows]

    def count_unscored_open(self, model_id: int, *, overlap: int | None = 1) -> int:
        return self.db.execute(
            f"SELECT COUNT(*) FROM comparisons c WHERE {_UNSCORED}"
            f"{_OPEN if overlap is not None else ''}",
            {"m": model_id, "overlap": overlap}).fetchone()[0]

    def add_annotations_bulk(self, items: list[NewAnnotation]) -> int:
        """Record many judgements in ONE transaction (simulations, bulk imports)."""
        rows = []
        for a in items:
            check_judgement(a)
            rows.append((a.comparison_id, a.annotator, a.choice, int(a.shown_swapped),
                         a.duration_ms, a.rationale, a.session_id, a.strength))
        with self.transaction():
            self.db.conn.executemany(
                "INSERT INTO annotations (comparison_id, annotator, choice, shown_swapped, "
                "duration_ms, rationale, session_id, strength) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows)
        return len(rows)
