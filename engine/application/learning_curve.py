"""The project's own learning curve: do more labels still help?

For each finished run, accuracy on a FIXED held-out slice of the project's judged
pairs, against the number of pairs the run learned from. A lead reads it to decide
whether to keep labelling or to spend the time elsewhere.

Why the slice is fixed by a hash of the prompt: the slice must not reshuffle as the
project grows, or two runs would be scored on different pairs for no reason. A
prompt is in the slice when sha256(prompt) falls in the lowest SLICE_PERCENT of
buckets, so all pairs of one prompt are on the same side, as in training's split.

Why each run is scored only on slice pairs it did not train on: runs train on the
project's judged pairs, so some of the slice was in each run's training side. The
run's training side is recomputed from its own snapshot (`pairs.jsonl` in the run
folder) with the worker's split (`engine/training/split.py`, the run's valid_split and seed);
a pair it learned from would flatter it. So n differs between runs, and it is shown.

Accuracy comes from the scores the uncertainty-scoring job stored for each model
(it scores judged items too), so this reads the store only: no torch, no model load.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from duelist.engine.preferences.pair import PreferencePair
from duelist.engine.preferences.resolve import resolve_pairs
from duelist.engine.quality.binomial import wilson_interval
from duelist.engine.runs.layout import PAIRS_NAME, PARAMS_NAME
from duelist.engine.training.params import RewardParams
from duelist.engine.training.split import split_pairs
from duelist.store import Store

SLICE_PERCENT = 20
MIN_N = 30  # below this, run-to-run differences of 0.1 are well within chance


def in_slice(prompt: str, percent: int = SLICE_PERCENT) -> bool:
    """Whether a prompt's pairs belong to the fixed held-out slice."""
    digest = hashlib.sha256(prompt.encode("utf-8", "surrogatepass")).hexdigest()
    return int(digest[:8], 16) % 100 < percent


@dataclass
class RunPoint:
    run_id: int
    name: str
    labels: int | None  # pairs in the run's snapshot (train + its own validation)
    model_id: int | None
    n: int = 0  # slice pairs this run did not train on and its model has scored
    correct: int = 0
    accuracy: float | None = None
    low: float | None = None
    high: float | None = None
    note: str | None = None


def trained_prompts(run_dir: str | None) -> set[str] | None:
    """The prompts on the run's training side, or None when its snapshot is not there."""
    if not run_dir:
        return None
    folder = Path(run_dir)
    pairs_path, params_path = folder / PAIRS_NAME, folder / PARAMS_NAME
    if not pairs_path.is_file():
        return None
    try:
        params = json.loads(params_path.read_text(encoding="utf-8")) if params_path.is_file() \
            else {}
        pairs = [PreferencePair(prompt=row["prompt"], chosen="", rejected="")
                 for row in map(json.loads, pairs_path.read_text(encoding="utf-8").splitlines())
                 if row]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    # Missing keys take the worker's defaults (RewardParams), as the worker does.
    defaults = {f.name: f.default for f in fields(RewardParams)}
    valid_split = float(params.get("valid_split", defaults["valid_split"]))
    seed = int(params.get("seed", defaults["seed"]))
    return {p.prompt for p in split_pairs(pairs, valid_split, seed).train}


def _slice_labels(store: Store) -> dict[int, tuple[str, bool]]:
    """comparison id -> (prompt, A was chosen) for resolved pairs in the slice."""
    pairs = [p for p in resolve_pairs(store, policy="adjudicated").pairs
             if p.comparison_id is not None and in_slice(p.prompt)]
    found = {c.id: c for c in store.get_comparisons([p.comparison_id for p in pairs])}
    out = {}
    for p in pairs:
        c = found.get(p.comparison_id)
        if c is None or c.response_a == c.response_b:
            continue
        out[c.id] = (p.prompt, p.chosen == c.response_a)
    return out


def learning_curve(store: Store) -> dict[str, Any]:
    """The stats section: slice size, one point per finished run (oldest first), a warning."""
    labels = _slice_labels(store)
    models = {m.run_id: m for m in store.list_models() if m.run_id is not None}
    points = []
    for run in sorted(store.list_runs(status="done"), key=lambda r: r.id):
        model = models.get(run.id)
        point = RunPoint(run.id, run.name, run.n_pairs, model.id if model else None)
        points.append(point)
        if model is None:
            point.note = "no registered model"
            continue
        trained = trained_prompts(run.run_dir)
        if trained is None:
            point.note = "trained from a file: which pairs it saw is unknown"
            continue
        scores = {s.comparison_id: s for s in store.scores_for_model(model.id)}
        held = [cid for cid, (prompt, _) in labels.items() if prompt not in trained]
        scored = [cid for cid in held if cid in scores]
        point.n = len(scored)
        point.correct = sum((scores[cid].score_a > scores[cid].score_b) == labels[cid][1]
                            for cid in scored)
        if point.n:
            point.accuracy = point.correct / point.n
            point.low, point.high = wilson_interval(point.correct, point.n)
        if len(scored) < len(held):
            # The scoring job scores for the CURRENT model; an older model never gets
            # scores for pairs judged after it was replaced.
            point.note = (f"{len(held) - len(scored)} held-out pairs this model has not "
                          "scored (the scoring job scores for the current model only)")
    return {"slice_percent": SLICE_PERCENT, "slice_pairs": len(labels),
            "runs": [asdict(p) for p in points], "warning": _warning(len(labels), points)}


def _warning(slice_pairs: int, points: list[RunPoint]) -> str | None:
    if not points:
        return None
    if slice_pairs == 0:
        return ("No judged pairs in the held-out slice yet: the curve appears once about "
                f"{SLICE_PERCENT}% of prompts have judged pairs.")
    small = [p for p in points if p.accuracy is not None and p.n < MIN_N]
    if small:
        return (f"Tiny data: {len(small)} run(s) scored on fewer than {MIN_N} held-out pairs; "
                "differences of 0.1 between them can be chance. Judge more before reading "
                "the curve.")
    return None
