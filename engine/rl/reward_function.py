"""`reward_function(model)`: a Duelist reward model as a TRL reward callable.

TRL's GRPOTrainer/RLOOTrainer call each reward function as
`f(prompts=..., completions=..., completion_ids=..., **columns) -> list[float]`
(trl/trainer/grpo_trainer.py, `_calculate_rewards`). This callable answers with the
rewards Duelist itself gives:
- prompts and completions, plain or conversational, become Duelist's texts
  (`conversation.py`), encoded by the model's own `PairEncoder` with training's
  truncation (prompt cut from the left), so a prompt longer than the model's
  positions is scored instead of crashing, and an empty completion gets a reward;
- scoring is the fast scorer (length-sorted batches, bf16 where native);
- in bf16, completions of the same prompt whose rewards are within the measured bf16
  error of each other are re-scored in fp32, so the ORDER inside each GRPO group (all
  the advantage depends on) equals fp32's. `precision="fp32"` gives plain fp32 rewards.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from duelist.engine.errors import InputError
from duelist.engine.models.conversation import texts


def _load(model: Any) -> Any:
    if isinstance(model, str | Path):
        from duelist.engine.scoring.loader import load_model

        return load_model(model)
    if not hasattr(model, "score_detail"):
        raise InputError("reward_function needs a model dir, a RewardModel, an Ensemble or an "
                         f"AspectSet, got {type(model).__name__}")
    return model


def _singles(model: Any) -> list[Any]:
    """Every single RewardModel inside a model, an ensemble or an aspect set."""
    if hasattr(model, "members"):
        return [s for m in model.members for s in _singles(m)]
    if hasattr(model, "aspects"):
        return [s for m in model.aspects.values() for s in _singles(m)]
    return [model] if hasattr(model, "encoder") else []


def _name(model: Any) -> str:
    path = getattr(model, "path", None)
    stem = Path(path).name if path else type(model).__name__.lower()
    safe = "".join(ch if ch.isalnum() else "_" for ch in stem).strip("_") or "model"
    return f"duelist_{safe}"


class RewardFunction:
    """Callable reward: TRL's contract in, one float per completion out."""

    def __init__(self, model: Any, *, normalize: bool = False, calibrated: bool = False,
                 batch_size: int | None = None, precision: str = "auto") -> None:
        from duelist.engine.scoring.model_set import temperature_of
        from duelist.engine.scoring.scorer import PRECISIONS

        if precision not in PRECISIONS:
            raise InputError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
        self.model = _load(model)
        self.precision = precision
        self.batch_size = batch_size
        for single in _singles(self.model):
            single.precision = precision
            if batch_size:
                single.batch_size = int(batch_size)
        self.shift, self.scale = 0.0, 1.0
        if normalize:
            from duelist.engine.scoring.reward_stats import normalizer

            self.shift, self.scale = normalizer(self.model)
        elif calibrated:
            self.scale = temperature_of(self.model, True)
        self.__name__ = _name(self.model)  # TRL logs rewards/<__name__>/mean
        self._tolerance: float | None = None
        self.last_refined = 0

    def __call__(self, prompts: Sequence[Any], completions: Sequence[Any],
                 **kwargs: Any) -> list[float]:
        prompt_texts, completion_texts = texts(prompts, completions)
        return self.score_texts(prompt_texts, completion_texts)

    def score_texts(self, prompts: list[str], completions: list[str]) -> list[float]:
        """Rewards for already-flattened texts (the server batches requests into this)."""
        if not prompts:
            return []
        if hasattr(self.model, "encoder"):
            raw = self._score_single(prompts, completions)
        else:
            raw = self.model.score_detail(prompts, completions).scores
        return [(r - self.shift) / self.scale for r in raw]

    def _score_single(self, prompts: list[str], completions: list[str]) -> list[float]:
        from duelist.engine.scoring.scorer import Scorer

        rm = self.model
        scorer = Scorer(rm.model, rm.encoder, precision=rm.precision,
                        batch_size=self.batch_size or rm.batch_size)
        encoded = rm.encoder.encode_many(prompts, completions)
        scores = scorer.score_encoded(encoded)
        self.last_refined = 0
        if scorer.precision == "fp32":
            return scores
        if self._tolerance is None:  # measured once per model, on the first batch
            self._tolerance = scorer.tie_tolerance(encoded, scores)
        close = near_ties(prompts, scores, self._tolerance)
        if close:
            exact = Scorer(rm.model, rm.encoder, precision="fp32",
                           batch_size=scorer.batch_size).score_encoded([encoded[i] for i in close])
            for i, value in zip(close, exact, strict=True):
                scores[i] = value
        self.last_refined = len(close)
        return scores

    def __repr__(self) -> str:
        return f"RewardFunction({self.__name__}, precision={self.precision})"


def near_ties(prompts: Sequence[str], scores: Sequence[float], tolerance: float) -> list[int]:
    """Items whose reward is within `tolerance` of another reward for the same prompt."""
    groups: dict[str, list[int]] = {}
    for i, p in enumerate(prompts):
        groups.setdefault(p, []).append(i)
    close: set[int] = set()
    for members in groups.values():
        ordered = sorted(members, key=lambda i: scores[i])
        for a, b in itertools.pairwise(ordered):
            if abs(scores[b] - scores[a]) <= tolerance:
                close.update((a, b))
    return sorted(close)


def reward_function(model: Any, *, normalize: bool = False, calibrated: bool = False,
                    batch_size: int | None = None, precision: str = "auto") -> RewardFunction:
    """A TRL reward function (`f(prompts, completions, **kwargs) -> list[float]`).

    `model`: a model dir (single or ensemble), or a loaded RewardModel, Ensemble or
    AspectSet. `normalize`: (reward - mean) / std with the dir's saved statistics.
    `calibrated`: reward / T with the dir's fitted temperature, so reward differences
    are calibrated log-odds. `precision`: 'auto' (bf16 where native, near ties in a
    prompt group re-checked in fp32), 'fp32' or 'bf16'.
    """
    return RewardFunction(model, normalize=normalize, calibrated=calibrated,
                          batch_size=batch_size, precision=precision)
