"""Model scores for stored comparisons (feeds the uncertainty-first queue)."""

from __future__ import annotations

from collections.abc import Iterable

from duelist.store.connection import write_transaction
from duelist.store.records import Score


class ScoresMixin:
    def put_scores(self, scores: Iterable[Score]) -> int:
        rows = [(s.model_id, s.comparison_id, s.score_a, s.score_b, s.std_a, s.std_b) for s in scores]
        with write_transaction(self.db, self.path):
            self.db.conn.executemany(
                "INSERT OR REPLACE INTO scores (model_id, comparison_id, score_a, score_b, std_a, std_b) "
                "VALUES (?, ?, ?, ?, ?, ?)", rows)
        return len(rows)

    def scores_for_model(self, model_id: int) -> list[Score]:
        return [Score(*r) for r in self.db.execute(
            "SELECT model_id, comparison_id, score_a, score_b, std_a, std_b FROM scores "
            "WHERE model_id = ? ORDER BY comparison_id", [model_id])]
