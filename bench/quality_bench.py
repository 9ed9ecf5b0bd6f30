"""Annotation-quality benchmarks, each against its baseline in the same run.

    .venv/bin/python bench/quality_bench.py [--seeds 10] [--store-size 200000]

1. Labels to a target accuracy: uncertainty-first queue vs random order
   (engine/quality/active.py: synthetic Bradley-Terry data, logistic-regression
   reward model, the product's own claim_next over stored scores).
2. Resolution accuracy on simulated teams (2 good annotators, a random one, a
   left-biased one, an adversary; 3 judges per item): reliability-weighted vote
   vs majority vote, through resolve_pairs.
3. Claiming the next item on a big, half-done store: claim_next (atomic lease,
   overlap quota) vs the per-annotator next_for_annotator it replaces when
   annotators share a database.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from duelist.engine.quality.active import compare
from duelist.engine.quality.simulate import populate, standard_team
from duelist.engine.resolve import resolve_pairs
from duelist.store import NewAnnotation, NewComparison, Score, Store


def bench_active(seeds: int, target: float, budget: int) -> None:
    res = compare(seeds=seeds, target=target, budget=budget)
    cap = budget + 10
    u = [n if n is not None else cap for n in res["uncertainty"]]
    r = [n if n is not None else cap for n in res["random"]]
    print(f"[active] labels to {target:.0%} held-out accuracy over {seeds} seeds "
          f"(not reached -> {cap}):")
    print(f"  uncertainty {res['uncertainty']}  median {statistics.median(u)}")
    print(f"  random      {res['random']}  median {statistics.median(r)}")
    print(f"  ratio uncertainty/random (medians): {statistics.median(u) / statistics.median(r):.2f}")


def bench_weighted(seeds: int) -> None:
    maj, wtd = [], []
    for seed in range(seeds):
        store = Store.open(":memory:")
        truth = populate(store, standard_team(), n_items=400, overlap=3, seed=100 + seed)
        gold = store.gold_answers()
        n = len(truth) - len(gold)
        for policy, out in (("majority", maj), ("weighted", wtd)):
            right = 0
            for p in resolve_pairs(store, policy).pairs:
                if p.comparison_id in gold:
                    continue
                c = store.get_comparison(p.comparison_id)
                right += (p.chosen == c.response_a) == (truth[c.id] == "a")
            out.append(right / n)
        store.close()
    print(f"[resolve] accuracy vs truth on simulated teams ({seeds} seeds, 360 items each):")
    print(f"  majority median {statistics.median(maj):.3f}  weighted median "
          f"{statistics.median(wtd):.3f}  ratio {statistics.median(wtd) / statistics.median(maj):.2f}")


def bench_claim(size: int, reps: int = 30) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.db"
        store = Store.open(path)
        store.insert_comparisons(NewComparison(f"prompt {i}", f"a {i}", f"b {i}") for i in range(size))
        store.add_annotations_bulk([NewAnnotation(i, "earlier", "a") for i in range(1, size // 2 + 1)])
        model = store.register_model("/bench/model", "bench")
        rng = random.Random(0)
        store.put_scores(Score(model.id, i, rng.random(), rng.random()) for i in range(1, size + 1))
        rows = []
        for label, call in (
                ("next_for_annotator (baseline, no lease)",
                 lambda k: store.next_for_annotator(f"base{k}")),
                ("claim_next sequential, overlap 1",
                 lambda k: store.claim_next(f"seq{k}", overlap=1)),
                ("claim_next random, overlap 2",
                 lambda k: store.claim_next(f"rnd{k}", overlap=2, order="random")),
                ("claim_next uncertainty, overlap 1",
                 lambda k: store.claim_next(f"unc{k}", overlap=1, order="uncertainty",
                                            model_id=model.id))):
            times = []
            for k in range(reps):
                t0 = time.perf_counter()
                assert call(k) is not None
                times.append(time.perf_counter() - t0)
            rows.append((label, statistics.median(times) * 1000))
        store.close()
    base = rows[0][1]
    print(f"[claim] next item on a {size:,}-comparison store, half judged (median of {reps}):")
    for label, ms in rows:
        print(f"  {label:42s} {ms:8.3f} ms  ({ms / base:.0f}x baseline)")
    print("  (claim_next commits a lease with synchronous=FULL: the fsync dominates)")


def main() -> None:
    p = argparse.ArgumentParser(description="annotation-quality benchmarks")
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--target", type=float, default=0.95)
    p.add_argument("--budget", type=int, default=300)
    p.add_argument("--store-size", type=int, default=200_000)
    args = p.parse_args()
    print(f"machine: {os.cpu_count()} cores (shared with other jobs)")
    bench_active(args.seeds, args.target, args.budget)
    bench_weighted(args.seeds)
    bench_claim(args.store_size)


if __name__ == "__main__":
    main()
