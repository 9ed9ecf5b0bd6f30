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

from duelist.store import _rows
from duelist.store.records import Comparison

ORDERS = ("sequential", "random", "uncertainty", "disagreement")
DEFAULT_LEASE_S = 900.0

_JUDGED_BY_ME = ("EXISTS (SELECT 1 FROM annotations a WHERE a.comparison_id = c.id "
                 "AND a.annotator = :me AND a.undone = 0)")
# `judges` (live, non-skip judgements) is kept by triggers (migration m002).
_LEASED = "(SELECT COUNT(*) FROM claims k WHERE k.comparison_id = c.id AND k.annotator != :me)"
_STALE = ("DELETE FROM claims WHERE expires_at < :now OR EXISTS (SELECT 1 FROM annotations a "
          "WHERE a.comparison_id = claims.comparison_id AND a.annotator = claims.annotator "
          "AND a.undone = 0)")
_MARGIN = "abs(s.score_a - s.score_b)"  # must match idx_scores_margin
_SPREAD = ("(coalesce(s.std_a, 0) * coalesce(s.std_a, 0) "
           "+ coalesce(s.std_b, 0) * coalesce(s.std_b, 0))")  # must match idx_scores_spread


def _open_where(*, gold: bool, overlap: int | None, exclude: frozenset[int]) -> list[str]:
    """Conditions for 'this annotator may take this comparison now'.

    The cheap column test on `judges` comes first, so done items are skipped
    without a subquery; with overlap 1 it is an equality the index can seek.
    """
    where = ["c.gold IS NOT NULL" if gold else "c.gold IS NULL"]
    if not gold and overlap is not None:
        where.append("c.judges = 0" if overlap == 1 else "c.judges < :overlap")
    where.append(f"NOT {_JUDGED_BY_ME}")
    if not gold and overlap is not None:
        where.append(f"c.judges + {_LEASED} < :overlap")
    if exclude:
        where.append(f"c.id NOT IN ({','.join(str(int(i)) for i in sorted(exclude))})")
    return where


