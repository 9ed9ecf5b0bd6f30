"""Round two, item 10 (CLI part): an import that waits for another process's write
lock says so on stderr, then goes through once the lock is released."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from duelist.store import Store


def test_import_against_a_held_lock_says_it_is_waiting(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    Store.open(db).close()
    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps({"prompt": "p", "chosen": "a", "rejected": "b"}) + "\n")
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    proc = subprocess.Popen([sys.executable, "-m", "duelist.tui.cli.main", "import", "--db",
                             str(db), str(data)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(6)  # start-up (imports) plus the 2 s before the first report
        holder.execute("COMMIT")
        holder.close()
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "waiting for another process" in err and "got the lock" in err, err
    assert "1 comparison added" in out
