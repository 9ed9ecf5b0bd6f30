"""Annotations: judgements are appended, committed at once, and never deleted.

Undo flips `undone` on the old row, so the history of what an annotator did, and
undid, stays auditable.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from duelist.store import _rows
from duelist.store.connection import write_transaction
from duelist.store.records import CHOICES, STRENGTHS, Annotation, Comparison, NewAnnotation


def check_judgement(a: NewAnnotation) -> None:
    """One clear ValueError for a choice or strength the schema would refuse."""
    if a.choice not in CHOICES:
        raise ValueError(f"choice must be one of {', '.join(CHOICES)}, not {a.choice!r}")
    if a.strength is not None:
        if a.strength not in STRENGTHS:
            raise ValueError(f"strength must be 1, 2 or 3, not {a.strength!r}")
        if a.choice not in ("a", "b"):
            raise ValueError(f"only an A or B judgement has a strength, not {a.choice!r}")


class AnnotationsMixin:
    def add_annotation(self, a: NewAnnotation) -> Annotation:
        """Record a judgement durably (synchronous=FULL commit) and return it."""
        check_judgement(a)
        with write_transaction(self.db, self.path):
            cur = self.db.conn.execute(
                "INSERT INTO annotations (comparison_id, annotator, choice, shown_swapped, "
                "duration_ms, rationale, session_id, strength) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (a.comparison_id, a.annotator, a.choice, int(a.shown_swapped), a.duration_ms,
                 a.rationale, a.session_id, a.strength),
            )
            new_id = cur.lastrowid
        return self.get_annotation(new_id)  # type: ignore[return-value]

    def get_annotation(self, annotation_id: int) -> Annotation | None:
        rows = list(self.db.query("SELECT * FROM annotations WHERE id = ?", [annotation_id]))
        return _rows.annotation(rows[0]) if rows else None

    def undo_annotation(self, annotation_id: int) -> Annotation | None:
        """Mark one judgement undone. Returns it, or None if it was already undone."""
        with write_transaction(self.db, self.path):
            cur = self.db.conn.execute(
                "UPDATE annotations SET undone = 1, undone_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') "
                "WHERE id = ? AND undone = 0", (annotation_id,))
            changed = cur.rowcount
        return self.get_annotation(annotation_id) if changed else None

    def set_rationale(self, annotation_id: int, rationale: str) -> None:
        with write_transaction(self.db, self.path):
            self.db.conn.execute("UPDATE annotations SET rationale = ? WHERE id = ?",
                                 (rationale, annotation_id))

    def annotations_for(self, *, annotator: str | None = None, comparison_id: int | None = None,
                        include_undone: bool = False) -> list[Annotation]:
        where, params = [], []
        if annotator is not None:
            where.append("annotator = ?")
            params.append(annotator)
        if comparison_id is not None:
            where.append("comparison_id = ?")
            params.append(comparison_id)
        if not include_undone:
            where.append("undone = 0")
        sql = "SELECT * FROM annotations" + (" WHERE " + " AND ".join(where) if where else "")
        return [_rows.annotation(r) for r in self.db.query(sql + " ORDER BY id", params)]

    def iter_live_annotations(self) -> Iterator[Annotation]:
        """Every judgement that still counts (not undone), oldest first."""
        for row in self.db.query("SELECT * FROM annotations WHERE undone = 0 ORDER BY id"):
            yield _rows.annotation(row)

    def annotators(self) -> list[str]:
        return [r[0] for r in self.db.execute(
            "SELECT DISTINCT annotator FROM annotations WHERE undone = 0 ORDER BY annotator")]

    def count_done(self, annotator: str | None = None) -> int:
        """Comparisons with a live judgement (by this annotator, or by anyone)."""
        if annotator is None:
            sql, params = "SELECT COUNT(DISTINCT comparison_id) FROM annotations WHERE undone = 0", []
        else:
            sql = ("SELECT COUNT(DISTINCT comparison_id) FROM annotations "
                   "WHERE undone = 0 AND annotator = ?")
            params = [annotator]
        return self.db.execute(sql, params).fetchone()[0]

    def next_for_annotator(self, annotator: str, *, order: str = "sequential", seed: int = 0,
                           exclude: set[int] | frozenset[int] = frozenset(),
                           after_id: int = 0) -> Comparison | None:
        """The next comparison this annotator has not judged (live), or None.

        `sequential` walks ids upward from `after_id`; `random` picks a seeded
        random unjudged id. Both use the (comparison_id, annotator, undone) index,
        so the cost does not grow with the size of the store.
        """
        not_judged = ("NOT EXISTS (SELECT 1 FROM annotations a WHERE a.comparison_id = c.id "
                      "AND a.annotator = ? AND a.undone = 0)")
        if order == "random":
            hi = self.db.execute("SELECT MAX(id) FROM comparisons").fetchone()[0] or 0
            rng = random.Random(f"{seed}:{annotator}:{len(exclude)}:{after_id}")
            start = rng.randint(1, hi) if hi else 0
            for lo_op, hi_ok in ((">=", start), ("<", start)):
                row = self._first_unjudged(f"c.id {lo_op} ?", hi_ok, annotator, not_judged, exclude)
                if row:
                    return row
            return None
        return self._first_unjudged("c.id > ?", after_id, annotator, not_judged, exclude) or (
            self._first_unjudged("c.id > ?", 0, annotator, not_judged, exclude) if after_id else None)

    def _first_unjudged(self, cond: str, value: int, annotator: str, not_judged: str,
                        exclude: set[int] | frozenset[int]) -> Comparison | None:
        skip = ""
        params: list = [value, annotator]
        if exclude:
            marks = ",".join("?" * len(exclude))
            skip = f" AND c.id NOT IN ({marks})"
            params.extend(sorted(exclude))
        rows = list(self.db.query(
            f"SELECT c.* FROM comparisons c WHERE {cond} AND {not_judged}{skip} ORDER BY c.id LIMIT 1",
            params))
        return _rows.comparison(rows[0]) if rows else None
