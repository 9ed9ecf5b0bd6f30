"""Uncertainty-first ordering reaches a target accuracy with fewer labels than random.

Synthetic Bradley-Terry data, logistic regression as the reward model, and the
product's own queue (`claim_next(order="uncertainty")` over stored scores).
"""

from __future__ import annotations

import statistics

from bench.sim.active_synthetic import compare, run_order


def test_uncertainty_order_needs_fewer_labels():
    budget, target = 250, 0.95
    res = compare(seeds=4, target=target, budget=budget)
    # A run that never reached the target counts as needing more than the budget.
    u = [n if n is not None else budget + 10 for n in res["uncertainty"]]
    r = [n if n is not None else budget + 10 for n in res["random"]]
    print(f"\nlabels to {target:.0%} held-out accuracy (4 seeds): uncertainty {res['uncertainty']} "
          f"(mean {statistics.mean(u):.0f}), random {res['random']} (mean {statistics.mean(r):.0f})")
    assert statistics.mean(u) < 0.8 * statistics.mean(r)
    assert all(n is not None for n in res["uncertainty"])


def test_both_orders_start_from_the_same_seed_set():
    """A fair race: same data, same first random labels, same first model; only the
    ordering after that differs."""
    u = run_order("uncertainty", seed=3, budget=30)
    r = run_order("random", seed=3, budget=30)
    assert u.labels == r.labels == [10, 20, 30]
    assert u.accuracy[0] == r.accuracy[0]  # same random seed set, same first model
