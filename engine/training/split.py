"""Seeded train/validation split grouped by prompt.

Why grouped: the same prompt usually appears in several pairs. If one of them is in
training and another in validation, validation accuracy measures memorised prompts,
not generalisation. So whole prompts go to one side or the other.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from duelist.engine.preferences.pair import PreferencePair


@dataclass(frozen=True, slots=True)
class Split:
    train: list[PreferencePair]
    valid: list[PreferencePair]


def split_pairs(pairs: Sequence[PreferencePair], valid_split: float, seed: int) -> Split:
    """Hold out about `valid_split` of the distinct prompts (at least one when > 0).

    Deterministic for a given (pairs, valid_split, seed): prompts are sorted before the
    seeded shuffle, so the input order does not matter.
    """
    if valid_split <= 0 or not pairs:
        return Split(list(pairs), [])
    prompts = sorted({p.prompt for p in pairs})
    if len(prompts) < 2:
        return Split(list(pairs), [])
    random.Random(seed).shuffle(prompts)
    n_valid = min(len(prompts) - 1, max(1, math.ceil(len(prompts) * valid_split)))
    held_out = set(prompts[:n_valid])
    train = [p for p in pairs if p.prompt not in held_out]
    valid = [p for p in pairs if p.prompt in held_out]
    return Split(train, valid)
