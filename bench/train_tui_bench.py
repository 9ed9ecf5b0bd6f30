"""Does judging stay snappy while a reward model trains? Keypress -> next item, p95.

    .venv/bin/python bench/train_tui_bench.py [--presses 150] [--judged 400]

Same app, same store, same measurement, three phases in one run:
  1. baseline: no training;
  2. training: the embedded MiniLM trains (started with the T key and the form, as a
     user would), and we only measure once its first step event arrived (model
     loaded, training hot) and check it is still training when we stop. Blocks of
     keys with the run going alternate with blocks where the worker is frozen
     (SIGSTOP/SIGCONT), so load from other processes on a shared machine falls on
     both kinds of block alike;
  3. baseline again, with the run stopped (bracketing shows drift).

Latency = from just before the key is sent to the moment the annotate screen has
painted the next item (its `painted_at`, stamped after the refresh). Real text from
../shared/data/hh_train.json (synthetic text when absent). Target: p95 < 100 ms
while training.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

from duelist.engine.models.loading import embedded_minilm_path
from duelist.store import NewAnnotation, NewComparison, Store
from duelist.tui.app import AnnotateOptions, DuelistApp
from duelist.tui.run_monitor import monitor_for
from duelist.tui.screens.annotate import AnnotateScreen
from duelist.tui.screens.train_form import TrainFormScreen

HH = Path(__file__).resolve().parents[2] / "shared" / "data" / "hh_train.json"
THINK_S = 0.05  # pause between keys: an annotator does not press at 100 Hz
BLOCKS = 5  # interleaved blocks of each kind while the run is going


def build_project(db: Path, n_items: int, n_judged: int) -> None:
    if HH.exists():
        rows = json.loads(HH.read_text(encoding="utf-8"))
    else:
        rows = [{"prompt": f"Human: q{i}?\n\nAssistant:", "chosen": f"good answer {i}",
                 "rejected": f"bad {i}"} for i in range(1500)]
    with Store.open(db) as store:
        store.insert_comparisons(
            NewComparison(r["prompt"] + f" (#{i})", r["chosen"], r["rejected"], source="bench")
            for i, r in enumerate(rows[:n_items]))
        for cid in store.comparison_ids()[:n_judged]:  # training data, by another annotator
            c = store.get_comparison(cid)
            chosen = rows[cid - 1]["chosen"]
            store.add_annotation(NewAnnotation(cid, "trainer",
                                               "a" if c.response_a == chosen else "b"))


async def press_and_time(pilot, app: DuelistApp, n: int) -> list[float]:
    out = []
    for i in range(n):
        screen = app.screen
        assert isinstance(screen, AnnotateScreen)
        before = getattr(screen, "painted_at", 0.0)
        t0 = time.perf_counter()
        await pilot.press("1" if i % 2 else "2")
        while getattr(screen, "painted_at", 0.0) <= max(before, t0):
            await asyncio.sleep(0.001)
        out.append((screen.painted_at - t0) * 1000)
        await asyncio.sleep(THINK_S)
    return out


def summary(name: str, ms: list[float]) -> tuple[float, float]:
    ms = sorted(ms)
    p95 = ms[max(0, round(0.95 * len(ms)) - 1)]
    med = statistics.median(ms)
    print(f"{name:<22} n={len(ms):4d}  median {med:6.1f} ms  p95 {p95:6.1f} ms  max {ms[-1]:6.1f} ms")
    return med, p95


async def run(presses: int, judged: int, epochs: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        build_project(db, judged + 3 * presses + 50, judged)
        app = DuelistApp(db, AnnotateOptions(annotator="bench", stamp_timing=False))
        async with app.run_test(size=(120, 40)) as pilot:
            while not isinstance(app.screen, AnnotateScreen) or not hasattr(app.screen,
                                                                            "painted_at"):
                await pilot.pause(0.05)
            await press_and_time(pilot, app, 10)  # warm-up
            base1 = await press_and_time(pilot, app, presses)

            await pilot.press("T")
            while not isinstance(app.screen, TrainFormScreen):
                await pilot.pause(0.05)
            form = app.screen
            for field, value in (("model", embedded_minilm_path()), ("epochs", str(epochs)),
                                 ("lr", "5e-5"), ("batch_size", "8"), ("max_seq_length", "256")):
                form.query_one(f"#f-{field}").value = value
            while form.pairs_ready is None:
                await pilot.pause(0.05)
            await pilot.press("enter")
            monitor = monitor_for(app)
            t_start = time.monotonic()
            while monitor.state is None or monitor.state.view().step < 1:
                if monitor.state is not None and monitor.state.view().finished:
                    print("training ended before its first step:", monitor.state.view().error)
                    return 1
                await pilot.pause(0.2)
            print(f"MiniLM run started; first step after {time.monotonic() - t_start:.1f} s")
            await pilot.press("escape")  # back to annotating while it trains
            while not isinstance(app.screen, AnnotateScreen):
                await pilot.pause(0.05)
            step0 = monitor.state.view().step
            # Interleave blocks: training running vs the worker frozen (SIGSTOP), so
            # drifting load from other processes on a shared machine hits both alike.
            during: list[float] = []
            paused: list[float] = []
            group = os.getpgid(monitor.watch.pid)
            for block in range(2 * BLOCKS):
                n = presses // BLOCKS
                if block % 2:
                    os.killpg(group, signal.SIGSTOP)
                    try:
                        paused += await press_and_time(pilot, app, n)
                    finally:
                        os.killpg(group, signal.SIGCONT)
                else:
                    during += await press_and_time(pilot, app, n)
            view = monitor.state.view()
            still = not view.finished
            print(f"training went from step {step0} to {view.step}/{view.total_steps} while "
                  f"judging; still training at the end: {still}; "
                  f"{view.pairs_per_s or 0:.1f} pairs/s")
            if monitor.watch is not None:
                monitor.stop_now()
            base2 = await press_and_time(pilot, app, presses)

        print()
        m1, p1 = summary("baseline (before)", base1)
        mt, pt = summary("while MiniLM trains", during)
        ms, ps = summary("worker frozen (inter.)", paused)
        m2, p2 = summary("baseline (after)", base2)
        mb, pb = statistics.median([m1, m2]), statistics.median([p1, p2])
        print(f"\nratio training/baseline (before+after): median {mt / mb:.2f}x  p95 {pt / pb:.2f}x")
        print(f"ratio training/frozen (interleaved blocks): median {mt / ms:.2f}x  "
              f"p95 {pt / ps:.2f}x")
        print(f"target p95 < 100 ms while training: {'MET' if pt < 100 else 'NOT MET'}"
              f"{'' if still else ' (warning: training finished before the last key)'}")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--presses", type=int, default=150)
    ap.add_argument("--judged", type=int, default=400, help="pairs the MiniLM run trains on")
    ap.add_argument("--epochs", type=int, default=1)
    args = ap.parse_args()
    return asyncio.run(run(args.presses, args.judged, args.epochs))


if __name__ == "__main__":
    sys.exit(main())
