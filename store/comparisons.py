"""Comparisons: deduplicated by content hash, inserted in bulk, read one by one."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from duelist.store import _rows
from duelist.store.connection import write_transaction
from duelist.store.records import Comparison, NewComparison

_INSERT = (
    "INSERT OR IGNORE INTO comparisons "
    "(hash, prompt, response_a, response_b, prompt_messages, source, gold, meta) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


@dataclass(frozen=True, slots=True)
class Placed:
    """Where a NewComparison ended up: its id, and whether the store keeps it
    flipped (the stored response_a is the incoming response_b)."""

    id: int
    flipped: bool
    added: bool


class ComparisonsMixin:
    def _rowify(self, c: NewComparison) -> tuple:
        return (c.hash, c.prompt, c.response_a, c.response_b, _rows.dumps(c.prompt_messages),
                c.source, c.gold, _rows.dumps(c.meta))

    def insert_comparisons(self, items: Iterable[NewComparison], *, batch: int = 5000) -> int:
        """Insert many comparisons in ONE transaction; return how many were new.

        The fast path for big imports: no ids come back. All-or-nothing, so a
        failure leaves the store as it was.
        """
        added = 0
        with write_transaction(self.db, self.path):
            cur = self.db.conn.cursor()
            chunk: list[tuple] = []
            for c in items:
                chunk.append(self._rowify(c))
                if len(chunk) >= batch:
                    cur.executemany(_INSERT, chunk)
                    added += cur.rowcount
                    chunk.clear()
            if chunk:
                cur.executemany(_INSERT, chunk)
                added += cur.rowcount
        return added

    def place_comparison(self, c: NewComparison) -> Placed:
        """Insert one comparison (or find its twin); must run inside a transaction
        opened by the caller through `Store.transaction()`."""
        conn = self.db.conn
        cur = conn.execute(_INSERT, self._rowify(c))
        added = cur.rowcount == 1
        row = conn.execute("SELECT id, response_a FROM comparisons WHERE hash = ?", (c.hash,)).fetchone()
        flipped = row[1] != c.response_a
        return Placed(id=row[0], flipped=flipped, added=added)

    def add_comparison(self, c: NewComparison) -> Placed:
        with self.transaction():
            return self.place_comparison(c)

    def get_comparison(self, comparison_id: int) -> Comparison | None:
        rows = list(self.db.query("SELECT * FROM comparisons WHERE id = ?", [comparison_id]))
        return _rows.comparison(rows[0]) if rows else None

    def get_comparisons(self, ids: list[int]) -> list[Comparison]:
        """Comparisons by id, in the order asked."""
        out: dict[int, Comparison] = {}
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            marks = ",".join("?" * len(part))
            for row in self.db.query(f"SELECT * FROM comparisons WHERE id IN ({marks})", part):
                out[row["id"]] = _rows.comparison(row)
        return [out[i] for i in ids if i in out]

    def count_comparisons(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM comparisons").fetchone()[0]

    def iter_comparisons(self, *, batch: int = 1000) -> Iterator[Comparison]:
        last = 0
        while True:
            rows = list(self.db.query(
                "SELECT * FROM comparisons WHERE id > ? ORDER BY id LIMIT ?", [last, batch]))
            if not rows:
                return
            for row in rows:
                yield _rows.comparison(row)
            last = rows[-1]["id"]

    def comparison_ids(self) -> list[int]:
        return [r[0] for r in self.db.execute("SELECT id FROM comparisons ORDER BY id")]

    def prompts(self, limit: int = 500) -> list[tuple[str, int]]:
        """Distinct prompts with how many comparisons each has (for pickers)."""
        return [(r[0], r[1]) for r in self.db.execute(
            "SELECT prompt, COUNT(*) FROM comparisons GROUP BY prompt ORDER BY MIN(id) LIMIT ?", [limit])]

    def responses_for_prompt(self, prompt: str) -> list[str]:
        """Every distinct response stored for a prompt, in first-seen order."""
        seen: dict[str, None] = {}
        for a, b in self.db.execute(
            "SELECT response_a, response_b FROM comparisons WHERE prompt = ? ORDER BY id", [prompt]):
            seen.setdefault(a, None)
            seen.setdefault(b, None)
        return list(seen)
