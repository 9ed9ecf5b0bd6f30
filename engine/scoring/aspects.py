"""Multi-aspect reward: one model per aspect, combined with weights.

Follows the AutoTrain guide's "Multi-Aspect Reward Model" example (helpfulness 0.5,
harmlessness 0.3, honesty 0.2; total = sum(score[a] * weight[a])), but built in: the
combined reward is the weighted SUM exactly as the guide computes it (weights are not
renormalised, so a user's existing weights mean the same thing), and every aspect's
own reward is kept so screens and files can show it.

Where aspects come from:
- the project's models table (`aspect`, `weight` columns): the newest model per aspect,
  weights from the table unless the `aspect_weights` setting overrides them;
- the CLI: `--model helpfulness=DIR --model harmlessness=DIR --weights helpfulness=0.5,...`.
Several dirs for one aspect form an ensemble inside that aspect.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from duelist.engine.errors import ParamsError
from duelist.engine.scoring.ensemble import Ensemble
from duelist.engine.scoring.loader import load_model
from duelist.engine.scoring.model_set import Progress, ScoreDetail, ScoringMixin, detail_of

WEIGHTS_SETTING = "aspect_weights"


def parse_weights(text: str) -> dict[str, float]:
    """'helpfulness=0.5,harmlessness=0.3' -> {'helpfulness': 0.5, 'harmlessness': 0.3}."""
    out: dict[str, float] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ParamsError(f"--weights: expected ASPECT=WEIGHT, got {part!r}")
        try:
            weight = float(value)
        except ValueError:
            raise ParamsError(f"--weights: weight of '{name}' is not a number: {value!r}") from None
        if not math.isfinite(weight):
            raise ParamsError(f"--weights: weight of '{name}' must be finite")
        if name in out:
            raise ParamsError(f"--weights: aspect '{name}' given twice")
        out[name] = weight
    if not out:
        raise ParamsError("--weights: no ASPECT=WEIGHT given")
    return out


class AspectSet(ScoringMixin):
    """Aspect name -> scorer (RewardModel or Ensemble), combined by a weighted sum."""

    def __init__(self, aspects: Mapping[str, Any], weights: Mapping[str, float]) -> None:
        if not aspects:
            raise ParamsError("a multi-aspect set needs at least one aspect model")
        missing = sorted(set(aspects) - set(weights))
        extra = sorted(set(weights) - set(aspects))
        if missing:
            raise ParamsError(f"no weight for aspect(s) {', '.join(missing)} (--weights)")
        if extra:
            raise ParamsError(f"--weights names aspect(s) {', '.join(extra)} but no model has "
                              f"them; models: {', '.join(sorted(aspects))}")
        self.aspects = dict(aspects)
        self.weights = {a: float(weights[a]) for a in self.aspects}
        self.path = None
        self.calibration = None  # a weighted sum of rewards has no fitted temperature

    def score_detail(self, prompts: Sequence[str], responses: Sequence[str],
                     progress: Progress | None = None) -> ScoreDetail:
        n, k = len(responses), len(self.aspects)
        per: dict[str, list[float]] = {}
        std_sq = [0.0] * n
        has_std = False
        for j, (name, model) in enumerate(self.aspects.items()):
            tick = None if progress is None else (
                lambda done, _t, j=j: progress(j * n + done, k * n))
            d = detail_of(model, prompts, responses, tick)
            per[name] = d.scores
            if d.std is not None:
                has_std = True
                w = self.weights[name]
                std_sq = [acc + (w * s) ** 2 for acc, s in zip(std_sq, d.std, strict=True)]
        combined = [sum(self.weights[a] * per[a][i] for a in per) for i in range(n)]
        # Members of different aspects are independent models: their spreads add in quadrature.
        return ScoreDetail(combined, [math.sqrt(v) for v in std_sq] if has_std else None, per)

    def __repr__(self) -> str:
        parts = ", ".join(f"{a}={w:g}" for a, w in self.weights.items())
        return f"AspectSet({parts})"


def build(groups: Mapping[str, Sequence[str | Path]], weights: Mapping[str, float], *,
          how: str = "mean", device: str | None = None) -> AspectSet:
    """Aspect name -> model dirs (several dirs: an ensemble within the aspect)."""
    models: dict[str, Any] = {}
    for name, dirs in groups.items():
        loaded = [load_model(d, device=device) for d in dirs]
        models[name] = loaded[0] if len(loaded) == 1 else Ensemble(loaded, how=how)
    return AspectSet(models, weights)


def store_aspects(store: Any) -> tuple[dict[str, str], dict[str, float]]:
    """The project's aspect models (newest per aspect) and their weights.

    Weights come from the models table; a `aspect_weights` setting ({aspect: weight})
    overrides them, so a project can re-weight without re-registering models.
    """
    dirs: dict[str, str] = {}
    weights: dict[str, float] = {}
    for rec in store.list_models():  # newest first
        if rec.aspect and rec.aspect not in dirs:
            dirs[rec.aspect] = rec.path
            weights[rec.aspect] = rec.weight
    override = store.get_setting(WEIGHTS_SETTING) or {}
    for name, w in dict(override).items():
        if name in dirs:
            weights[name] = float(w)
    return dirs, weights


def from_store(store: Any, *, device: str | None = None) -> AspectSet | None:
    """An AspectSet from the project's registry, or None when no model names an aspect."""
    dirs, weights = store_aspects(store)
    if not dirs:
        return None
    return build({a: [d] for a, d in dirs.items()}, weights, device=device)
