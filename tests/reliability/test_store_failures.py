"""The store under hostile conditions: full disk, read-only file, corrupt file,
future schema, someone else's SQLite file.

Each case must end in ONE line naming the file (a `StoreError` the CLI prints
as is) and leave the database exactly as it was.
"""

from __future__ import annotations

import random
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from duelist.store import (
    NewAnnotation,
    NewComparison,
    NewerSchemaError,
    NotADatabaseError,
    ReadOnlyStoreError,
    Store,
    StoreError,
)

from reliability._dbstate import assert_one_line, content_dump, file_digest, read_only


def _seeded(path: Path, n: int = 50) -> Path:
    with Store.open(path) as s:
        s.insert_comparisons([NewComparison(f"prompt {i}", f"a{i}", f"b{i}") for i in range(n)])
        s.add_annotation(NewAnnotation(1, "ann", "a"))
    return path


def _big_rows(n: int, tag: str = "big") -> list[NewComparison]:
    return [NewComparison(f"{tag} {i} " + "x" * 4000, f"a{i}", f"b{i}") for i in range(n)]


# ---------------------------------------------------------------- full disk

def test_full_disk_via_page_limit_is_one_line_and_changes_nothing(tmp_path: Path) -> None:
    """SQLITE_FULL, the error a full disk gives, simulated with max_page_count."""
    db = _seeded(tmp_path / "d.db")
    before = content_dump(db)
    with Store.open(db) as s:
        pages = s.db.execute("PRAGMA page_count").fetchone()[0]
        s.db.execute(f"PRAGMA max_page_count={pages + 2}")
        with pytest.raises(StoreError) as bulk:
            s.insert_comparisons(_big_rows(200))
        assert_one_line(str(bulk.value), str(db), "full", "nothing was changed")
        # a judgement that no longer fits fails the same way, and is not half-written
        s.db.execute(f"PRAGMA max_page_count={s.db.execute('PRAGMA page_count').fetchone()[0]}")
        with pytest.raises(StoreError) as one:
            for _ in range(500):
                s.add_annotation(NewAnnotation(2, "ann", "b", rationale="r" * 3000))
        assert_one_line(str(one.value), str(db), "full")
    # the store is still consistent; the judgements that were acknowledged are there
    with Store.open(db) as s:
        assert s.integrity_ok()
        assert s.count_comparisons() == 50
        added = s.annotations_for(comparison_id=2)
        assert all(a.rationale == "r" * 3000 for a in added)
    # nothing of the failed bulk import leaked in
    after = content_dump(db)
    assert "big 0" not in after
    assert after.startswith(before.split("INSERT INTO \"annotations\"")[0][:200])


_FSIZE_CHILD = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG from write(), not a kill
from duelist.store import NewComparison, Store
s = Store.open(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[2]), int(sys.argv[2])))
try:
    s.insert_comparisons([NewComparison(f"big {i} " + "x" * 4000, "a", "b") for i in range(500)])
except Exception as exc:
    print(f"{type(exc).__name__}|{exc}")
    sys.exit(2)
print("no error")
"""


def test_full_disk_from_the_os_is_one_line_and_changes_nothing(tmp_path: Path) -> None:
    """A real write() failure from the kernel (file size limit, EFBIG), in a child."""
    db = _seeded(tmp_path / "d.db")
    before = content_dump(db)
    limit = db.stat().st_size + 64 * 1024
    r = subprocess.run([sys.executable, "-c", _FSIZE_CHILD, str(db), str(limit)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2, r.stdout + r.stderr
    kind, _, message = r.stdout.strip().partition("|")
    assert kind == "StoreError"
    assert_one_line(message, str(db), "could not write the database", "nothing was changed")
    assert content_dump(db) == before
    with Store.open(db) as s:
        assert s.integrity_ok()


def test_full_disk_on_a_real_tiny_filesystem(tmp_path: Path) -> None:
    """ENOSPC from a 1 MiB tmpfs, where the machine allows mounting one."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({r.stderr.strip() or 'not permitted'})")
    try:
        db = _seeded(mnt / "d.db")
        before = content_dump(db)
        with Store.open(db) as s, pytest.raises(StoreError) as err:
            s.insert_comparisons(_big_rows(400))
        assert_one_line(str(err.value), str(db), "full")
        assert content_dump(db) == before
        with Store.open(db) as s:
            assert s.integrity_ok()
            s.add_annotation(NewAnnotation(3, "ann", "tie"))  # small writes still work
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


# ---------------------------------------------------------------- read-only

