"""Which model scores: the one decision behind `rank`/`score`/`eval`/`serve`, the rank
screen and the uncertainty-scoring job.

Why one module: the CLI (`tui/cli/scoring_opts.py`), the rank screen's job and the
queue's scoring process each decided on their own between the project's current model,
`--model DIR`, an ensemble dir, several dirs and the aspect models, and each read the
registry its own way. Now they all ask `choose` (or `offered`, the rank screen's list,
built from the same pieces), and load what it decided through `load`.

The rules of `choose`, in order:
- `model_id`: that registered model (the queue's job stores scores per registered model);
- `--model DIR` once: that model (an ensemble dir is an ensemble);
- `--model DIR --model DIR ...`: an ensemble of them (`how`: mean|median|min);
- with `weights`: a multi-aspect set; each `--model` is `ASPECT=DIR`, or a DIR whose
  aspect the registry (or the dir's duelist.json) names;
- nothing named: the project's aspect models when it defines some (and `aspects` is
  True), else its current model; None when the project has no model at all. The caller
  words that case: a CLI speaks of --model, the job of its --model-id.

Deciding reads the registry and, for user-given dirs, runs the torch-free checks of
engine/models/model_check.py; nothing here imports torch until `load`.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from duelist.engine.errors import ParamsError
from duelist.engine.models.model_check import check_model_dir
from duelist.engine.scoring import aspects as asp
from duelist.engine.scoring.ensemble import Ensemble
from duelist.engine.scoring.loader import load_model
from duelist.store import ModelRecord, Store

_ASPECT_SPEC = re.compile(r"^([A-Za-z][\w-]*)=(.+)$")


@dataclass(frozen=True, slots=True)
class ModelChoice:
    """What scores, decided without loading anything.

    kind: 'current' (the project's current model), 'registered' (a model by its id),
    'dir' (one --model DIR; an ensemble dir is an ensemble), 'ensemble' (several dirs
    as one), 'aspects' (aspect name -> dirs, combined with weights).
    """

    kind: str
    label: str
    paths: tuple[str, ...]
    groups: tuple[tuple[str, tuple[str, ...]], ...] = ()  # aspects: aspect -> its dirs
    weights: tuple[tuple[str, float], ...] = ()  # aspects: aspect -> weight
    how: str | None = None  # ensemble aggregation; None: the manifest's (or mean)
    model_id: int | None = None  # the registry's id, when the choice is a registered model


def model_name(name: str, path: str) -> str:
    """A model's readable name. A run from the TUI saves to `runs/<id>-<slug>/model`, so its
    registered name is literally "model" and the title read "current model: model"
    (issue 14, item 10); the run folder says which run it is."""
    if name and name != "model":
        return name
    parent = os.path.basename(os.path.dirname(path.rstrip("/")))
    return parent or name or path


def _registered(rec: ModelRecord, kind: str, how: str | None = None) -> ModelChoice:
    label = f"{'current model' if kind == 'current' else 'model'}: {model_name(rec.name, rec.path)}"
    return ModelChoice(kind, label, (rec.path,), how=how, model_id=rec.id)


def _aspect_set(dirs: dict[str, str], weights: dict[str, float],
                how: str | None = None) -> ModelChoice:
    label = "aspects: " + ", ".join(f"{a}×{weights[a]:g}" for a in dirs)
    return ModelChoice("aspects", label, tuple(dirs.values()),
                       tuple((a, (d,)) for a, d in dirs.items()),
                       tuple((a, weights[a]) for a in dirs), how)


def _store_aspects(store: Store, how: str | None = None) -> ModelChoice | None:
    dirs, weights = asp.store_aspects(store)
    return _aspect_set(dirs, weights, how) if dirs else None


def offered(store: Store) -> list[ModelChoice]:
    """The choices the rank screen cycles through: the current model, then the aspect set
    (cheap: registry reads, no checks, no torch; a vanished dir fails when it loads)."""
    rec = store.current_model()
    out = [_registered(rec, "current")] if rec is not None else []
    aspect_set = _store_aspects(store)
    return out + ([aspect_set] if aspect_set is not None else [])


def split_spec(spec: str) -> tuple[str | None, str]:
    """'ASPECT=DIR' -> (aspect, dir); a plain DIR (or an existing path with '=') -> (None, DIR)."""
    m = _ASPECT_SPEC.match(spec)
    if m and not Path(spec).expanduser().exists():
        return m.group(1), m.group(2)
    return None, spec


def aspect_of(path: str, store: Store | None) -> str:
    """The aspect a bare --model DIR stands for: registry, then duelist.json, then its name."""
    resolved = str(Path(path).expanduser().resolve())
    if store is not None:
        for rec in store.list_models():
            if rec.aspect and str(Path(rec.path).expanduser().resolve()) == resolved:
                return rec.aspect
    meta = Path(path) / "duelist.json"
    with contextlib.suppress(OSError, ValueError):
        aspect = json.loads(meta.read_text(encoding="utf-8")).get("aspect")
        if isinstance(aspect, str) and aspect:
            return aspect
    return Path(resolved).name


def choose(store: Store | None, models: Sequence[str] = (), *, weights: str | None = None,
           how: str | None = None, model_id: int | None = None,
           aspects: bool = True) -> ModelChoice | None:
    """The one decision of what scores (the rules are in this module's docstring).

    `store` may be None when `models` name every dir and no `weights` ask the registry
    for aspects. Raises ParamsError/ModelLoadError (one line) for a bad spec or dir.
    """
    specs = [split_spec(s) for s in models]
    if not specs:
        if store is None:
            return None
        if model_id is not None:
            rec = store.get_model(model_id)
            return None if rec is None else _registered(rec, "registered")
        aspect_set = _store_aspects(store, how or "mean") if aspects else None
        if aspect_set is not None:
            return aspect_set
        rec = store.current_model()
        if rec is None:
            return None
        if not weights:
            return _registered(rec, "current", how)
        specs = [(None, rec.path)]  # --weights without --model: the current model's aspect
    for _, d in specs:
        check_model_dir(d)
    if weights:
        parsed = asp.parse_weights(weights)
        groups: dict[str, list[str]] = {}
        for aspect, d in specs:
            groups.setdefault(aspect or aspect_of(d, store), []).append(d)
        return ModelChoice("aspects", "aspects: " + ", ".join(groups), tuple(d for _, d in specs),
                           tuple((a, tuple(ds)) for a, ds in groups.items()),
                           tuple(parsed.items()), how or "mean")
    if any(aspect for aspect, _ in specs):
        raise ParamsError("--model ASPECT=DIR needs --weights (e.g. --weights "
                          "helpfulness=0.5,harmlessness=0.5)")
    if len(specs) == 1:
        return ModelChoice("dir", specs[0][1], (specs[0][1],), how=how)
    return ModelChoice("ensemble", f"ensemble of {len(specs)}", tuple(d for _, d in specs),
                       how=how or "mean")


def load(choice: ModelChoice, *, device: str | None = None) -> Any:
    """The RewardModel / Ensemble / AspectSet a choice names (this imports torch).

    Every dir is checked before any loads, so a bad second dir fails before seconds of
    loading the first."""
    for path in choice.paths:
        check_model_dir(path)
    if choice.kind == "aspects":
        return asp.build({a: list(ds) for a, ds in choice.groups}, dict(choice.weights),
                         how=choice.how or "mean", device=device)
    if choice.kind == "ensemble":
        return Ensemble([load_model(d, device=device) for d in choice.paths],
                        how=choice.how or "mean")
    model = load_model(choice.paths[0], device=device)
    if choice.how and isinstance(model, Ensemble):
        model.how = choice.how
    return model
