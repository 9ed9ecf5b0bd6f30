"""One scoring interface for a single model, an ensemble, and a multi-aspect set.

Why: `duelist rank`, `duelist score`, the rank screen and the uncertainty queue should
not care whether "the model" is one dir, K seeds, or helpfulness/harmlessness/honesty
models with weights. Everything they need is `score_detail()`: the combined reward per
item, plus the spread across ensemble members and the per-aspect rewards when there
are any. `ScoringMixin` builds RewardModel's public API (score, score_batch, rank,
prob_better, predict) on top of it, so an Ensemble or AspectSet is a drop-in
replacement for a RewardModel.

These are the TYPES only (stdlib, no loading): RewardModel, Ensemble and AspectSet import
them, and `engine/scoring/loader.py` (which builds those classes from a folder) imports
the classes, so the dependency runs one way and nothing needs a local import to dodge
a loop.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from duelist.engine.errors import InputError
from duelist.engine.scoring.calibration import Calibration, sigmoid

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class ScoreDetail:
    """Rewards for a batch of (prompt, response) items, in input order."""

    scores: list[float]
    std: list[float] | None = None  # spread across ensemble members (None: one model)
    aspects: dict[str, list[float]] | None = None  # per-aspect rewards (None: no aspects)


def detail_of(model: Any, prompts: Sequence[str], responses: Sequence[str],
              progress: Progress | None = None) -> ScoreDetail:
    """`score_detail` of any scorer (single models, ensembles and aspect sets alike)."""
    return model.score_detail(prompts, responses, progress=progress)


def temperature_of(model: Any, calibrated: bool) -> float:
    """The temperature to turn a reward margin into a probability (1.0 uncalibrated)."""
    if not calibrated:
        return 1.0
    cal: Calibration | None = getattr(model, "calibration", None)
    if cal is None and hasattr(model, "aspects"):
        raise InputError("--calibrated does not apply to a multi-aspect set: its weighted sum of "
                         "rewards has no fitted temperature; calibrate each aspect model alone")
    if cal is None:
        where = getattr(model, "path", None) or "this model"
        raise InputError(f"{where} has no calibration.json (it is fitted on validation pairs at "
                         "the end of training); drop --calibrated or retrain")
    return cal.temperature


class ScoringMixin:
    """RewardModel's API on top of `score_detail` (for ensembles and aspect sets)."""

    path: str | None = None
    calibration: Calibration | None = None

    def score_detail(self, prompts: Sequence[str], responses: Sequence[str],
                     progress: Progress | None = None) -> ScoreDetail:
        raise NotImplementedError

    def score_batch(self, prompts: Sequence[Any], responses: Sequence[Any],
                    progress: Progress | None = None) -> list[float]:
        """One reward per item; prompts/responses may be text or chat messages."""
        from duelist.engine.models.conversation import texts

        prompt_texts, response_texts = texts(prompts, responses)
        return self.score_detail(prompt_texts, response_texts, progress).scores

    def score(self, prompt: Any, response: Any) -> float:
        return self.score_batch([prompt], [response])[0]

    predict = score  # the AutoTrain guide's multi-aspect example calls `.predict`

    def rank(self, prompt: Any, responses: Sequence[Any]) -> list[tuple[Any, float]]:
        """(response, score) pairs, best first (stable for ties)."""
        scores = self.score_batch([prompt] * len(responses), list(responses))
        order = sorted(range(len(responses)), key=lambda i: -scores[i])
        return [(responses[i], scores[i]) for i in order]

    def prob_better(self, prompt: str, a: str, b: str, *, calibrated: bool = False) -> float:
        """P(a preferred over b) = sigmoid((r(a) - r(b)) / T), T = 1 unless calibrated."""
        ra, rb = self.score_batch([prompt, prompt], [a, b])
        return sigmoid((ra - rb) / temperature_of(self, calibrated))


def bt_prob(score_a: float, score_b: float, temperature: float = 1.0) -> float:
    """Bradley-Terry P(a beats b) for rewards a, b."""
    if not (math.isfinite(score_a) and math.isfinite(score_b)):
        return 0.5
    return sigmoid((score_a - score_b) / temperature)
