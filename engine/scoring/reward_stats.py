"""Mean and standard deviation of a model's rewards, saved the way OpenRLHF reads them.

Why: rewards from a Bradley-Terry model have an arbitrary offset and scale (only
differences are trained), so RL setups standardise them. OpenRLHF reads `mean`/`std`
from the reward model's config.json when it normalises rewards
(openrlhf/models/model.py, `get_llm_for_sequence_regression`: `config.mean`,
`config.std`, `normalize_reward`); Duelist saves the same two numbers there and in
duelist.json (`reward_stats`), measured with the final weights, and
`reward_function(normalize=True)` / `duelist score --normalize` use them.

Which responses: the validation responses when there is a validation set. The final
validation has just scored every one of them with the final weights, so the
statistics cost no extra pass (a separate pass over 256 training responses was 2.1 s
of a ~70 s hh run, issue 16), and they are held out: the model was not fitted on
them, as it will not have been on an RL policy's responses. Without a validation set, a
seeded sample of the training responses is scored (`training_stats`). `responses`
in the result says which.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from duelist.engine.errors import InputError

# Scoring every training response of a large set would add minutes to training, and
# the whole run is what users wait for (issue 16): a seeded sample of this many
# responses pins the mean to about 6% of std (std / sqrt(256)), plenty for scaling
# rewards, at a quarter of the scoring the previous 1,024 cost.
MAX_RESPONSES = 256


def summarize(scores: Sequence[float], n_total: int | None = None) -> dict[str, Any]:
    """{mean, std, n, n_total}: population std, as OpenRLHF divides by it."""
    n = len(scores)
    if n == 0:
        return {"mean": 0.0, "std": 1.0, "n": 0, "n_total": n_total or 0}
    mean = sum(scores) / n
    std = math.sqrt(sum((s - mean) ** 2 for s in scores) / n)
    return {"mean": mean, "std": std, "n": n, "n_total": n_total if n_total is not None else n}


def validation_stats(scores: Sequence[float]) -> dict[str, Any]:
    """Statistics over every validation response, from the final validation's scores."""
    return {**summarize(scores), "responses": "validation"}


def sample_rows(rows: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    """Up to MAX_RESPONSES / 2 encoded pairs (each gives two responses), seeded."""
    half = MAX_RESPONSES // 2
    if len(rows) <= half:
        return rows
    return random.Random(seed).sample(rows, half)


def training_stats(forward: Any, rows: list[dict[str, Any]], *, seed: int) -> dict[str, Any]:
    """Reward statistics over (a sample of) the encoded training pairs' responses.

    `forward(features) -> scores` is the training loop's own scoring pass (passed in,
    so this module does not import the model code).
    """
    picked = sample_rows(rows, seed)
    feats = []
    for r in picked:
        for side in ("chosen", "rejected"):
            f = {"input_ids": r[f"{side}_ids"], "attention_mask": [1] * len(r[f"{side}_ids"])}
            if f"{side}_token_type_ids" in r:
                f["token_type_ids"] = r[f"{side}_token_type_ids"]
            feats.append(f)
    scores = forward(feats)
    return {**summarize(scores, n_total=2 * len(rows)), "responses": "training"}


def read_stats(model_dir: str | Path | None, meta: dict[str, Any] | None = None) -> tuple[float, float]:
    """(mean, std) from duelist.json's reward_stats, else config.json; one line if absent."""
    stats = (meta or {}).get("reward_stats") or {}
    if "mean" not in stats and model_dir is not None:
        try:
            cfg = json.loads((Path(model_dir) / "config.json").read_text(encoding="utf-8"))
            if isinstance(cfg, dict) and "mean" in cfg and "std" in cfg:
                stats = {"mean": cfg["mean"], "std": cfg["std"]}
        except (OSError, ValueError):
            pass
    if "mean" not in stats:
        where = model_dir or "this model"
        raise InputError(f"{where} has no reward statistics (mean/std, saved at the end of "
                         "training since this version); drop --normalize or retrain")
    mean, std = float(stats["mean"]), float(stats["std"])
    if not math.isfinite(mean) or not math.isfinite(std) or std <= 0:
        raise InputError(f"{model_dir}: reward statistics are unusable (mean {mean}, std {std})")
    return mean, std


def normalizer(model: Any) -> tuple[float, float]:
    """(mean, std) for a loaded model: a single model dir only.

    An ensemble or aspect set combines several models' rewards; no saved statistic
    describes the combination, so it is refused in one line rather than guessed.
    """
    if hasattr(model, "members") or hasattr(model, "aspects"):
        raise InputError("--normalize needs a single model dir: an ensemble or aspect set has "
                         "no saved reward statistics for its combined reward")
    return read_stats(getattr(model, "path", None), getattr(model, "meta", None))
