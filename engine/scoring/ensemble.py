"""Ensembles: K reward models trained with different seeds, scored as one.

Why: one reward model says how good a response is; K seeds also say how SURE they are.
The spread (population std) across members is the uncertainty the annotation queue
uses to pick what to ask humans next, and `min` aggregation is a cheap pessimistic
reward (guards against one member's blind spot being exploited by a policy).

Layout written by `train_ensemble(params, k)` (project_name "rm", seed 42, k 3):
    rm-seed42/  rm-seed43/  rm-seed44/   full model dirs, each with its calibration
    rm/ensemble.json                      {"members": ["../rm-seed42", ...], "aggregate": "mean"}
The registry records `rm/`; `load_model("rm")` gives an `Ensemble`.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from duelist.engine.errors import ModelLoadError, ParamsError
from duelist.engine.files.safe_read import read_json
from duelist.engine.scoring.calibration import Calibration
from duelist.engine.scoring.model_set import (
    ENSEMBLE_FILE,
    Progress,
    ScoreDetail,
    ScoringMixin,
    check_model_dir,
    detail_of,
)

AGGREGATES = ("mean", "median", "min")
ENSEMBLE_FORMAT = "duelist-ensemble"


def aggregate(values: Sequence[float], how: str = "mean") -> float:
    """Combine members' rewards for one item."""
    if how == "mean":
        return sum(values) / len(values)
    if how == "median":
        return float(statistics.median(values))
    if how == "min":
        return min(values)
    raise ParamsError(f"--aggregate must be one of {', '.join(AGGREGATES)}, got {how!r}")


def spread(values: Sequence[float]) -> float:
    """Uncertainty of one item: population std across members (0 for one member)."""
    return float(statistics.pstdev(values)) if len(values) > 1 else 0.0


class Ensemble(ScoringMixin):
    """Members with RewardModel's interface, aggregated item by item."""

    def __init__(self, members: Sequence[Any], *, how: str = "mean", path: str | None = None,
                 meta: dict[str, Any] | None = None) -> None:
        if not members:
            raise ModelLoadError("an ensemble needs at least one member model")
        aggregate([0.0], how)  # validates `how` early, with the CLI's wording
        self.members = list(members)
        self.how = how
        self.path = path
        self.meta = dict(meta or {})
        temps = [m.calibration.temperature for m in self.members
                 if getattr(m, "calibration", None) is not None]
        # Members are calibrated on their own validation pairs; the mean temperature is the
        # ensemble's (exact for mean aggregation when members agree on T).
        self.calibration = (Calibration(temperature=sum(temps) / len(temps), method="member-mean",
                                        n_pairs=0) if len(temps) == len(self.members) else None)

    @classmethod
    def load(cls, path: str | Path, *, how: str | None = None,
             device: str | None = None) -> Ensemble:
        from duelist.engine.scoring.reward_model import RewardModel

        path = Path(path).expanduser()
        manifest = path / ENSEMBLE_FILE
        try:
            data = read_json(manifest, inside=path)
            names = [str(m) for m in data["members"]]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelLoadError(f"{manifest}: not a readable ensemble manifest ({exc})") from None
        members = []
        for name in names:
            _check_member_path(path, name)
            check_model_dir(path / name)
            members.append(RewardModel.load((path / name).resolve(), device=device))
        return cls(members, how=how or data.get("aggregate", "mean"), path=str(path), meta=data)

    def member_scores(self, prompts: Sequence[str], responses: Sequence[str],
                      progress: Progress | None = None) -> list[list[float]]:
        """[member][item] rewards; progress counts items over all members."""
        n, k = len(responses), len(self.members)
        out = []
        for j, member in enumerate(self.members):
            tick = None if progress is None else (
                lambda done, _t, j=j: progress(j * n + done, k * n))
            out.append(detail_of(member, prompts, responses, tick).scores)
        return out

    def score_detail(self, prompts: Sequence[str], responses: Sequence[str],
                     progress: Progress | None = None) -> ScoreDetail:
        per = self.member_scores(prompts, responses, progress)
        cols = list(zip(*per, strict=True)) if per and per[0] else []
        return ScoreDetail([aggregate(c, self.how) for c in cols], [spread(c) for c in cols])

    def __repr__(self) -> str:
        return f"Ensemble(path={self.path!r}, members={len(self.members)}, aggregate={self.how})"


def _check_member_path(path: Path, name: str) -> None:
    """Members live beside the ensemble (`../member`, as write_manifest names them) or
    inside it. A manifest from elsewhere must not point at any folder on the machine
    (`/home/someone/model`, `../../../../x`)."""
    from duelist.engine.files.safe_read import UnsafeFile, check_inside

    try:
        check_inside(path / name, path.resolve().parent)
    except UnsafeFile:
        raise ModelLoadError(f"{path / ENSEMBLE_FILE}: member {name!r} is outside the folder "
                             f"that holds the ensemble ({path.resolve().parent}); refusing to "
                             "load it") from None


def write_manifest(path: str | Path, member_dirs: Sequence[str | Path], *, how: str = "mean",
                   meta: dict[str, Any] | None = None) -> Path:
    """Write `<path>/ensemble.json` naming members relative to it (the folder can move)."""
    from duelist.engine.models.model_files import atomic_dir

    path = Path(path).resolve()
    members = [Path(m).resolve() for m in member_dirs]
    rel = [str(Path("..") / m.name) if m.parent == path.parent else str(m) for m in members]
    with atomic_dir(path) as tmp:
        (tmp / ENSEMBLE_FILE).write_text(json.dumps(
            {"format": ENSEMBLE_FORMAT, "members": rel, "aggregate": how, **(meta or {})},
            indent=2) + "\n", encoding="utf-8")
    return path


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
    from duelist.engine.training.train import train

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


def load_for_uncertainty(path: str | Path) -> Callable[..., Any] | None:
    """For the score queue: (prompts, responses) -> (rewards, spreads) when `path` is an
    ensemble dir; None otherwise (the caller then scores with a single model)."""
    from duelist.engine.scoring.model_set import is_ensemble_dir

    if not is_ensemble_dir(path):
        return None
    ens = Ensemble.load(path)

    def score(prompts: Sequence[str], responses: Sequence[str]):
        detail = ens.score_detail(prompts, responses)
        return detail.scores, detail.std

    return score
