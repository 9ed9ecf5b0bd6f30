"""Graded strength (slightly / clearly / much better) and the margin TRL trains on.

TRL's RewardTrainer reads an optional `margin` column and uses the loss
`-logsigmoid(r_chosen - r_rejected - margin)`: the model is pushed until the
chosen reward beats the rejected one by at least about `margin`, so a pair the
annotator called "much better" asks for a wider gap than a "slightly better" one.

The mapping (the "margin small" set of Llama 2, Touvron et al. 2023, sec. 3.2.2):

    not graded  -> 0      (plain Bradley-Terry: a 1/2 vote changes nothing)
    slightly    -> 1/3
    clearly     -> 2/3
    much        -> 1

Why these numbers: rewards are in logit units, so a margin of 1 asks the model
for odds of e^1 ~ 2.7 beyond the plain preference, a firm but reachable gap;
Llama 2 found the small set helped and the large one (up to 3) hurt on close
pairs. Why not the annotator's raw -3..+3: an ungraded vote must stay at 0 so
projects that never grade train exactly as before.
"""

from __future__ import annotations

import math
from typing import Any

STRENGTH_NAMES = {1: "slightly", 2: "clearly", 3: "much"}
NAME_TO_STRENGTH = {name: level for level, name in STRENGTH_NAMES.items()}
MARGINS = {1: 1 / 3, 2: 2 / 3, 3: 1.0}


def margin_for(strength: int | None) -> float:
    """TRL margin of one graded vote; 0 for an ungraded one."""
    return MARGINS.get(strength, 0.0) if strength is not None else 0.0


def strength_for_margin(margin: float) -> int | None:
    """The level whose margin is nearest (None for a margin of 0 or less).

    Import uses it: a file's `margin` column becomes a stored strength, so an
    exported file imports back to the same margins."""
    if not math.isfinite(margin) or margin <= 1 / 6:
        return None
    return min(MARGINS, key=lambda level: abs(MARGINS[level] - margin))


def parse_strength(value: Any) -> int | None:
    """1-3, or a name (slightly/clearly/much); empty means ungraded. ValueError otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError(f"expected 1, 2, 3 or slightly/clearly/much, got {value!r}")
    if isinstance(value, str):
        key = value.strip().lower()
        if key in NAME_TO_STRENGTH:
            return NAME_TO_STRENGTH[key]
        try:
            value = float(key)
        except ValueError:
            raise ValueError(f"expected 1, 2, 3 or slightly/clearly/much, got {value!r:.40}") from None
    if isinstance(value, (int, float)) and float(value) in (0.0, 1.0, 2.0, 3.0):
        return int(value) or None
    raise ValueError(f"expected 1, 2, 3 or slightly/clearly/much, got {value!r:.40}")


def parse_margin(value: Any) -> float:
    """A finite number >= 0; empty means 0. ValueError otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0.0
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {value!r}")
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"expected a number, got {value!r:.40}") from None
    if not math.isfinite(out) or out < 0:
        raise ValueError(f"margin must be a finite number >= 0, got {value!r:.40}")
    return out


def pair_margin(strengths: list[int | None]) -> float:
    """Margin of a resolved pair: the mean margin of the votes for the winner.

    Ungraded votes count as 0, so one "much" and one plain vote give 1/2."""
    if not strengths:
        return 0.0
    return sum(margin_for(s) for s in strengths) / len(strengths)
