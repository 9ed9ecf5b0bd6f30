"""Chance-corrected agreement for pairwise judgements: Cohen, Fleiss, Krippendorff.

Why chance-corrected: two annotators who both click "A" 90% of the time agree
often by luck alone. Kappa and alpha subtract that luck, so 0 means "no better
than chance" and 1 means "perfect", whatever the label mix.

Labels are the decisive judgement categories in the store's orientation
('a', 'b', 'tie', 'both_bad'); callers drop 'skip' before they get here.
Pure stdlib: the stats screen computes these without importing numpy or scipy.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from itertools import combinations

Label = Hashable


def cohen_kappa(first: Sequence[Label], second: Sequence[Label]) -> float | None:
    """Cohen's kappa of two raters over the same items (aligned sequences).

    kappa = (p_o - p_e) / (1 - p_e), with p_e from each rater's own label mix.
    Returns None when there is nothing to compare. When both raters use one and
    the same label on every item (p_e == 1) agreement is perfect but
    uninformative; we return 1.0 if they agree everywhere, in line with common
    practice, else 0.0.
    """
    if len(first) != len(second):
        raise ValueError("cohen_kappa needs two sequences of the same length")
    n = len(first)
    if n == 0:
        return None
    p_o = sum(x == y for x, y in zip(first, second, strict=True)) / n
    c1, c2 = Counter(first), Counter(second)
    p_e = sum(c1[k] * c2[k] for k in c1) / (n * n)
    if p_e >= 1.0:
        return 1.0 if p_o >= 1.0 else 0.0
    return (p_o - p_e) / (1.0 - p_e)


def pairwise_cohen(items: Mapping[object, Mapping[str, Label]],
                   min_items: int = 1) -> list[tuple[str, str, float | None, int]]:
    """Cohen's kappa for every annotator pair over the items both judged.

    `items` maps item -> {annotator: label}. Returns (a, b, kappa, n_shared)
    sorted by annotator names; pairs with fewer than `min_items` shared items
    get kappa None (still listed, so a screen can show "too few").
    """
    names = sorted({a for labels in items.values() for a in labels})
    out: list[tuple[str, str, float | None, int]] = []
    for a, b in combinations(names, 2):
        xs, ys = [], []
        for labels in items.values():
            if a in labels and b in labels:
                xs.append(labels[a])
                ys.append(labels[b])
        kappa = cohen_kappa(xs, ys) if len(xs) >= max(1, min_items) else None
        out.append((a, b, kappa, len(xs)))
    return out


def fleiss_kappa(items: Mapping[object, Mapping[str, Label]]) -> tuple[float | None, int]:
    """Fleiss' kappa over items with at least two ratings; returns (kappa, n_items).

    Uses the unequal-raters form: each item's agreement
    P_i = (sum_j n_ij^2 - n_i) / (n_i (n_i - 1)) is averaged, and chance
    agreement P_e = sum_j p_j^2 uses label shares pooled over all ratings.
    With a constant number of raters this is exactly Fleiss (1971).
    """
    rows = [Counter(labels.values()) for labels in items.values() if len(labels) >= 2]
    if not rows:
        return None, 0
    totals: Counter = Counter()
    p_bar = 0.0
    n_ratings = 0
    for row in rows:
        n_i = sum(row.values())
        p_bar += (sum(v * v for v in row.values()) - n_i) / (n_i * (n_i - 1))
        totals.update(row)
        n_ratings += n_i
    p_bar /= len(rows)
    p_e = sum((v / n_ratings) ** 2 for v in totals.values())
    if p_e >= 1.0:
        return (1.0 if p_bar >= 1.0 else 0.0), len(rows)
    return (p_bar - p_e) / (1.0 - p_e), len(rows)


def krippendorff_alpha(items: Mapping[object, Mapping[str, Label]]) -> tuple[float | None, int]:
    """Krippendorff's alpha (nominal) over items with two or more ratings.

    alpha = 1 - D_o / D_e from the coincidence matrix: each item with m_u
    ratings adds 1/(m_u - 1) for every ordered pair of its ratings. Unlike
    Fleiss it treats missing ratings properly, which is the normal case when
    each annotator saw a different subset. Returns (alpha, n_items).
    """
    coincidence: Counter = Counter()
    used = 0
    for labels in items.values():
        values = list(labels.values())
        m = len(values)
        if m < 2:
            continue
        used += 1
        for i, vi in enumerate(values):
            for j, vj in enumerate(values):
                if i != j:
                    coincidence[(vi, vj)] += 1.0 / (m - 1)
    if not used:
        return None, 0
    n_c: Counter = Counter()
    for (c, _k), v in coincidence.items():
        n_c[c] += v
    n = sum(n_c.values())
    observed = sum(v for (c, k), v in coincidence.items() if c != k)
    expected = (n * n - sum(v * v for v in n_c.values())) / (n - 1)
    if expected <= 0:
        return (1.0 if observed == 0 else 0.0), used
    return 1.0 - observed / expected, used
