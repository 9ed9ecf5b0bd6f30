"""Ensembles: K reward models trained with different seeds, scored as one.

Why: one reward model says how good a response is; K seeds also say how SURE they are.
The spread (population std) across members is the uncertainty the annotation queue
uses to pick what to ask humans next, and `min` aggregation is a cheap pessimistic
reward (guards against one member's blind spot being exploited by a policy).

Layout written by `engine/training/ensemble_training.train_ensemble(params, k)`
(project_name "rm", seed 42, k 3):
    rm-seed42/  rm-seed43/  rm-seed44/   full model dirs, each with its calibration
    rm/ensemble.json                      {"members": ["../rm-seed42", ...], "aggregate": "mean"}
The registry records `rm/`; `engine/scoring/loader.load_model("rm")` gives an `Ensemble`.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from duelist.engine.errors import ModelLoadError, ParamsError
from duelist.engine.files.atomic import atomic_dir
from duelist.engine.files.safe_read import UnsafeFile, check_inside, read_json
from duelist.engine.models.model_check import ENSEMBLE_FILE, check_model_dir
from duelist.engine.scoring.calibration import Calibration
from duelist.engine.scoring.model_set import Progress, ScoreDetail, ScoringMixin, detail_of

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
        # torch comes with RewardModel: imported when an ensemble loads, not with this module
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
    try:
        check_inside(path / name, path.resolve().parent)
    except UnsafeFile:
        raise ModelLoadError(f"{path / ENSEMBLE_FILE}: member {name!r} is outside the folder "
                             f"that holds the ensemble ({path.resolve().parent}); refusing to "
                             "load it") from None


def write_manifest(path: str | Path, member_dirs: Sequence[str | Path], *, how: str = "mean",
                   meta: dict[str, Any] | None = None) -> Path:
    """Write `<path>/ensemble.json` naming members relative to it (the folder can move)."""
    path = Path(path).resolve()
    members = [Path(m).resolve() for m in member_dirs]
    rel = [str(Path("..") / m.name) if m.parent == path.parent else str(m) for m in members]
    with atomic_dir(path) as tmp:
        (tmp / ENSEMBLE_FILE).write_text(json.dumps(
            {"format": ENSEMBLE_FORMAT, "members": rel, "aggregate": how, **(meta or {})},
            indent=2) + "\n", encoding="utf-8")
    return path
