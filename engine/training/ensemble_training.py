"""Training an ensemble: K reward models with seeds seed..seed+K-1, then the manifest.

Why here and not beside `Ensemble` in engine/scoring/ensemble.py: training depends on
scoring (it returns RewardModels, fits their calibration), never the other way round.
With this function in the scoring module, scoring imported training back and the two
formed one import loop.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from duelist.engine.errors import ParamsError
from duelist.engine.scoring.ensemble import Ensemble, write_manifest
from duelist.engine.training.train import train


def _mean_metrics(metas: Sequence[dict[str, Any]]) -> dict[str, float]:
    keys = set.intersection(*(set(m) for m in metas)) if metas else set()
    out = {}
    for key in sorted(keys):
        vals = [m[key] for m in metas]
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in vals):
            out[key] = sum(vals) / len(vals)
    return out


def train_ensemble(params: Any, k: int, *, db: str | None = None,
                   emit: Callable[..., Any] | None = None) -> Ensemble:
    """Train K members with seeds seed..seed+K-1 into `<name>-seed<S>`, then the manifest."""
    if k < 1:
        raise ParamsError(f"--ensemble must be at least 1, got {k}")
    members, metas = [], []
    for i in range(k):
        seed = params.seed + i
        member_params = replace(params, seed=seed, ensemble=1,
                                project_name=f"{params.project_name}-seed{seed}")
        if emit is not None:
            emit("log", message=f"ensemble member {i + 1}/{k} (seed {seed})")
        model = train(member_params, db=db, emit=emit)
        if model is None:  # a non-zero rank under accelerate
            return None  # type: ignore[return-value]
        members.append(model)
        metas.append(dict(model.meta.get("metrics", {})))
    metrics = _mean_metrics(metas)
    path = write_manifest(params.output_dir, [m.path for m in members],
                          meta={"metrics": metrics, "seeds": [params.seed + i for i in range(k)]})
    return Ensemble(members, path=str(path), meta={"metrics": metrics})
