"""Annotation TUI on a 1,000,000-comparison store: launch time, keypress latency, RSS.

Duelist vs a naive baseline, in the same run, on the same store copy.

Baseline ("naive"): the same app and screens, with the queue and progress done
the straightforward way many tools do it: the next item is
`SELECT id ... WHERE id NOT IN (judged by me) ORDER BY RANDOM() LIMIT 1`, and
the progress counts (`COUNT(*)` of comparisons, done by me, done by anyone)
are computed synchronously before the first item is shown and again after every
judgement. Duelist serves the next item with one indexed seek, counts totals
once in a background thread, then updates them incrementally.

What is measured:
- launch: a real process (`duelist annotate`, or the naive child) on a pseudo
  terminal of 120x40; from just before `Popen` to the moment the screen has painted
  the first comparison (the app writes `time.time()` to DUELIST_FIRST_PAINT_FILE
  from a `call_after_refresh` callback). One warm-up launch each is discarded.
- RSS: VmHWM (peak resident set) of that launched process, read from /proc
  1.5 s after the first paint (after the background count finished).
- keypress -> next comparison rendered: in-process, driven by Textual's Pilot
  (headless, 120x40). Per judgement: time from just before `pilot.press("1")`
  to the `call_after_refresh` callback that follows rendering the next item.
  The judgement is committed (synchronous=FULL) inside that interval.

Usage:
    .venv/bin/python bench/tui_bench.py [--n 1000000] [--launches 5] [--presses 500]
                                        [--naive-presses 30]
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import os
import pty
import resource
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _keypress import pct, press_latencies_ms
from _tui_store import fresh_copy
from duelist.engine.application.annotation_session import Progress, Session
from duelist.store import Comparison, Store

DUELIST = Path(sys.executable).parent / "duelist"


# ---- the naive baseline (bench only: raw SQL is fine here, it is not product code) ----
class NaiveOrder:
    name = "naive-random"

    def __init__(self, store: Store, annotator: str) -> None:
        self.store, self.annotator = store, annotator

    def next(self, *, after_id: int, exclude: set[int]) -> Comparison | None:
        skip = f" AND id NOT IN ({','.join(map(str, exclude))})" if exclude else ""
        row = self.store.db.execute(
            "SELECT id FROM comparisons WHERE id NOT IN (SELECT comparison_id FROM annotations "
            f"WHERE annotator = ? AND undone = 0){skip} ORDER BY RANDOM() LIMIT 1",
            [self.annotator]).fetchone()
        return self.store.get_comparison(row[0]) if row else None


class NaiveSession(Session):
    def __post_init__(self) -> None:
        super().__post_init__()
        self.queue = NaiveOrder(self.store, self.annotator)

    def _count(self) -> None:
        s = self.store
        self.progress = Progress(total=s.count_comparisons(), mine=s.count_done(self.annotator),
                                 overall=s.count_done())

    def start(self) -> Comparison | None:
        self._count()
        return super().start()

    def judge(self, pick, duration_ms, strength=None):  # type: ignore[no-untyped-def]
        ann = super().judge(pick, duration_ms, strength)
        self._count()
        return ann


def make_app(db: Path, annotator: str, naive: bool):  # type: ignore[no-untyped-def]
    from duelist.tui.app import AnnotateOptions, DuelistApp

    app = DuelistApp(db, AnnotateOptions(annotator=annotator, seed=1))
    if naive:
        app.session = NaiveSession(app.store, annotator, seed=1)
    return app


def naive_child(db: str, annotator: str) -> None:
    make_app(Path(db), annotator, naive=True).run()


# ---- launch + RSS in a real process on a pty ------------------------------------------
def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def launch_once(db: Path, annotator: str, naive: bool) -> tuple[float, float]:
    """(seconds from spawn to first paint, peak RSS in MB)."""
    if naive:
        cmd = [sys.executable, __file__, "--naive-child", str(db), annotator]
    else:
        cmd = [str(DUELIST), "annotate", "--db", str(db), "--annotator", annotator, "--seed", "1"]
    with tempfile.TemporaryDirectory() as tmp:
        paint = Path(tmp) / "paint"
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        env = {**os.environ, "DUELIST_FIRST_PAINT_FILE": str(paint), "TERM": "xterm-256color"}
        t0 = time.time()
        proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, env=env,
                                start_new_session=True)
        os.close(slave)

        def drain(until: float) -> None:
            while time.time() < until:
                ready, _, _ = select.select([master], [], [], 0.05)
                if ready:
                    try:
                        os.read(master, 65536)
                    except OSError:
                        return

        deadline = t0 + 120
        while not (paint.exists() and paint.read_text().strip()) and time.time() < deadline:
            drain(time.time() + 0.02)
        if not paint.exists():
            proc.kill()
            raise RuntimeError(f"no first paint within 120 s: {cmd}")
        painted = float(paint.read_text())
        drain(time.time() + 1.5)
        rss_mb = _status_kb(proc.pid, "VmHWM") / 1024
        os.write(master, b"q")
        end = time.time() + 15
        while proc.poll() is None and time.time() < end:
            drain(time.time() + 0.1)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    return painted - t0, rss_mb


# ---- keypress latency, in process ---------------------------------------------------
async def press_latencies(db: Path, annotator: str, naive: bool,
                          presses: int) -> tuple[list[float], float]:
    """(per-press latencies in ms, CPU ms per press of this process, Pilot included)."""
    app = make_app(db, annotator, naive)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        cpu0 = time.process_time()
        out = await press_latencies_ms(pilot, screen, presses)
        cpu_ms = (time.process_time() - cpu0) * 1000 / presses
        # a judgement that fails repaints too (an error notice): only landed ones count
        if app.session.saved != presses:
            raise SystemExit(f"{'naive' if naive else 'duelist'}: {app.session.saved} of "
                             f"{presses} judgements landed; the timings would be of an error")
    return out, cpu_ms


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--naive-child":
        naive_child(sys.argv[2], sys.argv[3])
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--launches", type=int, default=5)
    ap.add_argument("--presses", type=int, default=500)
    ap.add_argument("--naive-presses", type=int, default=30)
    args = ap.parse_args()

    db = fresh_copy(args.n, "work")
    with Store.open(db) as s:
        print(f"store: {db} ({s.count_comparisons():,} comparisons)", flush=True)
    stamp = int(time.time())

    launches: dict[str, list[float]] = {"duelist": [], "naive": []}
    rss: dict[str, list[float]] = {"duelist": [], "naive": []}
    for i in range(args.launches + 1):  # the first pair is a warm-up, discarded
        for name in ("duelist", "naive"):
            sec, mb = launch_once(db, f"launch-{name}-{stamp}-{i}", naive=name == "naive")
            print(f"  launch {name:8s} #{i}: {sec * 1000:7.1f} ms  peak RSS {mb:6.1f} MB"
                  f"{'  (warm-up)' if i == 0 else ''}", flush=True)
            if i:
                launches[name].append(sec)
                rss[name].append(mb)

    ours, ours_cpu = asyncio.run(press_latencies(db, f"press-duelist-{stamp}", False,
                                                 args.presses))
    inproc_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    naive, naive_cpu = asyncio.run(press_latencies(db, f"press-naive-{stamp}", True,
                                                   args.naive_presses))

    lo, ln = statistics.median(launches["duelist"]), statistics.median(launches["naive"])
    po, pn = statistics.median(ours), statistics.median(naive)
    print()
    print(f"launch to first comparison (median of {args.launches}): duelist {lo * 1000:.0f} ms, "
          f"naive {ln * 1000:.0f} ms, ratio {ln / lo:.1f}x")
    print(f"keypress -> next rendered: duelist median {po:.1f} ms, p95 {pct(ours, 0.95):.1f} ms, "
          f"max {max(ours):.1f} ms over {len(ours)}; naive median {pn:.1f} ms, "
          f"p95 {pct(naive, 0.95):.1f} ms over {len(naive)}; median ratio {pn / po:.1f}x")
    print(f"CPU per judgement (whole process, Pilot included): duelist {ours_cpu:.1f} ms, "
          f"naive {naive_cpu:.1f} ms")
    with open("/proc/loadavg") as fh:
        print(f"load average at the end (2 cores, shared): {fh.read().split()[0]}")
    print(f"peak RSS of the launched app: duelist {statistics.median(rss['duelist']):.0f} MB, "
          f"naive {statistics.median(rss['naive']):.0f} MB; bench process after "
          f"{len(ours)} judgements: {inproc_rss:.0f} MB")


if __name__ == "__main__":
    main()
