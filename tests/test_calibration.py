"""Calibration and evaluation metrics on synthetic data with a known truth."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest
from duelist.engine.errors import ModelLoadError
from duelist.engine.scoring.calibration import (
    Calibration,
    expected_calibration_error,
    fit,
    fit_temperature,
    pair_ece,
    sigmoid,
)
from duelist.engine.scoring.evaluate import pair_metrics, pearson, spearman


def miscalibrated_margins(n: int, overconfidence: float, seed: int = 0) -> list[float]:
    """Margins of a model that is `overconfidence` times too sure.

    True P(chosen wins) = sigmoid(z); the model reports z * overconfidence. Each pair is
    oriented by a coin flip with the true probability, like real human labels.
    """
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        z = rng.gauss(0.0, 1.5)
        first_wins = rng.random() < sigmoid(z)
        m = z * overconfidence
        out.append(m if first_wins else -m)
    return out


@pytest.mark.parametrize("factor", [4.0, 0.25])
def test_temperature_recovers_the_distortion_and_lowers_ece(factor: float) -> None:
    margins = miscalibrated_margins(4000, factor)
    cal = fit(margins)
    assert cal.temperature == pytest.approx(factor, rel=0.15)
    assert cal.ece_after < cal.ece_before
    assert cal.ece_after < 0.03
    assert cal.nll_after < cal.nll_before
    assert cal.ece_before > 0.08  # the set really was miscalibrated


def test_well_calibrated_scores_keep_temperature_near_one() -> None:
    cal = fit(miscalibrated_margins(4000, 1.0, seed=1))
    assert cal.temperature == pytest.approx(1.0, rel=0.15)


def test_degenerate_margins_do_not_explode() -> None:
    assert fit_temperature([]) == 1.0
    assert fit_temperature([0.0, 0.0]) == 1.0
    t = fit_temperature([1.0, 2.0, 3.0])  # all correct: as sure as the bounds allow
    assert math.isfinite(t) and t > 0


def test_calibration_round_trips_and_rejects_garbage(tmp_path: Path) -> None:
    assert Calibration.load(tmp_path) is None
    cal = fit(miscalibrated_margins(500, 3.0))
    cal.save(tmp_path)
    back = Calibration.load(tmp_path)
    assert back == cal
    assert back.prob(2.0) == pytest.approx(sigmoid(2.0 / cal.temperature))
    (tmp_path / "calibration.json").write_text('{"temperature": -1}')
    with pytest.raises(ModelLoadError, match="positive"):
        Calibration.load(tmp_path)
    (tmp_path / "calibration.json").write_text("not json")
    with pytest.raises(ModelLoadError, match=r"calibration\.json"):
        Calibration.load(tmp_path)


def test_ece_by_hand() -> None:
    # two bins: [0.1 x2, labels 0,1] -> |0.1-0.5|*2/4 ; [0.9 x2, labels 1,1] -> |0.9-1|*2/4
    assert expected_calibration_error([0.1, 0.1, 0.9, 0.9], [0, 1, 1, 1]) == pytest.approx(
        0.4 * 0.5 + 0.1 * 0.5)
    assert expected_calibration_error([], []) == 0.0
    # symmetric pair ECE of a perfectly calibrated coin: 0
    assert pair_ece([0.0, 0.0]) == pytest.approx(0.0)


def test_correlations() -> None:
    xs = [1.0, 2.0, 3.0, 4.0]
    assert pearson(xs, [2.0, 4.0, 6.0, 8.0]) == pytest.approx(1.0)
    assert pearson(xs, [1.0, 1.0, 1.0, 1.0]) is None
    assert spearman(xs, [1.0, 10.0, 100.0, 1000.0]) == pytest.approx(1.0)
    assert spearman(xs, [4.0, 3.0, 2.0, 1.0]) == pytest.approx(-1.0)


def test_pair_metrics_accuracy_margin_and_length_bias() -> None:
    chosen, rejected = [2.0, 1.0, 0.5, 3.0], [1.0, 2.0, 0.5, 0.0]
    report = pair_metrics(chosen, rejected, [10, 20, 30, 40], [5, 25, 30, 10],
                          Calibration(temperature=2.0))
    assert report.accuracy == pytest.approx((1 + 0 + 0.5 + 1) / 4)
    assert report.mean_margin == pytest.approx((1 - 1 + 0 + 3) / 4)
    assert report.temperature == 2.0 and report.ece_calibrated is not None
    assert report.longer_wins == pytest.approx(1.0)  # the longer one won every unequal pair
    assert report.length_pearson is not None and report.length_pearson > 0
    with pytest.raises(ValueError):
        pair_metrics([], [], [], [])
