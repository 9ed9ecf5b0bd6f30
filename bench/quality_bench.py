"""Annotation-quality benchmarks, each against its baseline in the same run.

    .venv/bin/python bench/quality_bench.py [--seeds 10] [--store-size 200000]

1. Labels to a target accuracy: uncertainty-first queue vs random order
   (bench/sim/active_synthetic.py: synthetic Bradley-Terry data, logistic-regression
   reward model, the product's own claim_next over stored scores).
2. Resolution accuracy on simulated teams (2 good annotators, a random one, a
   left-biased one, an adversary; 3 judges per item): reliability-weighted vote
   vs majority vote, through resolve_pairs.
3. Claiming the next item on a big, half-done store: claim_next (atomic lease,
   overlap quota) vs the per-annotator next_for_annotator it replaces when
   annotators share a database.
4. Graded labels (strength from the true reward gap plus noise): labels to the
   target accuracy with TRL's margin loss vs without it
   (bench/sim/graded.py, through resolve_pairs' strength->margin).
5. Simulated disagreement: a lead (right 95% of the time) adjudicates every item
   the review screen lists; `adjudicated:weighted` vs the weighted vote.

`--only graded,adjudication` runs a subset (names: active, weighted, claim,
graded, adjudication).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

# bench.sim (the simulations) is not shipped: run from a checkout, import it from the repo.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from duelist.store import NewAnnotation, NewComparison, Score, Store

from bench.sim.active_synthetic import compare
from bench.sim.annotators import populate, standard_team
from bench.sim.graded import adjudication_accuracy, compare_margin, resolution_accuracy


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
        for policy, out in (("majority", maj), ("weighted", wtd)):
            out.append(resolution_accuracy(store, truth, policy))
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


def _median_capped(values: list[int | None], cap: int) -> float:
    return statistics.median(v if v is not None else cap for v in values)


def bench_graded(seeds: int, target: float, budget: int) -> None:
    res = compare_margin(seeds=seeds, target=target, budget=budget, step=5)
    cap = budget + 5
    m, p = _median_capped(res["margin"], cap), _median_capped(res["plain"], cap)
    print(f"[graded] labels to {target:.0%} held-out accuracy with graded judgements, "
          f"{seeds} seeds (not reached -> {cap}):")
    print(f"  margin loss {res['margin']}  median {m}")
    print(f"  plain BT    {res['plain']}  median {p}")
    print(f"  ratio margin/plain (medians): {m / p:.2f}")


def bench_adjudication(seeds: int, lead_accuracy: float = 0.95) -> None:
    runs = [adjudication_accuracy(seed, lead_accuracy) for seed in range(seeds)]
    w = statistics.median(r["weighted"] for r in runs)
    a = statistics.median(r["adjudicated"] for r in runs)
    reviewed = statistics.median(r["reviewed"] for r in runs)
    items = runs[0]["items"]
    print(f"[adjudicate] resolution accuracy vs truth, standard team, {seeds} seeds, "
          f"{items} items each; lead right {lead_accuracy:.0%} of the time:")
    print(f"  weighted vote median {w:.3f}  adjudicated:weighted median {a:.3f}  "
          f"ratio {a / w:.2f}; items the lead reviewed: median {reviewed} of {items}")


def main() -> None:
    p = argparse.ArgumentParser(description="annotation-quality benchmarks")
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--target", type=float, default=0.95)
    p.add_argument("--budget", type=int, default=300)
    p.add_argument("--store-size", type=int, default=200_000)
    p.add_argument("--only", default="active,weighted,claim,graded,adjudication",
                   help="comma-separated subset to run")
    args = p.parse_args()
    only = set(args.only.split(","))
    print(f"machine: {os.cpu_count()} cores (shared with other jobs)")
    if "active" in only:
        bench_active(args.seeds, args.target, args.budget)
    if "weighted" in only:
        bench_weighted(args.seeds)
    if "claim" in only:
        bench_claim(args.store_size)
    if "graded" in only:
        bench_graded(args.seeds, args.target, args.budget)
    if "adjudication" in only:
        bench_adjudication(args.seeds)


if __name__ == "__main__":
    main()
