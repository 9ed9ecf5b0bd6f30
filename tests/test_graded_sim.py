"""The simulations behind the graded-strength and adjudication benchmarks (small runs)."""

from __future__ import annotations

import numpy as np
import pytest

from bench.sim.graded import (
    _fit_margin,
    adjudication_accuracy,
    graded_curve,
    labels_to,
)


def test_margin_fit_meets_the_margin_on_separable_pairs() -> None:
    rng = np.random.default_rng(0)
    d = rng.normal(size=(200, 3))
    d[:, 0] = np.abs(d[:, 0]) + 0.5  # chosen always ahead on feature 0
    plain = _fit_margin(d, np.zeros(200), l2=1e-3)
    wide = _fit_margin(d, np.ones(200), l2=1e-3)
    # asking for a margin of 1 makes the fitted reward gaps wider, not the direction worse
    assert np.mean(d @ wide) > np.mean(d @ plain)
    assert np.mean(d @ wide > 0) == 1.0


def test_graded_curve_learns_and_counts_labels() -> None:
    curve = graded_curve(0, True, n_pool=200, budget=100, step=20)
    assert [n for n, _ in curve] == [20, 40, 60, 80, 100]
    assert curve[-1][1] > 0.8
    assert labels_to(curve, 0.0) == 20 and labels_to(curve, 1.01) is None


def test_a_perfect_lead_adjudicating_beats_the_weighted_vote() -> None:
    res = adjudication_accuracy(0, lead_accuracy=1.0, n_items=150)
    assert res["reviewed"] > 0
    assert res["adjudicated"] > res["weighted"]
    assert res["adjudicated"] == pytest.approx(1.0, abs=0.1)
