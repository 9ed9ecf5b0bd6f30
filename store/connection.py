"""Opening a store file safely: header check, pragmas, migrations, clear errors.

Why these pragmas:
- WAL lets annotators keep reading while another process writes (a training run
  recording metrics, a second annotator).
- busy_timeout plus BEGIN IMMEDIATE with retries turns lock contention into a
  short wait instead of "database is locked" reaching a user.
- synchronous=FULL: a judgement shown as saved must survive a power cut, and
  annotation writes are small, so the fsync cost is acceptable.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
import threading
import time
import weakref
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

from duelist.store.errors import (
    NewerSchemaError,
    NotADatabaseError,
    ReadOnlyStoreError,
    StoreError,
    StoreLockedError,
)
from duelist.store.migrations import MIGRATION_SET, known_names, migrations
from sqlite_utils import Database

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 10_000
WRITE_RETRIES = 20


# Database files this process holds open through SQLite, by (device, inode).
# Why: closing ANY descriptor of a file drops every POSIX (fcntl) lock this process
# holds on it, including SQLite's. If `_check_file` read the header of a file that
# another Store in this process has open (the TUI opens a second connection for
# off-thread work), that Store silently lost its WAL locks; another process closing
# its connection then checkpointed and DELETED the WAL, and every later commit of
# the first Store went to an unlinked file: invisible to others, lost on kill -9.
# A file we already hold open was checked when it was first opened.
_OPEN_FILES: Counter[tuple[int, int]] = Counter()


def _file_key(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def _release_file(key: tuple[int, int]) -> None:
    _OPEN_FILES[key] -= 1
    if _OPEN_FILES[key] <= 0:
        del _OPEN_FILES[key]


def _check_file(path: Path) -> None:
    if path.is_symlink() and not path.exists():
        raise StoreError(f"{path}: symbolic link to nowhere (dangling or a loop), not a database file")
    if path.is_dir():
        raise NotADatabaseError(f"{path}: is a directory, not a Duelist database file")
    if not path.exists():
        if not path.parent.exists():
            raise StoreError(f"{path}: folder {path.parent} does not exist")
        return
    if not stat.S_ISREG(path.stat().st_mode):  # a FIFO would block the open forever
        raise NotADatabaseError(f"{path}: is not a regular file (a pipe, socket or device), "
                                "not a Duelist database file")
    key = _file_key(path)
    if key is not None and _OPEN_FILES[key] > 0:
        return  # already open through SQLite here: re-reading it would drop our locks
    try:
        with path.open("rb") as fh:
            head = fh.read(len(SQLITE_HEADER))
    except PermissionError as exc:
        raise StoreError(f"{path}: cannot read the database file ({exc.strerror})") from None
    except OSError as exc:
        raise StoreError(f"{path}: cannot open the database file ({exc.strerror or exc})") from None
    if head and head != SQLITE_HEADER:
        raise NotADatabaseError(f"{path}: not a SQLite database (wrong file header)")


def connect(path: str | Path, *, readonly: bool = False) -> Database:
    """Open (creating if needed) and migrate a store database."""
    if str(path) == ":memory:":
        conn = sqlite3.connect(":memory:", check_same_thread=False)
        db = Database(conn)
        _apply_migrations(db, str(path))
        return db
    p = Path(path)
    _check_file(p)
    if readonly:
        if not p.exists():
            raise StoreError(f"{p}: no such database")
        # On read-only media SQLite cannot create the -shm file a WAL reader needs;
        # `immutable=1` reads the file as it is (nobody can write it there anyway).
        flags = "mode=ro" if os.access(p.parent, os.W_OK) else "mode=ro&immutable=1"
        conn = sqlite3.connect(f"file:{quote(str(p.resolve()))}?{flags}", uri=True,
                               timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    else:
        try:
            conn = sqlite3.connect(str(p), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
        except sqlite3.Error as exc:
            raise translate(exc, str(p)) from None
    try:
        db = Database(conn)
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys=ON")
        _retry_while_locked(db, lambda: _prepare(db, p, readonly))
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise translate(exc, str(p)) from None
    except StoreError:
        conn.close()
        raise
    key = _file_key(p)
    if key is not None:
        _OPEN_FILES[key] += 1
        weakref.finalize(db, _release_file, key)
    return db


def _prepare(db: Database, p: Path, readonly: bool) -> None:
    conn = db.conn
    if not readonly:
        if p.stat().st_size > 0:
            _refuse_foreign_before_writing(db, str(p))
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
    _apply_migrations(db, str(p), readonly=readonly)


def _retry_while_locked(db: Database, step: Callable[[], None]) -> None:
    """Run an idempotent open step again while SQLite answers "locked"/"busy".

    Switching a brand-new file to WAL, or reading its schema while another process
    does that, can fail at once with SQLITE_BUSY without calling the busy handler.
    Every step here is safe to repeat, so a short backoff turns that race into a
    wait instead of an error.
    """
    delay = 0.01
    for attempt in range(WRITE_RETRIES):
        try:
            step()
            return
        except (sqlite3.OperationalError, StoreLockedError) as exc:
            low = str(exc).lower()
            if ("locked" not in low and "busy" not in low) or attempt == WRITE_RETRIES - 1:
                raise
            if db.conn.in_transaction:
                db.conn.execute("ROLLBACK")
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


def _refuse_foreign_before_writing(db: Database, where: str) -> None:
    """Refuse another program's SQLite file, or a newer Duelist's, before any write.

    Even switching the journal to WAL rewrites the file header, and a user who
    passes the wrong --db must find that file exactly as it was. The check reads
    inside one transaction, so a store being created by another process at this
    moment is seen either empty or fully migrated, never half-way.
    """
    db.conn.execute("BEGIN")
    try:
        _schema_pending(db, where, check_foreign=True)
    finally:
        db.conn.execute("COMMIT")


def _apply_migrations(db: Database, where: str, readonly: bool = False) -> None:
    """Refuse foreign or newer databases, then bring the schema up to date.

    Several processes may open a brand-new file at the same moment (two annotators,
    a training worker). The decision to migrate is therefore taken again under the
    write lock (BEGIN IMMEDIATE, retried), so exactly one of them creates the
    tables and the others find them already there.
    """
    if readonly:
        if _schema_pending(db, where, check_foreign=True):
            raise StoreError(f"{where}: database needs a schema upgrade; open it writable once")
        return
    if not _schema_pending(db, where, check_foreign=False):
        return
    with write_transaction(db, where):
        if _schema_pending(db, where, check_foreign=True):
            migrations.apply(db)


def _schema_pending(db: Database, where: str, *, check_foreign: bool) -> bool:
    applied = {m.name for m in migrations.applied(db)} if db["_sqlite_migrations"].exists() else set()
    unknown = applied - known_names()
    if unknown:
        raise NewerSchemaError(
            f"{where}: database schema is newer than this Duelist ({', '.join(sorted(unknown))}); "
            "upgrade Duelist to open it"
        )
    if check_foreign and not applied:
        foreign = [t for t in db.table_names() if t != "_sqlite_migrations" and not t.startswith("sqlite_")]
        if foreign:
            raise NotADatabaseError(
                f"{where}: SQLite file that is not a Duelist store (has tables: {', '.join(foreign[:5])})"
            )
    return bool(migrations.pending(db))


def translate(exc: sqlite3.Error, where: str) -> StoreError:
    """Map a sqlite3 error to a one-line StoreError naming the file."""
    msg = str(exc)
    low = msg.lower()
    if "readonly" in low or "read-only" in low:
        return ReadOnlyStoreError(f"{where}: database is read-only ({msg})")
    if "not a database" in low or "malformed" in low or "file is encrypted" in low:
        return NotADatabaseError(f"{where}: not a usable SQLite database ({msg})")
    if "locked" in low or "busy" in low:
        return StoreLockedError(f"{where}: database stayed locked by another process ({msg})")
    if "disk is full" in low or "disk i/o" in low:
        return StoreError(f"{where}: could not write the database ({msg}); nothing was changed")
    if "unable to open" in low:
        return StoreError(f"{where}: cannot open the database ({msg}); the file and its folder "
                          "must exist and be writable (a WAL database writes files beside it)")
    return StoreError(f"{where}: database error ({msg})")


# Called with a one-line message when a write has waited LOCK_REPORT_S for another
# process's lock, and again when it got the lock. The CLI sets it (stderr), so a
# long lock is never a silent hang; None (the default) reports nothing.
lock_wait_reporter: Callable[[str], None] | None = None
LOCK_REPORT_S = 2.0


# Writes now between BEGIN IMMEDIATE and getting the lock: id(watch) -> (connection,
# start). Read by `lock_wait_seconds` from another thread: the TUI writes off its UI
# thread and shows "waiting for the database" while its write is parked here.
_WAITING: dict[int, tuple[sqlite3.Connection, float]] = {}
_WAITING_GUARD = threading.Lock()


def lock_wait_seconds(db: Database) -> float | None:
    """How long a write on `db`'s connection has been waiting for the write lock
    (another connection or process holds it), or None when none is waiting."""
    now = time.monotonic()
    with _WAITING_GUARD:
        starts = [t for conn, t in _WAITING.values() if conn is db.conn]
    return now - min(starts) if starts else None


class _LockWatch:
    """Reports a write that waits for the lock (see `lock_wait_reporter`), and
    registers it in `_WAITING` while it waits."""

    def __init__(self, where: str, conn: sqlite3.Connection | None = None) -> None:
        self.where, self.started = where, time.monotonic()
        self.reported = False
        if conn is not None:
            with _WAITING_GUARD:
                _WAITING[id(self)] = (conn, self.started)
        self.timer: threading.Timer | None = None
        if lock_wait_reporter is not None:
            self.timer = threading.Timer(LOCK_REPORT_S, self._report)
            self.timer.daemon = True
            self.timer.start()

    def _report(self) -> None:
        reporter = lock_wait_reporter
        if reporter is not None:
            self.reported = True
            reporter(f"{self.where}: waiting for another process to finish writing "
                     "(the database is locked); still trying...")

    def stop(self) -> None:
        with _WAITING_GUARD:
            _WAITING.pop(id(self), None)
        if self.timer is not None:
            self.timer.cancel()
        reporter = lock_wait_reporter
        if self.reported and reporter is not None:
            reporter(f"{self.where}: got the lock after {time.monotonic() - self.started:.0f} s")


@contextlib.contextmanager
def write_transaction(db: Database, where: str) -> Iterator[Database]:
    """BEGIN IMMEDIATE ... COMMIT, retried while another writer holds the lock.

    IMMEDIATE takes the write lock up front, so a transaction never fails halfway
    on a lock upgrade; everything inside is all-or-nothing.
    """
    conn = db.conn
    delay = 0.01
    watch = _LockWatch(where, conn)
    try:
        for attempt in range(WRITE_RETRIES):
            try:
                conn.execute("BEGIN IMMEDIATE")
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc).lower() and "busy" not in str(exc).lower():
                    raise translate(exc, where) from None
                if attempt == WRITE_RETRIES - 1:
                    raise translate(exc, where) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.5)
    finally:
        watch.stop()
    try:
        yield db
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise translate(exc, where) from None
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def file_identity(path: str | Path) -> str:
    """A cheap fingerprint of a database file, for tests that assert 'unchanged'."""
    st = os.stat(path)
    return f"{st.st_size}:{st.st_mtime_ns}"


__all__ = ["MIGRATION_SET", "connect", "lock_wait_seconds", "translate", "write_transaction"]
