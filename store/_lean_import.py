"""Import sqlite-utils without the pandas and numpy it pulls in when they are installed.

Why: sqlite-utils imports pandas and numpy at module level, only to map their
scalar types when it creates tables from Python values. The store never does
that (the schema comes from SQL migrations, rows go through `conn.execute`), but
the import alone cost 1.2-1.6 s on this machine: more than the whole launch
budget of the annotate screen (< 1 s to the first comparison). When neither is
loaded yet, both are hidden during that one import and then un-hidden, so any
later `import pandas` (datasets, the engine) works as usual.
"""

from __future__ import annotations

import sys

_HIDDEN = ("pandas", "numpy")


def import_sqlite_utils() -> None:
    if "sqlite_utils.db" in sys.modules:
        return
    hidden = [name for name in _HIDDEN if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # makes `import name` fail fast
    try:
        import sqlite_utils.db  # noqa: F401
    finally:
        for name in hidden:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]


import_sqlite_utils()
