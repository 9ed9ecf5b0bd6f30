"""Assignment: which comparison an annotator sees next, safe across processes.

Several annotators (separate processes, or SSH sessions on one machine) share
one database. Each `claim_next` runs in ONE `BEGIN IMMEDIATE` transaction: it
drops stale leases, picks a candidate and records a lease in `claims`, so two
processes can never pick the same free slot. A comparison counts as done when
`overlap` different annotators have a live, non-skip judgement on it; live
leases by other annotators count against that quota, so with overlap 1 two
annotators never get the same item. A lease expires (`lease_s`), so the items
of an annotator whose terminal died come back to the pool on their own.

Gold items (known answer) are kept out of the ordinary pool and mixed in at
`gold_rate`; every annotator gets each gold item (the overlap quota does not
apply), because their point is to measure each annotator.

Orders: `sequential` (by id), `random` (a seeded permutation, so annotators do
not all queue on the same ids), `uncertainty` (smallest |score_a - score_b| of
the given model first) and `disagreement` (largest ensemble spread first);
comparisons the model has not scored yet come after the scored ones.
"""

from __future__ import annotations

import random
import time

from . import _rows
from .records import Comparison

ORDERS = ("sequential", "random", "uncertainty", "disagreement")
DEFAULT_LEASE_S = 900.0

_JUDGED_BY_ME = ("EXISTS (SELECT 1 FROM annotations a WHERE a.comparison_id = c.id "
                 "AND a.annotator = :me AND a.undone = 0)")
_TAKEN = ("(SELECT COUNT(DISTINCT a.annotator) FROM annotations a WHERE a.comparison_id = c.id "
          "AND a.undone = 0 AND a.choice != 'skip') + "
          "(SELECT COUNT(*) FROM claims k WHERE k.comparison_id = c.id AND k.annotator != :me)")
_STALE = ("DELETE FROM claims WHERE expires_at < :now OR EXISTS (SELECT 1 FROM annotations a "
          "WHERE a.comparison_id = claims.comparison_id AND a.annotator = claims.annotator "
          "AND a.undone = 0)")


def _order_sql(order: str) -> tuple[str, str]:
    """(extra JOIN, ORDER BY) for an order name."""
    if order == "sequential":
        return "", "c.id"
    if order == "random":
        # Knuth multiplicative hash of the id, salted: a cheap seeded permutation.
        return "", "((c.id + :salt) * 2654435761) % 4294967291, c.id"
    scored = ("LEFT JOIN scores s ON s.comparison_id = c.id AND s.model_id = :model_id")
    if order == "uncertainty":
        return scored, "(s.comparison_id IS NULL), ABS(s.score_a - s.score_b), c.id"
    if order == "disagreement":
        return scored, ("(s.comparison_id IS NULL), "
                        "-(COALESCE(s.std_a, 0) * COALESCE(s.std_a, 0) "
                        "+ COALESCE(s.std_b, 0) * COALESCE(s.std_b, 0)), "
                        "ABS(s.score_a - s.score_b), c.id")
    raise ValueError(f"unknown order {order!r}; choose one of {', '.join(ORDERS)}")


