"""Queries behind review and adjudication, search and filter, and notes.

A lead reviews the comparisons where annotators disagree (or missed a gold
answer), reads every vote with its strength, note and time, and records one
adjudicated decision. Search narrows any list of comparisons by text,
annotator, status, gold and model uncertainty; all of it is SQL, so it lives here.
"""

from __future__ import annotations

from dataclasses import dataclass

from duelist.store.connection import write_transaction
from duelist.store.records import STRENGTHS, Adjudication

STATUSES = ("unjudged", "judged", "skipped", "disputed")
_VOTE_CHOICES = ("a", "b", "tie", "both_bad")

# Live, non-skip votes of one comparison `c` disagree.
_DISPUTED = ("(SELECT COUNT(DISTINCT a.choice) FROM annotations a WHERE a.comparison_id = c.id "
             "AND a.undone = 0 AND a.choice != 'skip') > 1")
_GOLD_MISSED = ("(c.gold IS NOT NULL AND EXISTS (SELECT 1 FROM annotations a WHERE "
                "a.comparison_id = c.id AND a.undone = 0 AND a.choice != 'skip' "
                "AND a.choice != c.gold))")
_STATUS_SQL = {
    "unjudged": ("NOT EXISTS (SELECT 1 FROM annotations a WHERE a.comparison_id = c.id "
                 "AND a.undone = 0)"),
    "judged": "c.judges > 0",
    "skipped": ("c.judges = 0 AND EXISTS (SELECT 1 FROM annotations a WHERE "
                "a.comparison_id = c.id AND a.undone = 0 AND a.choice = 'skip')"),
    "disputed": _DISPUTED,
}


@dataclass(frozen=True, slots=True)
class SearchFilter:
    """What a lead narrows a list of comparisons by; every field is optional.

    `text` matches the prompt or either response (case-insensitive for ASCII);
    `gold` True keeps only gold items, False only items without one;
    `uncertain_below` keeps items the model `model_id` scored with
    |score_a - score_b| below it (the ones the model cannot tell apart).
    """

    text: str = ""
    annotator: str | None = None
    status: str | None = None
    gold: bool | None = None
    model_id: int | None = None
    uncertain_below: float | None = None

    def is_empty(self) -> bool:
        return not self.text and self.annotator is None and self.status is None \
            and self.gold is None and self.uncertain_below is None


@dataclass(frozen=True, slots=True)
class Note:
    """One rationale note as `stats` and the review screen show it."""

    annotation_id: int
    comparison_id: int
    annotator: str
    choice: str
    note: str
    created_at: str


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def filter_sql(f: SearchFilter) -> tuple[str, list]:
    """`f` as a WHERE condition over `comparisons c`, with its parameters."""
    where: list[str] = []
    params: list = []
    if f.text:
        like = _like(f.text)
        where.append("(c.prompt LIKE ? ESCAPE '\\' OR c.response_a LIKE ? ESCAPE '\\' "
                     "OR c.response_b LIKE ? ESCAPE '\\')")
        params += [like, like, like]
    if f.annotator is not None:
        where.append("EXISTS (SELECT 1 FROM annotations a WHERE a.comparison_id = c.id "
                     "AND a.undone = 0 AND a.annotator = ?)")
        params.append(f.annotator)
    if f.status is not None:
        if f.status not in _STATUS_SQL:
            raise ValueError(f"unknown status {f.status!r} (use {', '.join(STATUSES)})")
        where.append(_STATUS_SQL[f.status])
    if f.gold is not None:
        where.append("c.gold IS NOT NULL" if f.gold else "c.gold IS NULL")
    if f.uncertain_below is not None:
        if f.model_id is None:
            raise ValueError("filtering by model uncertainty needs a scored model")
        where.append("EXISTS (SELECT 1 FROM scores s WHERE s.comparison_id = c.id "
                     "AND s.model_id = ? AND abs(s.score_a - s.score_b) < ?)")
        params += [f.model_id, float(f.uncertain_below)]
    return (" AND ".join(where) or "1"), params