class ClaimsMixin:
    def _first(self, sql: str, params: dict) -> Comparison | None:
        rows = list(self.db.query(sql, params))
        return _rows.comparison(rows[0]) if rows else None

    def _candidate(self, *, gold: bool, overlap: int | None, order: str, params: dict,
                   exclude: frozenset[int], start: int = 0) -> Comparison | None:
        """The first open comparison in `order`.

        sequential/random walk ids upward from `start` and wrap around once, so
        an annotator deep into a big store does not rescan what is behind them;
        uncertainty/disagreement read the model's scores already sorted (indexes
        on the score expressions) and fall back to id order for unscored items.
        """
        where = " AND ".join(_open_where(gold=gold, overlap=overlap, exclude=exclude))
        params = {**params, "overlap": overlap}
        if order in ("uncertainty", "disagreement") and params.get("model_id") is not None:
            key = _MARGIN if order == "uncertainty" else f"{_SPREAD} DESC"
            hit = self._first(
                f"SELECT c.* FROM scores s JOIN comparisons c ON c.id = s.comparison_id "
                f"WHERE s.model_id = :model_id AND {where} ORDER BY {key} LIMIT 1", params)
            if hit is not None:
                return hit
            start = 0
        elif order not in ORDERS:
            raise ValueError(f"unknown order {order!r}; choose one of {', '.join(ORDERS)}")
        for cond in ("c.id >= :start", "c.id < :start"):
            hit = self._first(f"SELECT c.* FROM comparisons c WHERE {cond} AND {where} "
                              f"ORDER BY c.id LIMIT 1", {**params, "start": start})
            if hit is not None or start <= 1:
                return hit
        return None

    def claim_next(self, annotator: str, *, overlap: int | None = 1, order: str = "sequential",
                   gold_rate: float = 0.0, lease_s: float = DEFAULT_LEASE_S, seed: int = 0,
                   model_id: int | None = None,
                   exclude: set[int] | frozenset[int] = frozenset(),
                   after_id: int = 0, now: float | None = None) -> Comparison | None:
        """Atomically pick and lease the next comparison for `annotator`, or None.

        An unexpired lease this annotator already holds on an item they have not
        judged comes back first (a restarted session resumes where it was); leases
        on `exclude`d items (passed over) are given back, and the rest are renewed.
        `overlap=None` means no quota: every annotator may judge every item, and
        leases only keep one person's queue stable. `after_id` (the last item
        shown) lets the sequential order continue from there instead of rescanning.
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
            params = {"me": annotator, "model_id": model_id}
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
                start = after_id + 1
                if order == "random":
                    top = conn.execute("SELECT MAX(id) FROM comparisons").fetchone()[0] or 0
                    start = rng.randint(1, top) if top else 0
                for gold in (want_gold, not want_gold):
                    pick = self._candidate(gold=gold, overlap=overlap, order=order,
                                           params=params, exclude=exclude, start=start)
                    if pick is not None:
                        break
            if pick is not None:
                conn.execute(
                    "INSERT OR REPLACE INTO claims (comparison_id, annotator, claimed_at, "
                    "expires_at) VALUES (?, ?, ?, ?)", (pick.id, annotator, now, now + lease_s))
        return pick

    def hold_item(self, comparison_id: int, annotator: str, *,
                  lease_s: float = DEFAULT_LEASE_S, now: float | None = None) -> None:
        """Lease a given item to an annotator (after an undo reopens it on their screen)."""
        now = time.time() if now is None else now
        with self.transaction():
            self.db.conn.execute(
                "INSERT OR REPLACE INTO claims (comparison_id, annotator, claimed_at, expires_at) "
                "VALUES (?, ?, ?, ?)", (comparison_id, annotator, now, now + lease_s))

    def renew_claims(self, annotator: str, *, lease_s: float = DEFAULT_LEASE_S,
                     now: float | None = None) -> int:
        """Extend an annotator's live leases (they are still reading); returns how many."""
        now = time.time() if now is None else now
        with self.transaction():
            return self.db.conn.execute(
                "UPDATE claims SET expires_at = ? WHERE annotator = ? AND expires_at >= ?",
                (now + lease_s, annotator, now)).rowcount

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
        sql = (f"SELECT COUNT(*) FROM comparisons c WHERE c.gold IS NULL AND c.judges < :overlap "
               f"AND NOT {_JUDGED_BY_ME}")
        return self.db.execute(sql, {"me": annotator, "overlap": overlap}).fetchone()[0]

    def next_unjudged_by_uncertainty(self, annotator: str, model_id: int, *,
                                     mode: str = "uncertainty",
                                     exclude: set[int] | frozenset[int] = frozenset()
                                     ) -> Comparison | None:
        """The most uncertain comparison (for `model_id`) this annotator has not judged.

        A read-only query for a single annotator working alone (no leases, no
        quota); `claim_next(order="uncertainty")` is the same ordering with leases.
        Items the model has not scored follow the scored ones, in id order.
        """
        if mode not in ("uncertainty", "disagreement"):
            raise ValueError(f"unknown mode {mode!r}; use uncertainty or disagreement")
        where = f"NOT {_JUDGED_BY_ME}"
        if exclude:
            where += f" AND c.id NOT IN ({','.join(str(int(i)) for i in sorted(exclude))})"
        key = _MARGIN if mode == "uncertainty" else f"{_SPREAD} DESC"
        params = {"me": annotator, "model_id": model_id}
        return self._first(
            f"SELECT c.* FROM scores s JOIN comparisons c ON c.id = s.comparison_id "
            f"WHERE s.model_id = :model_id AND {where} ORDER BY {key} LIMIT 1", params) or \
            self._first(f"SELECT c.* FROM comparisons c WHERE {where} AND NOT EXISTS "
                        f"(SELECT 1 FROM scores s WHERE s.model_id = :model_id "
                        f"AND s.comparison_id = c.id) ORDER BY c.id LIMIT 1", params)
