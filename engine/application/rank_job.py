"""The rank screen's background work: load a model once, rank off the UI thread.

Why a thread worker in the TUI process, not a subprocess:
- torch is imported lazily, the first time someone actually ranks, so the app still
  starts without it (tests/test_import_hygiene.py checks `duelist.tui.app`);
- the loaded model is cached here, so ranking again (after editing a response, or for
  the next prompt) costs a forward pass, not a process start plus a model load (seconds);
- the forward pass runs in C++ with the GIL released, so Textual's event loop keeps
  drawing and handling keys while it runs (the Pilot test presses keys mid-ranking).
A subprocess would also keep torch's memory out of the TUI, but pays the start-up and
load on every ranking, and needs its own protocol for results; scoring whole stores
(which can take minutes) does use a subprocess: `engine/scoring/uncertainty_job.py`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from duelist.store import Store

_CACHE: dict[tuple[str, ...], Any] = {}
_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class ModelSource:
    """What ranks: 'current' (the project's current model, an ensemble dir included) or
    'aspects' (the project's aspect models, weighted)."""

    kind: str
    label: str
    paths: tuple[str, ...]
    weights: tuple[tuple[str, float], ...] = ()


def model_name(name: str, path: str) -> str:
    """A model's readable name. A run from the TUI saves to `runs/<id>-<slug>/model`, so its
    registered name is literally "model" and the title read "current model: model"
    (issue 14, item 10); the run folder says which run it is."""
    if name and name != "model":
        return name
    parent = os.path.basename(os.path.dirname(path.rstrip("/")))
    return parent or name or path


def sources(store: Store) -> list[ModelSource]:
    """The model choices this project offers (cheap: registry reads, no torch)."""
    from duelist.engine.scoring.aspects import store_aspects

    out = []
    rec = store.current_model()
    if rec is not None:
        out.append(ModelSource("current", f"current model: {model_name(rec.name, rec.path)}",
                               (rec.path,)))
    dirs, weights = store_aspects(store)
    if dirs:
        label = "aspects: " + ", ".join(f"{a}×{weights[a]:g}" for a in dirs)
        out.append(ModelSource("aspects", label, tuple(dirs[a] for a in dirs),
                               tuple((a, weights[a]) for a in dirs)))
    return out


def _key(source: ModelSource) -> tuple[str, ...]:
    stamps = []
    for p in source.paths:
        try:
            stamps.append(str(os.stat(p).st_mtime_ns))
        except OSError:
            stamps.append("missing")
    return (source.kind, *source.paths, *stamps, *(f"{a}={w}" for a, w in source.weights))


def load(source: ModelSource) -> Any:
    """The scorer for `source`, loaded once per (paths, modification times)."""
    key = _key(source)
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
    from duelist.engine.scoring import aspects
    from duelist.engine.scoring.model_set import load_model

    if source.kind == "aspects":
        names = [a for a, _ in source.weights]
        model = aspects.build({a: [p] for a, p in zip(names, source.paths, strict=True)},
                              dict(source.weights))
    else:
        model = load_model(source.paths[0])
    with _LOCK:
        _CACHE.clear()  # one model in memory at a time
        _CACHE[key] = model
    return model


def rank(source: ModelSource, prompt: str, responses: Sequence[str],
         progress: Callable[[int, int], None] | None = None) -> list[Any]:
    """Ranked results (engine.scoring.ranking.Ranked), best first. Runs in a worker thread."""
    from duelist.engine.scoring.ranking import rank_responses

    model = load(source)
    return rank_responses(model, prompt, list(responses), progress=progress)
