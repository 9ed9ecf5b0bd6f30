"""Aggregate counts for `duelist stats`: one GROUP BY each, cheap on big stores."""

from __future__ import annotations


class StatsMixin:
    def annotator_choice_counts(self) -> dict[str, dict[str, int]]:
        """annotator -> {choice: live judgements}, annotators sorted by name."""
        out: dict[str, dict[str, int]] = {}
        for who, choice, n in self.db.execute(
                "SELECT annotator, choice, COUNT(*) FROM annotations WHERE undone = 0 "
                "GROUP BY annotator, choice ORDER BY annotator, choice"):
            out.setdefault(who, {})[choice] = n
        return out

    def count_undone(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM annotations WHERE undone = 1").fetchone()[0]

    def run_status_counts(self) -> dict[str, int]:
        return {s: n for s, n in self.db.execute(
            "SELECT status, COUNT(*) FROM runs GROUP BY status ORDER BY status")}

    def count_models(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM models").fetchone()[0]

    def source_counts(self) -> dict[str, int]:
        """Comparisons per import source (file name; '' for ones made in the app)."""
        return {s: n for s, n in self.db.execute(
            "SELECT source, COUNT(*) FROM comparisons GROUP BY source ORDER BY source")}