class ClaimsMixin:
    def _candidate(self, *, gold: bool, overlap: int | None, order: str, params: dict,
                   exclude: frozenset[int]) -> Comparison | None:
        join, order_by = _order_sql(order)
        where = [f"NOT {_JUDGED_BY_ME}",
                 "c.gold IS NOT NULL" if gold else "c.gold IS NULL"]
        if not gold and overlap is not None:
            where.append(f"({_TAKEN}) < :overlap")
        if exclude:
            where.append(f"c.id NOT IN ({','.join(str(int(i)) for i in sorted(exclude))})")
        sql = (f"SELECT c.* FROM comparisons c {join} WHERE {' AND '.join(where)} "
               f"ORDER BY {order_by} LIMIT 1")
        rows = list(self.db.query(sql, {**params, "overlap": overlap}))
        return _rows.comparison(rows[0]) if rows else None

    def claim_next(self, annotator: str, *, overlap: int | None = 1, order: str = "sequential",
                   gold_rate: float = 0.0, lease_s: float = DEFAULT_LEASE_S, seed: int = 0,
                   model_id: int | None = None,
                   exclude: set[int] | frozenset[int] = frozenset(),
                   now: float | None = None) -> Comparison | None:
        """Atomically pick and lease the next comparison for `annotator`, or None.

        An unexpired lease this annotator already holds on an item they have not
        judged comes back first (a restarted session resumes where it was); leases
        on `exclude`d items (passed over) are given back, and the rest are renewed.
        `overlap=None` means no quota: every annotator may judge every item, and
        leases only keep one person's queue stable.
        """
        if overlap is not None and overlap < 1:
            raise ValueError(f"overlap must be at least 1, got {overlap}")
        if order in ("uncertainty", "disagreement") and model_id is None:
            order = "sequential"
        now = time.time() if now is None else now
        exclude = frozenset(exclude)
        with self.transaction():
            conn = self.db.conn
            conn.execute(_STALE, {"now": now})
            if exclude:
                conn.execute(f"DELETE FROM claims WHERE annotator = ? AND comparison_id IN "
                             f"({','.join(str(int(i)) for i in sorted(exclude))})", (annotator,))
            conn.execute("UPDATE claims SET expires_at = ? WHERE annotator = ?",
                         (now + lease_s, annotator))
            params = {"me": annotator, "model_id": model_id, "salt": seed % 1_000_003 + 1}
            mine = [r[0] for r in conn.execute(
                "SELECT comparison_id FROM claims WHERE annotator = ? ORDER BY claimed_at, "
                "comparison_id", (annotator,))]
            pick = None
            for cid in mine:
                if cid not in exclude:
                    pick = self.get_comparison(cid)
                    break
            if pick is None:
                n_done = conn.execute("SELECT COUNT(*) FROM annotations WHERE annotator = ?",
                                      (annotator,)).fetchone()[0]
                rng = random.Random(f"{seed}:{annotator}:{n_done}:{len(exclude)}")
                want_gold = gold_rate > 0 and rng.random() < gold_rate
                for gold in (want_gold, not want_gold):
                    pick = self._candidate(gold=gold, overlap=overlap, order=order,
                                           params=params, exclude=exclude)
                    if pick is not None:
                        break
            if pick is not None:
                conn.execute(
                    "INSERT OR REPLACE INTO claims (comparison_id, annotator, claimed_at, "
                    "expires_at) VALUES (?, ?, ?, ?)", (pick.id, annotator, now, now + lease_s))
        return pick

    def release_claim(self, comparison_id: int, annotator: str) -> None:
        """Give an item back at once (the annotator skipped it, or quit)."""
        with self.transaction():
            self.db.conn.execute("DELETE FROM claims WHERE comparison_id = ? AND annotator = ?",
                                 (comparison_id, annotator))

    def release_claims(self, annotator: str) -> int:
        """Give back every lease an annotator holds (clean exit); returns how many."""
        with self.transaction():
            return self.db.conn.execute("DELETE FROM claims WHERE annotator = ?",
                                        (annotator,)).rowcount

    def active_claims(self, now: float | None = None) -> list[tuple[int, str, float]]:
        """Live leases as (comparison_id, annotator, expires_at)."""
        now = time.time() if now is None else now
        return [(r[0], r[1], r[2]) for r in self.db.execute(
            "SELECT comparison_id, annotator, expires_at FROM claims WHERE expires_at >= ? "
            "ORDER BY comparison_id, annotator", [now])]

    def count_remaining(self, annotator: str, *, overlap: int = 1) -> int:
        """Ordinary items this annotator could still get (for a progress display)."""
        sql = (f"SELECT COUNT(*) FROM comparisons c WHERE c.gold IS NULL AND NOT {_JUDGED_BY_ME} "
               "AND (SELECT COUNT(DISTINCT a.annotator) FROM annotations a "
               "WHERE a.comparison_id = c.id AND a.undone = 0 AND a.choice != 'skip') < :overlap")
        return self.db.execute(sql, {"me": annotator, "overlap": overlap}).fetchone()[0]

    def next_unjudged_by_uncertainty(self, annotator: str, model_id: int, *,
                                     mode: str = "uncertainty",
                                     exclude: set[int] | frozenset[int] = frozenset()
                                     ) -> Comparison | None:
        """The most uncertain comparison (for `model_id`) this annotator has not judged.

        A read-only query for a single annotator working alone; `claim_next`
        with `order="uncertainty"` is the same ordering with leases.
        """
        join, order_by = _order_sql(mode)
        where = f"NOT {_JUDGED_BY_ME}"
        if exclude:
            where += f" AND c.id NOT IN ({','.join(str(int(i)) for i in sorted(exclude))})"
        rows = list(self.db.query(
            f"SELECT c.* FROM comparisons c {join} WHERE {where} ORDER BY {order_by} LIMIT 1",
            {"me": annotator, "model_id": model_id}))
        return _rows.comparison(rows[0]) if rows else None
