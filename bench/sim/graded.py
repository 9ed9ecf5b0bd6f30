"""Simulations behind the graded-strength and adjudication benchmarks.

1. Graded labels, with vs without the margin loss. Items are pairs of responses
   with hidden feature vectors; the true reward is r(x) = w.x. A simulated
   annotator picks the better side with Bradley-Terry probability
   sigmoid(gap / temperature) and grades it from |gap| plus noise (slightly /
   clearly / much at the tertiles of |gap|). The judgements go into a store,
   `resolve_pairs` turns them into pairs with the product's own strength->margin
   mapping, and a linear reward model is fitted by Newton's method on TRL's loss
   -logsigmoid(r_c - r_r - margin) (margin 0 without --use-margin). We count the
   labels needed before held-out pairwise accuracy (against the true reward)
   reaches the target.
2. Adjudication vs weighted vote: the standard simulated team judges items
   (simulate.populate); a lead who is right with probability `lead_accuracy`
   adjudicates every item the review screen would list; resolution accuracy of
   `adjudicated:weighted` vs `weighted` is measured against the truth.

numpy only (it comes with torch), no torch: both run in seconds.
"""

from __future__ import annotations

import random

import numpy as np
from duelist.engine.preferences.resolve import resolve_pairs
from duelist.store import NewAnnotation, NewComparison, Store

from bench.sim.annotators import populate, standard_team


def _fit_margin(diffs: np.ndarray, margins: np.ndarray, l2: float = 1e-2,
                iters: int = 30) -> np.ndarray:
    """Linear reward minimising mean -logsigmoid(d.w - margin) + l2/2 |w|^2 (Newton)."""
    w = np.zeros(diffs.shape[1])
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-(diffs @ w - margins)))
        grad = -(diffs.T @ (1 - p)) + l2 * w
        hess = (diffs * (p * (1 - p))[:, None]).T @ diffs + l2 * np.eye(len(w))
        w -= np.linalg.solve(hess, grad)
    return w


def graded_curve(seed: int, use_margin: bool, *, n_pool: int = 600, n_test: int = 1000,
                 dim: int = 8, temperature: float = 0.5, grade_noise: float = 0.3,
                 step: int = 10, budget: int = 300) -> list[tuple[int, float]]:
    """(labels, held-out accuracy) after each `step` labels, in one random order."""
    rng = np.random.default_rng(seed)
    w_true = rng.normal(size=dim)
    xa, xb = rng.normal(size=(n_pool, dim)), rng.normal(size=(n_pool, dim))
    gap = (xa - xb) @ w_true
    a_wins = rng.random(n_pool) < 1.0 / (1.0 + np.exp(-gap / temperature))
    seen = np.abs(gap) * np.exp(rng.normal(scale=grade_noise, size=n_pool))
    cuts = np.quantile(np.abs(gap), [1 / 3, 2 / 3])
    strength = 1 + (seen > cuts[0]).astype(int) + (seen > cuts[1]).astype(int)
    ta, tb = rng.normal(size=(n_test, dim)), rng.normal(size=(n_test, dim))
    test_a = (ta - tb) @ w_true > 0

    store = Store.open(":memory:")
    store.insert_comparisons(NewComparison(f"q{i}", f"a{i}", f"b{i}") for i in range(n_pool))
    ids = store.comparison_ids()
    store.add_annotations_bulk([
        NewAnnotation(ids[i], "sim", "a" if a_wins[i] else "b", strength=int(strength[i]))
        for i in range(n_pool)])
    index = {cid: i for i, cid in enumerate(ids)}
    pairs = resolve_pairs(store).pairs  # the product's margin mapping
    store.close()
    rows = []
    for p in pairs:
        i = index[p.comparison_id]
        chosen_a = p.chosen == f"a{i}"
        d = (xa[i] - xb[i]) if chosen_a else (xb[i] - xa[i])
        rows.append((d, p.margin if use_margin else 0.0))
    order = random.Random(seed).sample(range(len(rows)), len(rows))
    curve = []
    for n in range(step, min(budget, len(rows)) + 1, step):
        pick = order[:n]
        w = _fit_margin(np.array([rows[k][0] for k in pick]),
                        np.array([rows[k][1] for k in pick]))
        curve.append((n, float(np.mean(((ta - tb) @ w > 0) == test_a))))
    return curve


def labels_to(curve: list[tuple[int, float]], target: float) -> int | None:
    return next((n for n, acc in curve if acc >= target), None)


def compare_margin(seeds: int = 10, target: float = 0.95, **kw) -> dict[str, list[int | None]]:
    """Labels to `target`, per seed, with and without the margin loss."""
    out: dict[str, list[int | None]] = {"margin": [], "plain": []}
    for seed in range(seeds):
        out["margin"].append(labels_to(graded_curve(seed, True, **kw), target))
        out["plain"].append(labels_to(graded_curve(seed, False, **kw), target))
    return out


def resolution_accuracy(store: Store, truth: dict[int, str], policy: str) -> float:
    """Share of the non-gold items whose resolved pair agrees with the simulated truth."""
    gold = store.gold_answers()
    right = 0
    for p in resolve_pairs(store, policy).pairs:
        if p.comparison_id in gold:
            continue
        c = store.get_comparison(p.comparison_id)
        right += (p.chosen == c.response_a) == (truth[c.id] == "a")
    return right / (len(truth) - len(gold))


def adjudication_accuracy(seed: int, lead_accuracy: float = 0.95, n_items: int = 400
                          ) -> dict[str, float]:
    """Resolution accuracy vs truth (non-gold items) of weighted vote, and of
    adjudicating every item the review screen lists first; plus how many that was."""
    store = Store.open(":memory:")
    truth = populate(store, standard_team(), n_items=n_items, overlap=3, seed=100 + seed)
    gold = store.gold_answers()
    weighted = resolution_accuracy(store, truth, "weighted")
    rng = random.Random(seed)
    disputed = [cid for cid in store.review_comparison_ids() if cid not in gold]
    for cid in disputed:
        right = truth[cid]
        wrong = "b" if right == "a" else "a"
        store.add_adjudication(cid, "lead", right if rng.random() < lead_accuracy else wrong)
    adjudicated = resolution_accuracy(store, truth, "adjudicated:weighted")
    n = len(truth) - len(gold)
    store.close()
    return {"weighted": weighted, "adjudicated": adjudicated, "reviewed": len(disputed),
            "items": n}
