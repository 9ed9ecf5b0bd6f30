"""Team merge: unite the stores of annotators who worked apart.

Why it is safe to run again and again:
- comparisons are matched by their order-free content hash, so the same pair,
  imported flipped in another store, is still one comparison here;
- a judgement is identified by (comparison hash, annotator, created_at, choice
  in the target's orientation, shown_swapped); one already present is not added
  again, so a second merge of the same files adds nothing. If the source has
  since undone it, the undo is carried over (undo never deletes);
- a lead's adjudication likewise by (comparison hash, adjudicator, created_at,
  choice), and a self-consistency repeat by (the judgement it repeats, created_at):
  both travel with the judgements, so a merged project keeps its decisions and its
  self-agreement figures.

Imported annotators (`import_sources`, m007) travel too: an `import:<name>` annotator
stands for one file CONTENT. The same content in both stores stays one annotator
(the target's name); a different content under a name the target already uses is
renamed `import:<name>#<hash>` as `import` itself would, so two labellers' files of
one name never become one annotator by merging.

Orientation: when the target keeps a comparison flipped relative to a source,
the judgement's 'a'/'b' and its `shown_swapped` flag are flipped too, so both
the winner and which SIDE of the screen was picked stay true.

Everything happens in ONE transaction on the target: a failure leaves it as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from duelist.store import _rows
from duelist.store.connection import connect
from duelist.store.errors import StoreError
from duelist.store.records import NewComparison

_FLIP = {"a": "b", "b": "a"}

Progress = Callable[[str, int, int], None]  # (source path, done, total)


@dataclass
class MergeReport:
    sources: list[str] = field(default_factory=list)
    comparisons_seen: int = 0
    comparisons_added: int = 0
    flipped: int = 0
    annotations_seen: int = 0
    annotations_added: int = 0
    undos_carried: int = 0
    adjudications_added: int = 0
    repeats_added: int = 0
    # imported annotators renamed on the way in: (source name, name in the target)
    renamed: list[tuple[str, str]] = field(default_factory=list)


def flip_choice(choice: str | None) -> str | None:
    return _FLIP.get(choice, choice) if choice is not None else None


def merge_stores(target, sources: list[str | Path], progress: Progress | None = None) -> MergeReport:
    """Merge the source databases into `target` (an open Store)."""
    tpath = Path(target.path).resolve()
    for src in sources:
        if Path(src).resolve() == tpath:
            raise StoreError(f"{src}: is the merge target itself; choose another -o file")
    opened = []
    try:
        for src in sources:
            if not Path(src).exists():
                raise StoreError(f"{src}: no such database")
            opened.append((str(src), connect(src, readonly=True)))
        report = MergeReport(sources=[s for s, _ in opened])
        with target.transaction():
            conn = target.db.conn
            existing: dict[tuple, tuple[int, int]] = {}
            for row in conn.execute(
                    "SELECT c.hash, a.annotator, a.created_at, a.choice, a.shown_swapped, a.id, "
                    "a.undone FROM annotations a JOIN comparisons c ON c.id = a.comparison_id"):
                existing[tuple(row[:5])] = (row[5], row[6])
            for src, db in opened:
                _merge_one(target, src, db, existing, report, progress)
        return report
    finally:
        for _, db in opened:
            db.close()


def _merge_one(target, src: str, db, existing: dict, report: MergeReport,
               progress: Progress | None) -> None:
    conn = target.db.conn
    names = _merge_import_sources(conn, db, report)
    # An imported file's judgement is one fact whenever it was imported: the same
    # content imported into two projects differs only in created_at.
    imported = {tuple(r) for r in conn.execute(
        "SELECT c.hash, a.annotator, a.choice FROM annotations a "
        "JOIN comparisons c ON c.id = a.comparison_id "
        "JOIN import_sources s ON s.annotator = a.annotator")}
    registered = {r[0] for r in conn.execute("SELECT annotator FROM import_sources")}
    total = db.execute("SELECT COUNT(*) FROM comparisons").fetchone()[0]
    placed: dict[int, tuple[int, bool, str]] = {}
    for done, row in enumerate(db.query("SELECT * FROM comparisons ORDER BY id"), start=1):
        c = NewComparison(
            prompt=row["prompt"], response_a=row["response_a"], response_b=row["response_b"],
            source=row["source"] or "", prompt_messages=_rows.loads(row["prompt_messages"]),
            gold=row["gold"], meta=_rows.loads(row["meta"]))
        where = target.place_comparison(c)
        placed[row["id"]] = (where.id, where.flipped, c.hash)
        report.comparisons_seen += 1
        report.comparisons_added += where.added
        report.flipped += where.flipped
        if not where.added and c.gold is not None:
            # A twin without a known answer learns it; a conflicting answer is kept as is.
            gold = flip_choice(c.gold) if where.flipped else c.gold
            conn.execute("UPDATE comparisons SET gold = ? WHERE id = ? AND gold IS NULL",
                         (gold, where.id))
        if progress and (done % 200 == 0 or done == total):
            progress(src, done, total)
    if progress and total == 0:
        progress(src, 0, 0)
    target_ids: dict[int, int] = {}  # source judgement id -> target judgement id
    for row in db.query("SELECT * FROM annotations ORDER BY id"):
        report.annotations_seen += 1
        if row["comparison_id"] not in placed:
            raise StoreError(f"{src}: judgement {row['id']} refers to comparison "
                             f"{row['comparison_id']}, which is missing; nothing was merged")
        tid, flipped, h = placed[row["comparison_id"]]
        choice = flip_choice(row["choice"]) if flipped else row["choice"]
        swapped = int(bool(row["shown_swapped"]) != flipped)
        annotator = names.get(row["annotator"], row["annotator"])
        key = (h, annotator, row["created_at"], choice, swapped)
        if key not in existing and (h, annotator, choice) in imported:
            continue  # the same imported judgement, imported at another time
        if key in existing:
            ann_id, undone = existing[key]
            target_ids[row["id"]] = ann_id
            if row["undone"] and not undone:
                conn.execute("UPDATE annotations SET undone = 1, undone_at = ? WHERE id = ?",
                             (row["undone_at"], ann_id))
                existing[key] = (ann_id, 1)
                report.undos_carried += 1
            continue
        cur = conn.execute(
            "INSERT INTO annotations (comparison_id, annotator, choice, shown_swapped, duration_ms, "
            "rationale, session_id, created_at, undone, undone_at, strength) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (tid, annotator, choice, swapped, row["duration_ms"], row["rationale"],
             row["session_id"], row["created_at"], row["undone"], row["undone_at"],
             row.get("strength") if choice in ("a", "b") else None))
        existing[key] = (cur.lastrowid, row["undone"])
        if annotator in registered:
            imported.add((h, annotator, choice))
        target_ids[row["id"]] = int(cur.lastrowid)
        report.annotations_added += 1
    _merge_adjudications(conn, db, placed, report)
    _merge_repeats(conn, db, placed, target_ids, report, names)


def _merge_import_sources(conn, db, report: MergeReport) -> dict[str, str]:
    """Register the source's imported contents in the target; returns the source
    annotators that take another name here (same content: the target's name; a name
    the target gives to another content: `import:<name>#<hash>`)."""
    if not _has_table(db, "import_sources"):
        return {}
    names: dict[str, str] = {}
    for row in db.query("SELECT content_hash, annotator, first_name FROM import_sources"):
        mine = conn.execute("SELECT annotator FROM import_sources WHERE content_hash = ?",
                            (row["content_hash"],)).fetchone()
        if mine is not None:
            name = mine[0]
        else:
            name = row["annotator"]
            if conn.execute("SELECT 1 FROM import_sources WHERE annotator = ?",
                            (name,)).fetchone():
                name = f"import:{row['first_name']}#{row['content_hash'][:8]}"
            conn.execute("INSERT INTO import_sources (content_hash, annotator, first_name) "
                         "VALUES (?, ?, ?)", (row["content_hash"], name, row["first_name"]))
        if name != row["annotator"]:
            names[row["annotator"]] = name
            report.renamed.append((row["annotator"], name))
    return names


def _has_table(db, name: str) -> bool:
    """A source written before a table existed (older schema) simply has none of it."""
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                      (name,)).fetchone() is not None


def _merge_adjudications(conn, db, placed: dict, report: MergeReport) -> None:
    if not _has_table(db, "adjudications"):
        return
    have = {tuple(r) for r in conn.execute(
        "SELECT c.hash, j.adjudicator, j.created_at, j.choice FROM adjudications j "
        "JOIN comparisons c ON c.id = j.comparison_id")}
    for row in db.query("SELECT * FROM adjudications ORDER BY id"):
        tid, flipped, h = placed[row["comparison_id"]]
        choice = flip_choice(row["choice"]) if flipped else row["choice"]
        key = (h, row["adjudicator"], row["created_at"], choice)
        if key in have:
            if row["undone"]:  # an undo made in the source after an earlier merge
                conn.execute("UPDATE adjudications SET undone = 1 WHERE comparison_id = ? AND "
                             "adjudicator = ? AND created_at = ? AND choice = ?",
                             (tid, row["adjudicator"], row["created_at"], choice))
            continue
        conn.execute(
            "INSERT INTO adjudications (comparison_id, adjudicator, choice, strength, note, "
            "created_at, undone) VALUES (?,?,?,?,?,?,?)",
            (tid, row["adjudicator"], choice, row["strength"], row["note"], row["created_at"],
             row["undone"]))
        have.add(key)
        report.adjudications_added += 1


def _merge_repeats(conn, db, placed: dict, target_ids: dict[int, int],
                   report: MergeReport, names: dict[str, str]) -> None:
    if not _has_table(db, "repeats"):
        return
    have = {tuple(r) for r in conn.execute("SELECT original_id, created_at FROM repeats")}
    for row in db.query("SELECT * FROM repeats ORDER BY id"):
        original = target_ids.get(row["original_id"])
        if original is None or (original, row["created_at"]) in have:
            continue
        tid, flipped, _ = placed[row["comparison_id"]]
        choice = flip_choice(row["choice"]) if flipped else row["choice"]
        conn.execute(
            "INSERT INTO repeats (original_id, comparison_id, annotator, choice, shown_swapped, "
            "duration_ms, session_id, created_at) VALUES (?,?,?,?,?,?,?,?)",
            (original, tid, names.get(row["annotator"], row["annotator"]), choice, int(bool(row["shown_swapped"]) != flipped),
             row["duration_ms"], row["session_id"], row["created_at"]))
        have.add((original, row["created_at"]))
        report.repeats_added += 1


class MergeMixin:
    def merge_from(self, sources: list[str | Path], progress: Progress | None = None) -> MergeReport:
        """Merge other Duelist databases into this one (see module docstring)."""
        return merge_stores(self, sources, progress)
