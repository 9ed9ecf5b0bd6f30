"""`Store`: the one object the TUI and the engine use to reach the database.

Each domain (comparisons, annotations, runs, models, scores, settings) lives in its
own module as a mixin; this class only opens the file and composes them.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from duelist.store.annotations import AnnotationsMixin
from duelist.store.bulk import BulkImportMixin
from duelist.store.claims import ClaimsMixin
from duelist.store.comparisons import ComparisonsMixin
from duelist.store.connection import connect, lock_wait_seconds, write_transaction
from duelist.store.counts import StatsMixin
from duelist.store.import_sources import ImportSourcesMixin
from duelist.store.merge import MergeMixin
from duelist.store.model_registry import RegistryMixin
from duelist.store.quality import QualityMixin
from duelist.store.records import Counts
from duelist.store.review import RepeatsMixin, ReviewMixin
from duelist.store.runs import RunsMixin
from duelist.store.scores import ScoresMixin
from duelist.store.settings import SettingsMixin
from duelist.store.web_tokens import WebTokensMixin
from sqlite_utils import Database


class Store(ImportSourcesMixin, ComparisonsMixin, AnnotationsMixin, RunsMixin, RegistryMixin, ScoresMixin, SettingsMixin,
            ClaimsMixin, QualityMixin, MergeMixin, BulkImportMixin,
            StatsMixin, ReviewMixin, RepeatsMixin, WebTokensMixin):
    """A Duelist project database. Open with `Store.open(path)`."""

    def __init__(self, db: Database, path: str) -> None:
        self.db = db
        self.path = path

    @classmethod
    def open(cls, path: str | Path = "duelist.db", *, readonly: bool = False) -> Store:
        return cls(connect(path, readonly=readonly), str(path))

    @classmethod
    def open_for_reading(cls, path: str | Path = "duelist.db") -> Store:
        """For commands that only read (stats, export): writable when it can be, so an
        older schema is still upgraded, read-only when the file or its folder cannot be
        written (read-only media, a locked-down file): those used to be refused."""
        p = Path(path)
        if p.is_file() and not (os.access(p, os.W_OK) and os.access(p.parent, os.W_OK)):
            return cls.open(p, readonly=True)
        return cls.open(p)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Store]:
        """All-or-nothing block (BEGIN IMMEDIATE, retried on lock)."""
        with write_transaction(self.db, self.path):
            yield self

    def lock_wait_seconds(self) -> float | None:
        """Seconds a write on this store has waited so far for another connection's or
        process's write lock; None when no write is waiting (safe from any thread)."""
        return lock_wait_seconds(self.db)

    def counts(self) -> Counts:
        comparisons = self.count_comparisons()
        judged = self.db.execute(
            "SELECT COUNT(DISTINCT comparison_id) FROM annotations "
            "WHERE undone = 0 AND choice != 'skip'").fetchone()[0]
        live, skips = self.db.execute(
            "SELECT COUNT(*), COALESCE(SUM(choice = 'skip'), 0) FROM annotations "
            "WHERE undone = 0").fetchone()
        return Counts(comparisons=comparisons, judged=judged, annotations=live, skips=skips)

    def integrity_ok(self) -> bool:
        return self.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
