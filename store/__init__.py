"""Duelist's store: SQLite through sqlite-utils, and the only place SQL lives.

Imports only the standard library and sqlite-utils, so the TUI opens fast.
"""

from duelist.store import _lean_import  # noqa: F401  # first: sqlite-utils without pandas/numpy (launch time)
from duelist.store.errors import (
    NewerSchemaError,
    NotADatabaseError,
    ReadOnlyStoreError,
    StoreError,
    StoreLockedError,
)
from duelist.store.facade import Store
from duelist.store.records import (
    CHOICES,
    Annotation,
    Choice,
    Comparison,
    Counts,
    ModelRecord,
    NewAnnotation,
    NewComparison,
    Run,
    RunMetric,
    Score,
    content_hash,
)

__all__ = [
    "CHOICES", "Annotation", "Choice", "Comparison", "Counts", "ModelRecord", "NewAnnotation",
    "NewComparison", "NewerSchemaError", "NotADatabaseError", "ReadOnlyStoreError", "Run",
    "RunMetric", "Score", "Store", "StoreError", "StoreLockedError", "content_hash",
]
