"""Numbered, append-only schema migrations, applied whenever a store is opened.

Never edit a migration that has shipped: add the next number instead. Names are
`mNNN_what`, so a database that has a migration this code does not know was written
by a newer Duelist, and we refuse to touch it rather than guess.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

MIGRATION_SET = "duelist"
migrations = Migrations(MIGRATION_SET)


@migrations(name="m001_initial")
def m001_initial(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE comparisons (
            id INTEGER PRIMARY KEY,
            hash TEXT NOT NULL UNIQUE,
            prompt TEXT NOT NULL,
            response_a TEXT NOT NULL,
            response_b TEXT NOT NULL,
            prompt_messages TEXT,
            source TEXT NOT NULL DEFAULT '',
            gold TEXT CHECK (gold IN ('a','b','tie','both_bad')),
            meta TEXT,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
        )"""
    )
    db.execute("CREATE INDEX idx_comparisons_prompt ON comparisons(prompt)")
    db.execute(
        """
        CREATE TABLE annotations (
            id INTEGER PRIMARY KEY,
            comparison_id INTEGER NOT NULL REFERENCES comparisons(id),
            annotator TEXT NOT NULL,
            choice TEXT NOT NULL CHECK (choice IN ('a','b','tie','both_bad','skip')),
            shown_swapped INTEGER NOT NULL DEFAULT 0,
            duration_ms INTEGER,
            rationale TEXT,
            session_id TEXT,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
            undone INTEGER NOT NULL DEFAULT 0,
            undone_at TEXT
        )"""
    )
    db.execute(
        "CREATE INDEX idx_annotations_live ON annotations(comparison_id, annotator, undone)"
    )
    db.execute("CREATE INDEX idx_annotations_annotator ON annotations(annotator, undone, id)")
    db.execute(
        """
        CREATE TABLE claims (
            comparison_id INTEGER NOT NULL REFERENCES comparisons(id),
            annotator TEXT NOT NULL,
            claimed_at REAL NOT NULL,
            expires_at REAL NOT NULL,
            PRIMARY KEY (comparison_id, annotator)
        )"""
    )
    db.execute(
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN
                ('queued','running','done','failed','cancelled','interrupted')),
            config TEXT NOT NULL DEFAULT '{}',
            run_dir TEXT,
            model_dir TEXT,
            n_pairs INTEGER,
            data_hash TEXT,
            pid INTEGER,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
            started_at TEXT,
            finished_at TEXT,
            final_metrics TEXT NOT NULL DEFAULT '{}',
            error TEXT
        )"""
    )
    db.execute(
        """
        CREATE TABLE run_metrics (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES runs(id),
            step INTEGER NOT NULL,
            split TEXT NOT NULL CHECK (split IN ('train','eval')),
            epoch REAL,
            loss REAL,
            accuracy REAL,
            margin REAL,
            lr REAL,
            pairs_per_s REAL,
            elapsed_s REAL
        )"""
    )
    db.execute("CREATE INDEX idx_run_metrics_run ON run_metrics(run_id, split, step)")
    db.execute(
        """
        CREATE TABLE models (
            id INTEGER PRIMARY KEY,
            run_id INTEGER REFERENCES runs(id),
            path TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            base_model TEXT,
            is_current INTEGER NOT NULL DEFAULT 0,
            metrics TEXT NOT NULL DEFAULT '{}',
            aspect TEXT,
            weight REAL NOT NULL DEFAULT 1.0,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
        )"""
    )
    db.execute(
        """
        CREATE TABLE scores (
            model_id INTEGER NOT NULL REFERENCES models(id),
            comparison_id INTEGER NOT NULL REFERENCES comparisons(id),
            score_a REAL NOT NULL,
            score_b REAL NOT NULL,
            std_a REAL,
            std_b REAL,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
            PRIMARY KEY (model_id, comparison_id)
        )"""
    )
    db.execute("CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)")


def known_names() -> set[str]:
    return {m.name for m in migrations._migrations}


@migrations(name="m002_judge_counts")
def m002_judge_counts(db: Database) -> None:
    """A live judge count per comparison, kept by triggers, plus queue indexes.

    Why: the shared annotate queue asks "which item still needs a judge?" on every
    keypress. Counting judgements with a subquery per candidate costs ~3 µs a row,
    which is seconds once a 1,000,000-item store is mostly done. `judges` (live,
    non-skip judgements) is maintained by triggers on `annotations`, so every
    writer (annotate, import, merge) keeps it right without knowing about it, and
    the expression indexes let the uncertainty queue read scores already sorted.
    """
    db.execute("ALTER TABLE comparisons ADD COLUMN judges INTEGER NOT NULL DEFAULT 0")
    db.execute(
        "UPDATE comparisons SET judges = (SELECT COUNT(*) FROM annotations a "
        "WHERE a.comparison_id = comparisons.id AND a.undone = 0 AND a.choice != 'skip')")
    db.execute("CREATE INDEX idx_comparisons_judges ON comparisons(judges, id)")
    db.execute(
        "CREATE TRIGGER trg_judges_insert AFTER INSERT ON annotations "
        "WHEN NEW.undone = 0 AND NEW.choice != 'skip' BEGIN "
        "UPDATE comparisons SET judges = judges + 1 WHERE id = NEW.comparison_id; END")
    db.execute(
        "CREATE TRIGGER trg_judges_undo AFTER UPDATE OF undone ON annotations "
        "WHEN OLD.undone = 0 AND NEW.undone = 1 AND OLD.choice != 'skip' BEGIN "
        "UPDATE comparisons SET judges = judges - 1 WHERE id = NEW.comparison_id; END")
    db.execute(
        "CREATE TRIGGER trg_judges_redo AFTER UPDATE OF undone ON annotations "
        "WHEN OLD.undone = 1 AND NEW.undone = 0 AND NEW.choice != 'skip' BEGIN "
        "UPDATE comparisons SET judges = judges + 1 WHERE id = NEW.comparison_id; END")
    db.execute(
        "CREATE TRIGGER trg_judges_delete AFTER DELETE ON annotations "
        "WHEN OLD.undone = 0 AND OLD.choice != 'skip' BEGIN "
        "UPDATE comparisons SET judges = judges - 1 WHERE id = OLD.comparison_id; END")
    db.execute("CREATE INDEX idx_scores_margin ON scores(model_id, abs(score_a - score_b))")
    db.execute(
        "CREATE INDEX idx_scores_spread ON scores(model_id, "
        "(coalesce(std_a, 0) * coalesce(std_a, 0) + coalesce(std_b, 0) * coalesce(std_b, 0)))")


@migrations(name="m003_gold_index")
def m003_gold_index(db: Database) -> None:
    """A partial index over gold items (usually none or a few).

    Why: the annotate screen asks "does this store have gold items?" when it
    opens, to decide whether to mix them in. Without an index that question
    scans every row: 1.2 s on a 1,000,000-comparison store, on the launch path
    of a screen that must be ready in well under a second. With it: ~0.1 ms.
    """
    db.execute("CREATE INDEX IF NOT EXISTS idx_comparisons_gold ON comparisons(id) "
               "WHERE gold IS NOT NULL")


@migrations(name="m004_strength")
def m004_strength(db: Database) -> None:
    """How much better the winner was: 1 slightly, 2 clearly, 3 much (NULL: not said).

    Why a nullable column on `annotations`: a plain 1/2 judgement stays one key and
    one row, exactly as before; only a graded pick fills it. Ties, both-bad and
    skips never carry a strength (the CHECK keeps an importer from inventing one).
    """
    db.execute("ALTER TABLE annotations ADD COLUMN strength INTEGER "
               "CHECK (strength IS NULL OR (strength IN (1, 2, 3) AND choice IN ('a', 'b')))")


@migrations(name="m005_adjudications_repeats")
def m005_adjudications_repeats(db: Database) -> None:
    """A lead's final answer on a disputed comparison, and self-consistency repeats,
    each kept apart from the votes.

    Why a table of its own for adjudications: an adjudication is not one more vote
    (it must win over the votes, and must not count in agreement or reliability
    statistics), and it is appended, never updated, so the history of decisions
    stays auditable; the newest live row per comparison is the decision.

    Why one for repeats (`--repeat-rate`): a second look at an item the annotator
    already judged, sides swapped, measures self-agreement only. Kept out of
    `annotations`, it cannot be counted twice by export, training, the judge
    counts that drive the shared queue, or the agreement statistics.
    """
    db.execute(
        """
        CREATE TABLE adjudications (
            id INTEGER PRIMARY KEY,
            comparison_id INTEGER NOT NULL REFERENCES comparisons(id),
            adjudicator TEXT NOT NULL,
            choice TEXT NOT NULL CHECK (choice IN ('a','b','tie','both_bad')),
            strength INTEGER CHECK (strength IS NULL OR (strength IN (1, 2, 3)
                                    AND choice IN ('a', 'b'))),
            note TEXT,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
            undone INTEGER NOT NULL DEFAULT 0
        )"""
    )
    db.execute("CREATE INDEX idx_adjudications_live ON adjudications(comparison_id, undone, id)")
    db.execute(
        """
        CREATE TABLE repeats (
            id INTEGER PRIMARY KEY,
            original_id INTEGER NOT NULL REFERENCES annotations(id),
            comparison_id INTEGER NOT NULL REFERENCES comparisons(id),
            annotator TEXT NOT NULL,
            choice TEXT NOT NULL CHECK (choice IN ('a','b','tie','both_bad','skip')),
            shown_swapped INTEGER NOT NULL,
            duration_ms INTEGER,
            session_id TEXT,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
        )"""
    )
    db.execute("CREATE INDEX idx_repeats_original ON repeats(original_id)")
    db.execute("CREATE INDEX idx_repeats_annotator ON repeats(annotator, id)")


@migrations(name="m006_web_tokens")
def m006_web_tokens(db: Database) -> None:
    """Sign-in links for annotators in a browser (`duelist web`).

    Why hashed: the database is copied around (merge, backups); a copy must not
    let anyone sign in as an annotator. Only the SHA-256 of each random token is
    stored, so a link can be checked but never rebuilt from the file. Rows are
    revoked, not deleted, so `--list-annotators` keeps the history of who had access.
    """
    db.execute(
        """
        CREATE TABLE web_tokens (
            id INTEGER PRIMARY KEY,
            annotator TEXT NOT NULL,
            token_hash TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
            last_used_at TEXT,
            revoked_at TEXT
        )"""
    )
    db.execute("CREATE INDEX idx_web_tokens_annotator ON web_tokens(annotator, revoked_at)")

@migrations(name="m007_import_sources")
def m007_import_sources(db: Database) -> None:
    """Which file content each imported annotator stands for.

    Why: judgements a file carries were attributed to `import:<file name>`. Two
    labellers' files with one name in different folders became ONE annotator (the
    second file's opposite votes were dropped as duplicates), and one file copied
    under a new name became a SECOND annotator agreeing with itself (kappa 1.00).
    Now the annotator is tied to a hash of the file's content: the same content
    always maps to the same annotator, different content never shares one.
    """
    db.execute(
        """CREATE TABLE import_sources (
            content_hash TEXT PRIMARY KEY,
            annotator TEXT NOT NULL UNIQUE,
            first_name TEXT NOT NULL,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
        )"""
    )
