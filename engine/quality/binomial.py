"""Exact binomial tests in pure Python (no scipy on the TUI path).

Used for position bias (is the left-pick rate far from 1/2?) and for "is this
annotator better than a coin?" on gold items and majority agreement.
"""

from __future__ import annotations

import math


def _log_pmf(k: int, n: int, p: float) -> float:
    if p <= 0.0:
        return 0.0 if k == 0 else -math.inf
    if p >= 1.0:
        return 0.0 if k == n else -math.inf
    return (math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
            + k * math.log(p) + (n - k) * math.log1p(-p))


def binom_two_sided(k: int, n: int, p: float = 0.5) -> float:
    """Two-sided exact p-value: the total probability of outcomes no more likely
    than the observed one (the same rule as scipy.stats.binomtest)."""
    if n <= 0:
        return 1.0
    if not 0 <= k <= n:
        raise ValueError(f"k={k} outside 0..{n}")
    observed = _log_pmf(k, n, p)
    slack = 1e-7  # relative tolerance for ties in floating point, as scipy uses
    total = 0.0
    for i in range(n + 1):
        lp = _log_pmf(i, n, p)
        if lp <= observed + math.log1p(slack):
            total += math.exp(lp)
    return min(1.0, total)


def binom_greater(k: int, n: int, p: float = 0.5) -> float:
    """One-sided p-value P(X >= k) under Binomial(n, p)."""
    if n <= 0:
        return 1.0
    return min(1.0, sum(math.exp(_log_pmf(i, n, p)) for i in range(max(0, k), n + 1)))


def binom_less(k: int, n: int, p: float = 0.5) -> float:
    """One-sided p-value P(X <= k) under Binomial(n, p)."""
    if n <= 0:
        return 1.0
    return min(1.0, sum(math.exp(_log_pmf(i, n, p)) for i in range(0, min(k, n) + 1)))


def wilson_interval(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for a proportion k/n (95% for z=1.96).

    Why Wilson rather than k/n +- z*se: with the few held-out pairs a small project
    has (6, 20), the normal interval runs past 0 and 1 and collapses to a point at
    k=n, which is exactly when a user most needs to see how wide it really is.
    """
    if n <= 0:
        return 0.0, 1.0
    p = k / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)
