"""One scoring interface for a single model, an ensemble, and a multi-aspect set.

Why: `duelist rank`, `duelist score`, the rank screen and the uncertainty queue should
not care whether "the model" is one dir, K seeds, or helpfulness/harmlessness/honesty
models with weights. Everything they need is `score_detail()`: the combined reward per
item, plus the spread across ensemble members and the per-aspect rewards when there
are any. `ScoringMixin` builds RewardModel's public API (score, score_batch, rank,
prob_better, predict) on top of it, so an Ensemble or AspectSet is a drop-in
replacement for a RewardModel.

Loading a path: a dir with `ensemble.json` is an Ensemble, anything else a RewardModel.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from duelist.engine.errors import InputError, ModelLoadError
from duelist.engine.scoring.calibration import Calibration, sigmoid

Progress = Callable[[int, int], None]
ENSEMBLE_FILE = "ensemble.json"


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
        from duelist.engine.rl.conversation import texts

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


def is_ensemble_dir(path: str | Path) -> bool:
    return (Path(path) / ENSEMBLE_FILE).is_file()


def check_model_dir(path: str | Path) -> None:
    """Refuse, in one line and without importing torch, a dir that cannot be a reward model.

    Catches the common mistakes before seconds of loading: a typo'd path, a folder that
    is not a model, a corrupt config, and a model of the wrong architecture (a base model
    or a classifier with several labels would load with a random one-output head and
    produce meaningless rewards).
    """
    p = Path(path).expanduser()
    if not p.exists():
        raise ModelLoadError(f"model directory '{p}' does not exist")
    if not p.is_dir():
        raise ModelLoadError(f"'{p}' is a file, not a model directory")
    if is_ensemble_dir(p) or (p / "adapter_config.json").is_file():
        return
    config = p / "config.json"
    if not config.is_file():
        raise ModelLoadError(f"'{p}' is not a model directory (no config.json)")
    try:
        cfg = json.loads(config.read_text(encoding="utf-8"))
        if not isinstance(cfg, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"'{config}' is corrupt ({exc})") from None
    archs = [str(a) for a in cfg.get("architectures") or []]
    if archs and not any(a.endswith("ForSequenceClassification") for a in archs):
        raise ModelLoadError(
            f"'{p}' is a {archs[0]}, not a reward model (a *ForSequenceClassification with one "
            "output); train one with 'duelist train --model' on it")
    labels = cfg.get("id2label")
    n_labels = len(labels) if isinstance(labels, dict) else cfg.get("num_labels", 1)
    if n_labels != 1:
        raise ModelLoadError(f"'{p}' has {n_labels} outputs; a reward model has exactly 1")
    if not any(p.glob("*.safetensors")) and not any(p.glob("*.bin")):
        raise ModelLoadError(f"'{p}' has a config but no weights (*.safetensors)")


def load_model(path: str | Path, *, device: str | None = None) -> Any:
    """A RewardModel, or an Ensemble when `path` holds ensemble.json."""
    p = Path(path).expanduser()
    check_model_dir(p)
    _quiet_loading()
    if is_ensemble_dir(p):
        from duelist.engine.scoring.ensemble import Ensemble

        return Ensemble.load(p, device=device)
    from duelist.engine.scoring.reward_model import RewardModel

    return RewardModel.load(p, device=device)


def _quiet_loading() -> None:
    """No per-file 'Loading weights' bars from transformers on the user's terminal."""
    from duelist.engine.models.loading import quiet_transformers
    from transformers.utils import logging as hf_logging

    quiet_transformers()
    hf_logging.disable_progress_bar()


def bt_prob(score_a: float, score_b: float, temperature: float = 1.0) -> float:
    """Bradley-Terry P(a beats b) for rewards a, b."""
    if not (math.isfinite(score_a) and math.isfinite(score_b)):
        return 0.5
    return sigmoid((score_a - score_b) / temperature)
