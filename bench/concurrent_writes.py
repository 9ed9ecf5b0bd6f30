"""Durable judgement writes: 8 concurrent writer processes vs 1 writer, same run.

Why: the reliability suite proves 8 writers lose nothing and never see "database
is locked"; this measures what that costs. Every judgement is its own
`synchronous=FULL` commit (one fsync), so the baseline is one process doing the
same writes alone: if locking and retries were expensive, 8 writers would reach
less total throughput than 1.

    .venv/bin/python bench/concurrent_writes.py [--writes 500] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from duelist.store import NewComparison, Store

CHILD = """
import os, sys, time
from duelist.store import NewAnnotation, Store
db, who, n, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
s = Store.open(db)
open(go + '.ready.' + who, 'w').close()
while not os.path.exists(go):
    time.sleep(0.001)
t0 = time.time()
for i in range(n):
    s.add_annotation(NewAnnotation(1, who, 'a', session_id=f'{who}:{i}'))
print(t0, time.time())
"""


def run(processes: int, writes: int) -> float:
    """Total committed writes per second across `processes` writers started together."""
    with tempfile.TemporaryDirectory() as tmp:
        db, go = Path(tmp) / "b.db", Path(tmp) / "go"
        with Store.open(db) as store:
            store.insert_comparisons([NewComparison("p", "a", "b")])
        procs = [subprocess.Popen([sys.executable, "-c", CHILD, str(db), f"w{k}", str(writes), str(go)],
                                  stdout=subprocess.PIPE, text=True) for k in range(processes)]
        while len(list(Path(tmp).glob("go.ready.*"))) < processes:
            time.sleep(0.01)
        go.touch()
        spans = [tuple(map(float, p.communicate()[0].split())) for p in procs]
        wall = max(e for _, e in spans) - min(s for s, _ in spans)
        with Store.open(db) as store:
            assert len(store.annotations_for()) == processes * writes
        return processes * writes / wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--writes", type=int, default=500, help="writes per process")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    one, eight = [], []
    for _ in range(args.repeats):  # interleaved, so machine noise hits both alike
        one.append(run(1, args.writes))
        eight.append(run(8, args.writes))
    m1, m8 = statistics.median(one), statistics.median(eight)
    print(f"1 writer : {m1:8.0f} durable writes/s (median of {args.repeats}: "
          f"{', '.join(f'{x:.0f}' for x in one)})")
    print(f"8 writers: {m8:8.0f} durable writes/s total (median of {args.repeats}: "
          f"{', '.join(f'{x:.0f}' for x in eight)})")
    print(f"ratio 8/1: {m8 / m1:.2f}")


if __name__ == "__main__":
    main()