class ReviewMixin:
    # ---- search ----------------------------------------------------------------
    def search_comparison_ids(self, f: SearchFilter, *, limit: int | None = None) -> list[int]:
        """Ids of comparisons matching `f`, ascending."""
        cond, params = filter_sql(f)
        sql = f"SELECT c.id FROM comparisons c WHERE {cond} ORDER BY c.id"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [r[0] for r in self.db.execute(sql, params)]

    # ---- review ----------------------------------------------------------------
    def review_comparison_ids(self, f: SearchFilter | None = None) -> list[int]:
        """Comparisons a lead should look at: live votes disagree, or a vote missed
        the gold answer. Narrowed by `f` when given."""
        cond, params = filter_sql(f or SearchFilter())
        return [r[0] for r in self.db.execute(
            f"SELECT c.id FROM comparisons c WHERE c.judges > 0 AND ({_DISPUTED} OR "
            f"{_GOLD_MISSED}) AND {cond} ORDER BY c.id", params)]

    # ---- adjudication ---------------------------------------------------------
    def add_adjudication(self, comparison_id: int, adjudicator: str, choice: str,
                         strength: int | None = None, note: str | None = None) -> Adjudication:
        """Record a lead's decision (stored orientation); the newest live one counts."""
        if choice not in _VOTE_CHOICES:
            raise ValueError(f"an adjudication is one of {', '.join(_VOTE_CHOICES)}, not {choice!r}")
        if strength is not None and (strength not in STRENGTHS or choice not in ("a", "b")):
            raise ValueError("strength must be 1, 2 or 3, and only with an A or B decision")
        with write_transaction(self.db, self.path):
            cur = self.db.conn.execute(
                "INSERT INTO adjudications (comparison_id, adjudicator, choice, strength, note) "
                "VALUES (?, ?, ?, ?, ?)", (comparison_id, adjudicator, choice, strength, note))
            new_id = cur.lastrowid
        return self._adjudication_rows("WHERE id = ?", [new_id])[0]

    def undo_adjudication(self, adjudication_id: int) -> bool:
        with write_transaction(self.db, self.path):
            cur = self.db.conn.execute(
                "UPDATE adjudications SET undone = 1 WHERE id = ? AND undone = 0",
                (adjudication_id,))
            return cur.rowcount > 0

    def latest_adjudications(self) -> dict[int, Adjudication]:
        """comparison id -> its newest live adjudication."""
        out: dict[int, Adjudication] = {}
        for adj in self._adjudication_rows("WHERE undone = 0", []):  # oldest first
            out[adj.comparison_id] = adj
        return out

    def adjudication_for(self, comparison_id: int) -> Adjudication | None:
        rows = self._adjudication_rows("WHERE undone = 0 AND comparison_id = ?", [comparison_id])
        return rows[-1] if rows else None

    def _adjudication_rows(self, where: str, params: list) -> list[Adjudication]:
        return [Adjudication(*r) for r in self.db.execute(
            "SELECT id, comparison_id, adjudicator, choice, strength, note, created_at "
            f"FROM adjudications {where} ORDER BY id", params)]

    # ---- notes and strength ---------------------------------------------------
    def count_notes(self) -> int:
        return self.db.execute(
            "SELECT COUNT(*) FROM annotations WHERE undone = 0 AND rationale IS NOT NULL "
            "AND rationale != ''").fetchone()[0]

    def recent_notes(self, limit: int = 5) -> list[Note]:
        """The newest live rationale notes, newest first."""
        return [Note(*r) for r in self.db.execute(
            "SELECT id, comparison_id, annotator, choice, rationale, created_at FROM annotations "
            "WHERE undone = 0 AND rationale IS NOT NULL AND rationale != '' "
            "ORDER BY id DESC LIMIT ?", [int(limit)])]

    def strength_counts(self) -> dict[str, dict[int, int]]:
        """annotator -> {strength: live A/B judgements with it}; 0 counts ungraded ones."""
        out: dict[str, dict[int, int]] = {}
        for who, strength, n in self.db.execute(
                "SELECT annotator, coalesce(strength, 0), COUNT(*) FROM annotations "
                "WHERE undone = 0 AND choice IN ('a', 'b') GROUP BY 1, 2 ORDER BY 1, 2"):
            out.setdefault(who, {})[strength] = n
        return out


@dataclass(frozen=True, slots=True)
class RepeatPair:
    """An annotator's original judgement and their repeat of it (stored orientation)."""

    annotator: str
    comparison_id: int
    original: str
    repeat: str


class RepeatsMixin:
    """Self-consistency repeats (`--repeat-rate`): a table apart from `annotations`."""

    def add_repeat(self, original_id: int, choice: str, shown_swapped: bool,
                   duration_ms: int | None = None, session_id: str | None = None) -> int:
        """Record a repeat judgement of annotation `original_id`; returns its id."""
        with write_transaction(self.db, self.path):
            cur = self.db.conn.execute(
                "INSERT INTO repeats (original_id, comparison_id, annotator, choice, "
                "shown_swapped, duration_ms, session_id) SELECT id, comparison_id, annotator, "
                "?, ?, ?, ? FROM annotations WHERE id = ?",
                (choice, int(shown_swapped), duration_ms, session_id, original_id))
            if not cur.rowcount:
                raise ValueError(f"no judgement {original_id} to repeat")
            return int(cur.lastrowid)

    def repeat_candidate(self, annotator: str, exclude: set[int] | frozenset[int] = frozenset()
                         ) -> tuple[int, int, bool] | None:
        """(annotation id, comparison id, shown_swapped) of this annotator's oldest live,
        non-skip judgement that was never repeated, outside `exclude` (comparison ids)."""
        skip = ""
        params: list = [annotator]
        if exclude:
            skip = f" AND a.comparison_id NOT IN ({','.join('?' * len(exclude))})"
            params += sorted(exclude)
        row = self.db.execute(
            "SELECT a.id, a.comparison_id, a.shown_swapped FROM annotations a "
            "WHERE a.annotator = ? AND a.undone = 0 AND a.choice != 'skip' "
            f"AND NOT EXISTS (SELECT 1 FROM repeats r WHERE r.original_id = a.id){skip} "
            "ORDER BY a.id LIMIT 1", params).fetchone()
        return (row[0], row[1], bool(row[2])) if row else None

    def repeat_pairs(self) -> list[RepeatPair]:
        """Each annotator's latest non-skip repeat of a still-live, non-skip judgement."""
        latest: dict[int, RepeatPair] = {}
        for original_id, who, cid, first, again in self.db.execute(
                "SELECT r.original_id, r.annotator, r.comparison_id, a.choice, r.choice "
                "FROM repeats r JOIN annotations a ON a.id = r.original_id "
                "WHERE a.undone = 0 AND a.choice != 'skip' AND r.choice != 'skip' ORDER BY r.id"):
            latest[original_id] = RepeatPair(who, cid, first, again)
        return list(latest.values())
