"""Acquisition rules: which unlabelled comparisons to ask annotators about next.

Why this module: the queue's model-driven orders (uncertainty, disagreement) were
chosen on a synthetic benchmark. On real human preferences the closest calls are
often the ambiguous ones, so other rules from the active-learning literature are
measured here too (bench/active_real_bench.py) on the same footing. Each rule takes
arrays for the open pool and returns the batch of pool indices to label next, best
first, so the benchmark and any product caller use one implementation.

Inputs, per open comparison i (all numpy arrays, numpy only, no torch):
- `score_a[i]`, `score_b[i]`: the current model's rewards for the two responses;
- `std_a[i]`, `std_b[i]`: the ensemble's spread per response (`duelist train --ensemble K`);
- `feat_a[i]`, `feat_b[i]`: the representation the reward head reads (its input),
  for the rules that need geometry (diversity, expected model change).

Rules:
- `random`: a seeded uniform draw (the baseline every rule must beat).
- `uncertainty`: smallest |score_a - score_b| first (the queue's old model order).
- `disagreement`: largest std_a^2 + std_b^2 first (the queue's ensemble order; the same
  key as the store's `idx_scores_spread`).
- `uncertainty_random`: a fixed share of each batch drawn at random, the rest by
  uncertainty (exploration guards against a model that is confidently wrong).
- `diverse_uncertain`: among the `candidates` x batch most uncertain items, a greedy
  k-center batch on the pair embeddings, so one batch does not spend every label on
  near-duplicates of one ambiguous topic.
- `expected_change`: largest expected gradient norm of the Bradley-Terry loss with
  respect to the reward head, E_y |p - y| * ||feat_a - feat_b|| = 2p(1-p) ||feat_a - feat_b||:
  items whose label, whichever it is, would move the head most.

Status, measured (BENCHMARKS.md, "Active learning on real preferences"): on real human
preferences none of these beat random order by more than the seed spread, so the queue
offers none of the new rules and its default is random. They stay here, tested, so the
benches can re-measure them on other data or models before anyone offers them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

RULES = ("random", "uncertainty", "disagreement", "uncertainty_random", "diverse_uncertain",
         "expected_change")
DEFAULT_RANDOM_SHARE = 0.3
DEFAULT_CANDIDATES = 4


@dataclass
class Pool:
    """What the rules may read about the open comparisons (index i = pool item i)."""

    score_a: np.ndarray
    score_b: np.ndarray
    std_a: np.ndarray | None = None
    std_b: np.ndarray | None = None
    feat_a: np.ndarray | None = None
    feat_b: np.ndarray | None = None
    labelled_embedding: np.ndarray | None = None  # pair embeddings already labelled

    def __len__(self) -> int:
        return len(self.score_a)

    def margin(self) -> np.ndarray:
        return np.abs(np.asarray(self.score_a, float) - np.asarray(self.score_b, float))

    def pair_embedding(self) -> np.ndarray:
        """One vector per comparison: what it is about (a + b) and how its answers differ
        (|a - b|), unit length so k-center distances compare topics, not norms."""
        if self.feat_a is None or self.feat_b is None:
            raise ValueError("this rule needs the reward head's input features (feat_a/feat_b)")
        return pair_embedding(self.feat_a, self.feat_b)


def pair_embedding(feat_a: np.ndarray, feat_b: np.ndarray) -> np.ndarray:
    a, b = np.asarray(feat_a, float), np.asarray(feat_b, float)
    emb = np.concatenate([a + b, np.abs(a - b)], axis=1)
    norm = np.linalg.norm(emb, axis=1, keepdims=True)
    return emb / np.where(norm > 0, norm, 1.0)


def _take(order: np.ndarray, k: int) -> list[int]:
    return [int(i) for i in order[:k]]


def pick_random(pool: Pool, k: int, rng: np.random.Generator) -> list[int]:
    return _take(rng.permutation(len(pool)), k)


def pick_uncertainty(pool: Pool, k: int, rng: np.random.Generator) -> list[int]:
    # A random tie-break first, then a stable sort: equal margins are not picked by index.
    perm = rng.permutation(len(pool))
    return _take(perm[np.argsort(pool.margin()[perm], kind="stable")], k)


def pick_disagreement(pool: Pool, k: int, rng: np.random.Generator) -> list[int]:
    if pool.std_a is None or pool.std_b is None:
        raise ValueError("disagreement needs an ensemble's spreads (std_a/std_b)")
    key = np.square(np.asarray(pool.std_a, float)) + np.square(np.asarray(pool.std_b, float))
    perm = rng.permutation(len(pool))
    return _take(perm[np.argsort(-key[perm], kind="stable")], k)


def pick_uncertainty_random(pool: Pool, k: int, rng: np.random.Generator, *,
                            share: float = DEFAULT_RANDOM_SHARE) -> list[int]:
    """round(share * k) random items, the rest the most uncertain of those left."""
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"random share must be between 0 and 1, got {share}")
    n_random = min(len(pool), round(share * k))
    chosen = [int(i) for i in rng.choice(len(pool), size=n_random, replace=False)]
    taken = set(chosen)
    for i in pick_uncertainty(pool, len(pool), rng):
        if len(chosen) >= min(k, len(pool)):
            break
        if i not in taken:
            chosen.append(i)
            taken.add(i)
    return chosen


def k_center(emb: np.ndarray, k: int, *, centers: np.ndarray | None = None,
             first: int = 0) -> list[int]:
    """Greedy k-center: each pick is the point farthest from everything chosen so far
    (and from `centers`, the already-labelled points). Returns row indices of `emb`."""
    n = len(emb)
    if n == 0 or k <= 0:
        return []
    if centers is not None and len(centers):
        dist = np.min(np.linalg.norm(emb[:, None, :] - centers[None, :, :], axis=2), axis=1)
        picked: list[int] = []
    else:
        picked = [first]
        dist = np.linalg.norm(emb - emb[first], axis=1)
    while len(picked) < min(k, n):
        nxt = int(np.argmax(dist))
        if dist[nxt] <= 0:
            # everything left duplicates a center: fall back to index order among the rest
            taken = set(picked)
            rest = [i for i in range(n) if i not in taken]
            picked.extend(rest[:min(k, n) - len(picked)])
            break
        picked.append(nxt)
        dist = np.minimum(dist, np.linalg.norm(emb - emb[nxt], axis=1))
    return picked


def pick_diverse_uncertain(pool: Pool, k: int, rng: np.random.Generator, *,
                           candidates: int = DEFAULT_CANDIDATES) -> list[int]:
    """k-center over the `candidates * k` most uncertain items."""
    shortlist = np.asarray(pick_uncertainty(pool, max(k, candidates * k), rng))
    emb = pool.pair_embedding()[shortlist]
    local = k_center(emb, k, centers=pool.labelled_embedding)
    return [int(shortlist[i]) for i in local]


def expected_change(pool: Pool) -> np.ndarray:
    """2 p (1 - p) ||feat_a - feat_b||: the expected norm of the head's gradient."""
    if pool.feat_a is None or pool.feat_b is None:
        raise ValueError("expected_change needs the reward head's input features (feat_a/feat_b)")
    diff = np.asarray(pool.score_a, float) - np.asarray(pool.score_b, float)
    p = 1.0 / (1.0 + np.exp(-diff))
    gap = np.linalg.norm(np.asarray(pool.feat_a, float) - np.asarray(pool.feat_b, float), axis=1)
    return 2.0 * p * (1.0 - p) * gap


def pick_expected_change(pool: Pool, k: int, rng: np.random.Generator) -> list[int]:
    key = expected_change(pool)
    perm = rng.permutation(len(pool))
    return _take(perm[np.argsort(-key[perm], kind="stable")], k)


PICKERS: dict[str, Callable[..., list[int]]] = {
    "random": pick_random,
    "uncertainty": pick_uncertainty,
    "disagreement": pick_disagreement,
    "uncertainty_random": pick_uncertainty_random,
    "diverse_uncertain": pick_diverse_uncertain,
    "expected_change": pick_expected_change,
}


def select_batch(rule: str, pool: Pool, k: int, *, seed: int | np.random.Generator = 0) -> list[int]:
    """The `k` pool indices `rule` asks to label next, best first (fewer if the pool is small)."""
    if rule not in PICKERS:
        raise ValueError(f"unknown acquisition rule {rule!r} (choose from {', '.join(RULES)})")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    return PICKERS[rule](pool, min(k, len(pool)), rng)