def test_read_only_database_file(tmp_path: Path) -> None:
    db = _seeded(tmp_path / "d.db")
    before = content_dump(db)
    with read_only(db):
        with Store.open(db) as s, pytest.raises(ReadOnlyStoreError) as err:
            s.add_annotation(NewAnnotation(1, "ann", "b"))
        assert_one_line(str(err.value), str(db), "read-only")
        with Store.open(db, readonly=True) as s:  # reading still works
            assert s.count_comparisons() == 50
    assert content_dump(db) == before


def test_read_only_folder_and_file(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    db = _seeded(folder / "d.db")  # closed cleanly: no -wal/-shm beside it
    digest = file_digest(db)
    with read_only(db, folder):
        with pytest.raises(StoreError) as err:
            Store.open(db).add_annotation(NewAnnotation(1, "ann", "b"))
        assert_one_line(str(err.value), str(db))
        assert "writable" in str(err.value) or "read-only" in str(err.value)
    assert file_digest(db) == digest


# ---------------------------------------------------------------- corrupt / foreign / future

def _corruptions(good: bytes) -> dict[str, bytes]:
    rng = random.Random(7)
    garbled = bytearray(good)
    for page in range(3 * 4096, len(garbled) - 4095, 4096):
        for _ in range(40):
            garbled[page + rng.randrange(4096)] = rng.randrange(256)
    page1 = bytearray(good)
    page1[100:4096] = rng.randbytes(3996)
    schema_zeroed = bytearray(good)
    schema_zeroed[4096:8192] = bytes(4096)
    return {
        "truncated": good[: len(good) // 2],
        "header only": good[:16],
        "garbled pages": bytes(garbled),
        "garbled schema page": bytes(page1),
        "zeroed page 2": bytes(schema_zeroed),
        "random bytes": rng.randbytes(20_000),
        "text file": b"prompt,chosen,rejected\nhi,a,b\n",
        "SQLite header then junk": b"SQLite format 3\x00" + rng.randbytes(5000),
    }


@pytest.mark.parametrize("kind", list(_corruptions(bytes(64 * 4096))))
def test_corrupt_database_file(tmp_path: Path, kind: str) -> None:
    good = _seeded(tmp_path / "good.db", n=800).read_bytes()
    db = tmp_path / "bad.db"
    db.write_bytes(_corruptions(good)[kind])
    digest = file_digest(db)
    # corruption is found at open, or at the latest by a full read
    with pytest.raises(StoreError) as err, Store.open(db) as s:
        for _ in s.iter_comparisons():
            pass
        assert s.integrity_ok(), "corrupt file passed integrity_check"
    assert_one_line(str(err.value), str(db))
    assert file_digest(db) == digest


def test_someone_elses_sqlite_file_is_refused_and_left_byte_identical(tmp_path: Path) -> None:
    """Found by this suite: opening another app's database switched it to WAL
    (rewriting its header) before refusing it."""
    db = tmp_path / "other.db"
    conn = sqlite3.connect(db)
    conn.executescript("CREATE TABLE moz_places (url TEXT); INSERT INTO moz_places VALUES ('x');")
    conn.close()
    digest = file_digest(db)
    with pytest.raises(NotADatabaseError) as err:
        Store.open(db)
    assert_one_line(str(err.value), str(db), "not a Duelist store", "moz_places")
    assert file_digest(db) == digest
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.db"]


def test_database_from_a_future_duelist(tmp_path: Path) -> None:
    db = _seeded(tmp_path / "d.db")
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
                 "VALUES ('duelist', 'm900_from_the_future', '2030-01-01')")
    conn.commit()
    conn.close()
    digest = file_digest(db)
    for readonly in (False, True):
        with pytest.raises(NewerSchemaError) as err:
            Store.open(db, readonly=readonly)
        assert_one_line(str(err.value), str(db), "m900_from_the_future", "upgrade Duelist")
    assert file_digest(db) == digest


def test_directory_and_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(NotADatabaseError) as err:
        Store.open(tmp_path)
    assert_one_line(str(err.value), str(tmp_path), "directory")
    missing = tmp_path / "nope" / "d.db"
    with pytest.raises(StoreError) as err:
        Store.open(missing)
    assert_one_line(str(err.value), str(missing), "does not exist")
    assert not missing.parent.exists()


def test_symlink_loop_as_database(tmp_path: Path) -> None:
    loop = tmp_path / "loop.db"
    loop.symlink_to(tmp_path / "loop2.db")
    (tmp_path / "loop2.db").symlink_to(loop)
    with pytest.raises(StoreError) as err:
        Store.open(loop)
    assert_one_line(str(err.value), str(loop), "link")

