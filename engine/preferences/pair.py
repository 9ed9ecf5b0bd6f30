"""PreferencePair: the unit every trainer and exporter consumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class PreferencePair:
    """One resolved human preference: `chosen` beat `rejected` for `prompt`.

    `comparison_id` links back to the store when the pair came from judgements;
    `weight` lets reliability-weighted policies down-weight shaky votes;
    `provenance` carries export columns (annotators, votes, source file, notes).
    """

    prompt: str
    chosen: str
    rejected: str
    comparison_id: int | None = None
    weight: float = 1.0
    provenance: dict[str, Any] = field(default_factory=dict)
    # TRL's margin: how much better chosen is (engine/preferences/strength.py); 0 means plain BT.
    margin: float = 0.0
