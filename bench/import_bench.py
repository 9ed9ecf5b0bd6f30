"""Import benchmark: 1,000,000 shape-(a) comparisons through `duelist import`.

Target (issue 2): under 30 s wall and under 500 MB peak RSS on the 2-core dev box.
Baseline, measured in the same run on the same file: the naive way, reading the
JSONL with json.loads and sqlite-utils `insert_all` into a fresh table (no
validation, no content hash, no dedup), also in its own process.

Each measured command runs in a child process and its peak RSS comes from
os.wait4's rusage, so the figures are the process's own. Prints the median of
--repeat runs for each and the ratio.

    .venv/bin/python bench/import_bench.py                 # 1,000,000 rows, 3 repeats
    .venv/bin/python bench/import_bench.py --rows 100000 --repeat 1
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DUELIST = Path(sys.executable).with_name("duelist")

_WORDS = [
    "the", "model", "should", "explain", "why", "a", "response", "is", "better", "than",
    "another", "one", "when", "asked", "about", "python", "code", "sorting", "lists",
    "recursion", "memory", "safety", "tests", "data", "pipelines", "and", "careful", "error",
    "handling", "with", "clear", "examples", "for", "every", "case",
]

_BASELINE = """
import json, sys
from sqlite_utils import Database
db = Database(sys.argv[2])
def rows():
    with open(sys.argv[1], encoding="utf-8") as fh:
        for line in fh:
            yield json.loads(line)
db["comparisons"].insert_all(rows(), batch_size=10000)
print(db["comparisons"].count)
"""


def generate(path: Path, rows: int) -> None:
    """Unique, realistic-length rows (~300 bytes) without per-row json.dumps cost."""
    n = len(_WORDS)
    sentences = [json.dumps(" ".join(_WORDS[(i * 7 + k) % n] for k in range(12 + i % 9)))[1:-1]
                 for i in range(997)]
    with path.open("w", encoding="utf-8") as fh:
        for i in range(rows):
            s1, s2, s3 = sentences[i % 997], sentences[(i * 31) % 997], sentences[(i * 17 + 5) % 997]
            fh.write(f'{{"prompt": "Question {i}: {s1}?", "response_a": "{s2}. Answer A for {i}.",'
                     f' "response_b": "{s3}. Answer B for {i}, with more detail: {s1}."}}\n')


def _tree_rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants (Linux /proc)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except (OSError, ValueError):
            continue
    return total


def measure_rss(cmd: list[str]) -> tuple[float, float, float, str]:
    """(wall s, peak RSS MB, CPU s, stdout) of one command.

    Peak RSS is the largest SUM over the process and its children (duelist
    reads big files in a second process), sampled every 20 ms, and never less
    than wait4's own maximum. CPU time (user + sys, children included) is
    reported too: on a shared machine wall time depends on everyone else's
    load, CPU time much less."""
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out_f, tempfile.TemporaryFile("w+") as err_f:
        proc = subprocess.Popen(cmd, stdout=out_f, stderr=err_f)
        peak = [0]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.02):
                peak[0] = max(peak[0], _tree_rss_kib(proc.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        done.set()
        sampler.join()
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out_f.seek(0)
        err_f.seek(0)
        out, err = out_f.read(), err_f.read()
    if proc.returncode != 0:
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{err}")
    cpu = usage.ru_utime + usage.ru_stime
    return wall, max(peak[0], usage.ru_maxrss) / 1024, cpu, out  # both in KiB on Linux


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", metavar="DIR", help="work in DIR and keep the files")
    args = ap.parse_args()

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="duelist-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    data = work / f"pairs_{args.rows}.jsonl"
    try:
        if not data.exists():
            t = time.perf_counter()
            generate(data, args.rows)
            print(f"generated {args.rows:,} rows ({data.stat().st_size / 1e6:.0f} MB) "
                  f"in {time.perf_counter() - t:.1f} s")
        ours, base = [], []
        for i in range(args.repeat):
            for suffix in ("", "-wal", "-shm"):
                for name in ("duelist.db", "naive.db"):
                    Path(str(work / name) + suffix).unlink(missing_ok=True)
            load = os.getloadavg()[0]
            wall, rss, cpu, out = measure_rss([str(DUELIST), "import", str(data),
                                               "--db", str(work / "duelist.db")])
            ours.append((wall, rss, cpu))
            print(f"run {i + 1}: duelist import   {wall:6.1f} s wall {cpu:6.1f} s CPU {rss:5.0f} MB"
                  f" (load {load:.1f}) | {out.strip().splitlines()[-1]}")
            load = os.getloadavg()[0]
            wall, rss, cpu, out = measure_rss([sys.executable, "-c", _BASELINE, str(data),
                                               str(work / "naive.db")])
            base.append((wall, rss, cpu))
            print(f"run {i + 1}: naive insert_all {wall:6.1f} s wall {cpu:6.1f} s CPU {rss:5.0f} MB"
                  f" (load {load:.1f}) | {out.strip()} rows")
        o_wall, o_rss, o_cpu = (statistics.median(x[k] for x in ours) for k in range(3))
        b_wall, b_rss, b_cpu = (statistics.median(x[k] for x in base) for k in range(3))
        print(f"\nmedian of {args.repeat}, {args.rows:,} rows:")
        print(f"  duelist import    {o_wall:6.1f} s wall  {o_cpu:6.1f} s CPU  peak RSS {o_rss:5.0f} MB"
              f"  (target < 30 s, < 500 MB: {'met' if o_wall < 30 and o_rss < 500 else 'MISSED'})")
        print(f"  naive insert_all  {b_wall:6.1f} s wall  {b_cpu:6.1f} s CPU  peak RSS {b_rss:5.0f} MB")
        print(f"  ratio duelist / naive: {o_wall / b_wall:.2f}x wall, {o_cpu / b_cpu:.2f}x CPU")
        print(f"  load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
