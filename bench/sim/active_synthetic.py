"""Does uncertainty-first ordering save labels? A synthetic check through the real queue.

    python -m bench.sim.active_synthetic [--seeds 5] [--target 0.9]

Each comparison is a pair of responses with hidden feature vectors; the truth
is a Bradley-Terry preference r(x) = w.x (with a little label noise). The
"reward model" is logistic regression on feature differences, cheap enough to
retrain after every batch. The loop runs through the same store calls the
product uses: a model is registered per round, its rewards are stored with
`put_scores`, and the next items come from `claim_next(order=...)`; a
simulated annotator judges them and `add_annotations_bulk` records it.

The numbers compare how many labels each order needs before the model reaches
`target` accuracy on held-out pairs. numpy only (it comes with torch), no torch.

SYNTHETIC ONLY: on real human preferences (bench/active_real_bench.py, BENCHMARKS.md
"Active learning on real preferences") no order saved labels over random.
"""

from __future__ import annotations

import argparse
import statistics
from dataclasses import dataclass

import numpy as np
from duelist.store import NewAnnotation, NewComparison, Score, Store


@dataclass
class Curve:
    order: str
    labels: list[int]
    accuracy: list[float]

    def labels_to(self, target: float) -> int | None:
        for n, acc in zip(self.labels, self.accuracy, strict=True):
            if acc >= target:
                return n
        return None


def _fit(diffs: np.ndarray, y: np.ndarray, l2: float = 1e-2, iters: int = 25) -> np.ndarray:
    """Logistic regression without intercept (a reward difference has none), by Newton."""
    w = np.zeros(diffs.shape[1])
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-diffs @ w))
        grad = diffs.T @ (p - y) + l2 * w
        hess = (diffs * (p * (1 - p))[:, None]).T @ diffs + l2 * np.eye(len(w))
        w -= np.linalg.solve(hess, grad)
    return w


def run_order(order: str, *, seed: int = 0, n_pool: int = 1500, n_test: int = 1000,
              dim: int = 8, noise: float = 0.05, start: int = 10, batch: int = 10,
              budget: int = 300) -> Curve:
    """One active-learning run with `order` ('uncertainty' or 'random')."""
    rng = np.random.default_rng(seed)
    w_true = rng.normal(size=dim)
    xa, xb = rng.normal(size=(n_pool, dim)), rng.normal(size=(n_pool, dim))
    truth_a = (xa - xb) @ w_true > 0
    flip = rng.random(n_pool) < noise  # annotators err sometimes
    ta, tb = rng.normal(size=(n_test, dim)), rng.normal(size=(n_test, dim))
    test_y = (ta - tb) @ w_true > 0
    store = Store.open(":memory:")
    store.insert_comparisons(NewComparison(prompt=f"q{i}", response_a=f"a{i}", response_b=f"b{i}")
                             for i in range(n_pool))
    ids = store.comparison_ids()  # insertion order: ids[i] is item i
    index = {cid: i for i, cid in enumerate(ids)}
    labelled: list[int] = []
    curve = Curve(order, [], [])
    model_id: int | None = None
    while len(labelled) < budget:
        want = start if not labelled else batch
        picked = []
        for _ in range(want):
            c = store.claim_next("sim", order=order if model_id else "random",
                                 model_id=model_id, seed=seed,
                                 exclude={ids[i] for i in picked})
            if c is None:
                break
            picked.append(index[c.id])
        store.add_annotations_bulk([
            NewAnnotation(comparison_id=ids[i], annotator="sim",
                          choice="a" if truth_a[i] != flip[i] else "b") for i in picked])
        labelled.extend(picked)
        y = np.array([1.0 if truth_a[i] != flip[i] else 0.0 for i in labelled])
        w = _fit(xa[labelled] - xb[labelled], y)
        curve.labels.append(len(labelled))
        curve.accuracy.append(float(np.mean(((ta - tb) @ w > 0) == test_y)))
        model_id = store.register_model(f"/sim/{order}/{len(labelled)}", "sim").id
        ra, rb = xa @ w, xb @ w
        store.put_scores(Score(model_id, ids[i], float(ra[i]), float(rb[i]))
                         for i in range(n_pool) if i not in set(labelled))
    store.close()
    return curve


def compare(seeds: int = 5, target: float = 0.95, **kw) -> dict[str, list[int | None]]:
    """Labels needed to reach `target`, per order, one entry per seed."""
    out: dict[str, list[int | None]] = {"uncertainty": [], "random": []}
    for seed in range(seeds):
        for order in out:
            out[order].append(run_order(order, seed=seed, **kw).labels_to(target))
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--target", type=float, default=0.95)
    p.add_argument("--budget", type=int, default=300)
    args = p.parse_args(argv)
    res = compare(args.seeds, args.target, budget=args.budget)
    for order, needed in res.items():
        got = [n for n in needed if n is not None]
        med = statistics.median(got) if got else None
        print(f"{order:12s} labels to {args.target:.0%} held-out accuracy: {needed} "
              f"(median {med})")
    u = [n or args.budget for n in res["uncertainty"]]
    r = [n or args.budget for n in res["random"]]
    print(f"uncertainty/random median ratio: {statistics.median(u) / statistics.median(r):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
