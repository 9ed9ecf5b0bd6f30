"""Crash safety of annotation: SIGKILL the real app 20 times while it judges.

Each child (forked by `_annotate_driver.py`) runs DuelistApp headless and presses
judgement keys in a loop; the app appends every annotation id to DUELIST_ACK_FILE right
after COMMIT. The harness kills it with SIGKILL at seeded random moments after
judging has started. Afterwards every acknowledged id must be in the database,
and SQLite's integrity check must pass. Each restart reopens the same database
(WAL recovery after the kill) and goes on judging where the annotator left off.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from duelist.store import NewComparison, Store

DRIVER = Path(__file__).with_name("_annotate_driver.py")
KILLS = 20
SEED = 20261124


def _acked(ack: Path) -> list[int]:
    """Complete lines only: a kill can cut the last write, and a line without its
    newline was never fully acknowledged (its commit happened before, anyway)."""
    if not ack.exists():
        return []
    text = ack.read_text(encoding="utf-8")
    lines = text.split("\n")[:-1]  # drop the unterminated tail
    return [int(x) for x in lines]


def _wait_for_judging(ack: Path, already: int, timeout: float, log: Path) -> None:
    end = time.monotonic() + timeout
    while len(_acked(ack)) <= already:
        if time.monotonic() > end:
            raise AssertionError(f"no judgement acknowledged within {timeout:.0f} s; child log: "
                                 f"{log.read_text()[-3000:] if log.exists() else ''}")
        time.sleep(0.01)


def test_sigkill_never_loses_an_acknowledged_judgement(tmp_path: Path) -> None:
    db = tmp_path / "crash.db"
    with Store.open(db) as store:
        store.insert_comparisons(NewComparison(f"Prompt {i}: which answer is better?",
                                               f"answer one to {i}", f"answer two to {i}")
                                 for i in range(5000))
    ack = tmp_path / "acks.txt"
    env = {**os.environ, "DUELIST_ACK_FILE": str(ack), "TEXTUAL": "", "NO_COLOR": "1"}
    rng = random.Random(SEED)
    log = tmp_path / "children.log"
    started = time.monotonic()
    per_round = []
    with log.open("w") as log_fh:
        server = subprocess.Popen([sys.executable, str(DRIVER), str(db)], env=env, text=True,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log_fh)
    pid = 0
    try:
        for round_ in range(KILLS):
            before = len(_acked(ack))
            server.stdin.write(f"{round_}\n")
            server.stdin.flush()
            pid = int(server.stdout.readline().split()[1])
            _wait_for_judging(ack, before, timeout=60, log=log)
            time.sleep(rng.uniform(0.0, 0.5))  # the kill lands anywhere in the judging loop
            os.kill(pid, signal.SIGKILL)
            assert server.stdout.readline().split() == ["exit", str(-signal.SIGKILL)]
            pid = 0
            acked = _acked(ack)
            per_round.append(len(acked) - before)
            with Store.open(db) as store:  # reopening after a kill is part of the test
                stored = {a.id for a in store.annotations_for(include_undone=True)}
                missing = set(acked) - stored
                assert not missing, f"round {round_}: acknowledged but lost: {sorted(missing)[:10]}"
    finally:
        if pid:  # a failed round: do not leave the app running
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        server.stdin.close()
        server.wait(timeout=30)
    with Store.open(db) as store:
        assert store.integrity_ok()
        total = len(store.annotations_for(include_undone=True))
    acked = _acked(ack)
    assert len(acked) == len(set(acked)), "an id was acknowledged twice"
    assert min(per_round) >= 1
    print(f"\ncrash-annotate: {KILLS} SIGKILLs survived, {len(acked)} acknowledged judgements "
          f"all present ({total} rows incl. undone/unacknowledged), integrity ok, "
          f"{time.monotonic() - started:.1f} s")
