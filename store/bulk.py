"""Bulk import: comparisons plus the judgements a file already carries, in ONE
transaction, so a bad row anywhere rolls the whole import back.

Why not `place_comparison` per row: it costs a SELECT per row. Here comparisons
go in with `executemany` in big batches and each batch's judgements follow with
one INSERT ... SELECT that finds the stored id by hash, flips the choice when the
store keeps the pair the other way round, and skips comparisons that already
hold a judgement from the same annotator (so re-importing a file adds nothing).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from . import _rows
from .connection import write_transaction
from .records import NewComparison

_INSERT_COMPARISON = (
    "INSERT OR IGNORE INTO comparisons "
    "(hash, prompt, response_a, response_b, prompt_messages, source, gold, meta) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_JUDGEMENT = (
    "INSERT INTO annotations (comparison_id, annotator, choice) "
    "SELECT c.id, ?, CASE WHEN c.response_a = ? THEN ? ELSE ? END FROM comparisons c "
    "WHERE c.hash = ? AND NOT EXISTS (SELECT 1 FROM annotations x "
    "WHERE x.comparison_id = c.id AND x.annotator = ?)"
)
_FLIP = {"a": "b", "b": "a", "tie": "tie", "both_bad": "both_bad", "skip": "skip"}


@dataclass(frozen=True, slots=True)
class ImportRow:
    """A comparison to import; `choice`/`annotator` set when the file judged it
    (choice in this row's orientation: 'a' means `comparison.response_a` won)."""

    comparison: NewComparison
    choice: str | None = None
    annotator: str | None = None


@dataclass(frozen=True, slots=True)
class ImportResult:
    rows: int  # comparisons offered (duplicates within the input included)
    added: int  # new comparisons stored
    judgements: int  # new judgements stored


class BulkImportMixin:
    def import_rows(self, rows: Iterable[ImportRow], *, batch: int = 10_000) -> ImportResult:
        """Store comparisons and their judgements all-or-nothing.

        `rows` may be a generator that raises (a bad row in a file): the
        transaction rolls back and the store is exactly as before.
        """
        seen = added = judged = 0
        with write_transaction(self.db, self.path):
            cur = self.db.conn.cursor()
            comps: list[tuple] = []
            judgements: list[tuple] = []
            for r in rows:
                c = r.comparison
                h = c.hash
                comps.append((h, c.prompt, c.response_a, c.response_b,
                              _rows.dumps(c.prompt_messages), c.source, c.gold,
                              _rows.dumps(c.meta)))
                if r.choice is not None and r.annotator:
                    judgements.append((r.annotator, c.response_a, r.choice, _FLIP[r.choice], h,
                                       r.annotator))
                if len(comps) >= batch:
                    added, judged = self._flush(cur, comps, judgements, added, judged)
                    seen += len(comps)
                    comps, judgements = [], []
            seen += len(comps)
            added, judged = self._flush(cur, comps, judgements, added, judged)
        return ImportResult(rows=seen, added=added, judgements=judged)

    @staticmethod
    def _flush(cur, comps: list[tuple], judgements: list[tuple], added: int,
               judged: int) -> tuple[int, int]:
        if comps:
            cur.executemany(_INSERT_COMPARISON, comps)
            added += cur.rowcount
        if judgements:
            cur.executemany(_INSERT_JUDGEMENT, judgements)
            judged += cur.rowcount
        return added, judged
