"""Bulk import: comparisons plus the judgements a file already carries, in ONE
transaction, so a bad row anywhere rolls the whole import back.

Why not `place_comparison` per row: it costs a SELECT per row. Here comparisons
go in with `executemany` in big batches and each batch's judgements follow with
one INSERT ... SELECT that finds the stored id by hash, flips the choice when the
store keeps the pair the other way round, and skips comparisons that already
hold a judgement from the same annotator (so re-importing a file adds nothing).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from duelist.store import _rows
from duelist.store.connection import write_transaction
from duelist.store.records import NewComparison, content_hash

_INSERT_COMPARISON = (
    "INSERT OR IGNORE INTO comparisons "
    "(hash, prompt, response_a, response_b, prompt_messages, source, gold, meta) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_JUDGEMENT = (
    "INSERT INTO annotations (comparison_id, annotator, choice, strength) "
    "SELECT c.id, ?, CASE WHEN c.response_a = ? THEN ? ELSE ? END, ? FROM comparisons c "
    "WHERE c.hash = ? AND NOT EXISTS (SELECT 1 FROM annotations x "
    "WHERE x.comparison_id = c.id AND x.annotator = ?)"
)
# A re-import that now knows an item's gold answer teaches it to the stored twin (in
# the stored orientation); a gold answer already stored is never overwritten.
_LEARN_GOLD = (
    "UPDATE comparisons SET gold = CASE WHEN response_a = ? THEN ? ELSE ? END "
    "WHERE hash = ? AND gold IS NULL"
)
IMPORT_CACHE_KIB = 64 * 1024
BATCH_ROWS = 10_000
_FLIP = {"a": "b", "b": "a", "tie": "tie", "both_bad": "both_bad", "skip": "skip"}


@dataclass(slots=True)
class ImportRow:
    """A comparison to import; `choice`/`annotator` set when the file judged it
    (choice in this row's orientation: 'a' means `response_a` won).

    Flat and not frozen, unlike NewComparison: a million of these are built per
    big import, and a frozen dataclass's __init__ costs several times more.
    """

    prompt: str
    response_a: str
    response_b: str
    source: str = ""
    prompt_messages: list[dict[str, str]] | None = None
    gold: str | None = None
    choice: str | None = None
    annotator: str | None = None
    meta: dict | None = None
    strength: int | None = None  # 1-3 with an a/b choice (a file's margin or strength column)

    @classmethod
    def of(cls, c: NewComparison, choice: str | None = None,
           annotator: str | None = None) -> ImportRow:
        return cls(c.prompt, c.response_a, c.response_b, c.source, c.prompt_messages, c.gold,
                   choice, annotator, c.meta)


@dataclass(frozen=True, slots=True)
class ImportResult:
    rows: int  # comparisons offered (duplicates within the input included)
    added: int  # new comparisons stored
    judgements: int  # new judgements stored
    golds_learned: int = 0  # stored comparisons without gold that got the file's answer


@dataclass(slots=True)
class PreparedBatch:
    """Rows turned into SQL parameters, hashes included. Plain lists of tuples:
    cheap to pickle, so a reader process can prepare them while this one writes."""

    comparisons: list[tuple] = field(default_factory=list)
    judgements: list[tuple] = field(default_factory=list)
    golds: list[tuple] = field(default_factory=list)


def prepare(rows: Iterable[ImportRow]) -> PreparedBatch:
    """Hash and serialise rows for `import_batches` (no database access)."""
    out = PreparedBatch()
    comps, judgements = out.comparisons, out.judgements
    dumps = _rows.dumps
    for r in rows:
        h = content_hash(r.prompt, r.response_a, r.response_b)
        comps.append((h, r.prompt, r.response_a, r.response_b,
                      None if r.prompt_messages is None else dumps(r.prompt_messages),
                      r.source, r.gold, None if r.meta is None else dumps(r.meta)))
        if r.gold is not None:
            out.golds.append((r.response_a, r.gold, _FLIP[r.gold], h))
        if r.choice is not None and r.annotator:
            strength = r.strength if r.choice in ("a", "b") else None
            judgements.append((r.annotator, r.response_a, r.choice, _FLIP[r.choice], strength,
                               h, r.annotator))
    return out


def batched(rows: Iterable[ImportRow], size: int = BATCH_ROWS) -> Iterator[PreparedBatch]:
    chunk: list[ImportRow] = []
    for r in rows:
        chunk.append(r)
        if len(chunk) >= size:
            yield prepare(chunk)
            chunk = []
    if chunk:
        yield prepare(chunk)


class BulkImportMixin:
    def import_rows(self, rows: Iterable[ImportRow], *, batch: int = BATCH_ROWS) -> ImportResult:
        """Store comparisons and their judgements all-or-nothing.

        `rows` may be a generator that raises (a bad row in a file): the
        transaction rolls back and the store is exactly as before.
        """
        return self.import_batches(batched(rows, batch))

    def import_batches(self, batches: Iterable[PreparedBatch]) -> ImportResult:
        """`import_rows` for rows already prepared (possibly by another process)."""
        conn = self.db.conn
        old_cache = conn.execute("PRAGMA cache_size").fetchone()[0]
        # A big page cache keeps the hash index's hot pages in memory: random
        # content hashes touch the whole index, and re-reading pages from the OS
        # was a third of the insert cost at 100k rows. 64 MB fits the RSS budget.
        conn.execute(f"PRAGMA cache_size={-IMPORT_CACHE_KIB}")
        try:
            return self._import_batches(batches)
        finally:
            conn.execute(f"PRAGMA cache_size={int(old_cache)}")

    def _import_batches(self, batches: Iterable[PreparedBatch]) -> ImportResult:
        seen = added = judged = learned = 0
        with write_transaction(self.db, self.path):
            cur = self.db.conn.cursor()
            for b in batches:
                seen += len(b.comparisons)
                if b.comparisons:
                    cur.executemany(_INSERT_COMPARISON, b.comparisons)
                    added += cur.rowcount
                if b.golds:  # after the inserts: only twins stored before lack it now
                    cur.executemany(_LEARN_GOLD, b.golds)
                    learned += cur.rowcount
                if b.judgements:
                    cur.executemany(_INSERT_JUDGEMENT, b.judgements)
                    judged += cur.rowcount
        return ImportResult(rows=seen, added=added, judgements=judged, golds_learned=learned)
