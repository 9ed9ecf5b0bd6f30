"""Every accuracy the user sees, with its n and a 95% interval, in one wording.

Why: a run on the demo reported "valid accuracy 0.833" from 6 held-out pairs, which is
5 of 6, and its 95% interval (0.44-0.97) is compatible with a coin. A number without its
n reads as a fact (issue 14, item 3). So every screen and command that shows an accuracy
goes through `accuracy_text`, and below `MIN_TRUSTED_PAIRS` held-out pairs, or when the
interval still holds 0.5, `chance_warning` says plainly that the model may not have
learned anything.

Stdlib only (engine.quality.binomial is pure Python).
"""

from __future__ import annotations

from typing import Any

from duelist.engine.quality.binomial import wilson_interval

# Below this many held-out pairs an accuracy's 95% interval is wider than +-0.15 at 0.75;
# a warning then blames the amount of data rather than the model.
MIN_TRUSTED_PAIRS = 30


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def held_out(metrics: dict[str, Any]) -> tuple[float, int] | None:
    """(accuracy, n) on held-out pairs from a run's final metrics, when it had any."""
    acc = _num(metrics.get("valid_accuracy", metrics.get("eval_accuracy")))
    n = _num(metrics.get("valid_pairs", metrics.get("eval_pairs")))
    if acc is None or n is None or n <= 0:
        return None
    return acc, int(n)


def interval(acc: float, n: int) -> tuple[float, float]:
    return wilson_interval(round(acc * n), n)


def accuracy_text(acc: float, n: int | None, *, digits: int = 3) -> str:
    """"0.833 (n=6, 95% CI 0.44-0.97)"; without n, says so instead of looking exact."""
    if n is None or n <= 0:
        return f"{acc:.{digits}f} (n unknown)"
    lo, hi = interval(acc, n)
    return f"{acc:.{digits}f} (n={n}, 95% CI {lo:.2f}-{hi:.2f})"


def short_accuracy(acc: float | None, n: int | None) -> str:
    """For narrow table cells: "0.833 n=6"."""
    if acc is None:
        return "-"
    return f"{acc:.3f} n={n}" if n else f"{acc:.3f} n=?"


def chance_warning(acc: float, n: int) -> str | None:
    """A plain sentence when an accuracy cannot be told apart from chance (its 95%
    interval holds 0.5), else None; with few pairs it says the data is too little."""
    lo, hi = interval(acc, n)
    if lo > 0.5:
        return None
    if n < MIN_TRUSTED_PAIRS:
        return (f"Too little data to judge this model: only {n} held-out pair"
                f"{'s' if n != 1 else ''} (its accuracy could be anywhere from {lo:.2f} to "
                f"{hi:.2f}). Judge more comparisons and train again.")
    return (f"Not better than chance on {n} held-out pairs (95% CI {lo:.2f}-{hi:.2f} "
            "includes 0.5): the model has not learned your preferences yet.")


def run_accuracy(metrics: dict[str, Any]) -> str | None:
    """The run's headline accuracy as text with n, or None when it has none."""
    found = held_out(metrics)
    if found is not None:
        return accuracy_text(*found)
    valid = _num(metrics.get("valid_accuracy", metrics.get("eval_accuracy")))
    if valid is not None:
        return accuracy_text(valid, None)
    train = _num(metrics.get("train_accuracy", metrics.get("accuracy")))
    return f"train {train:.3f} (no held-out pairs)" if train is not None else None


def run_warning(metrics: dict[str, Any]) -> str | None:
    found = held_out(metrics)
    return chance_warning(*found) if found is not None else None
