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
(which can take minutes) does use a subprocess: `engine/application/uncertainty_job.py`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from typing import Any

from duelist.engine.application import model_choice
from duelist.engine.application.model_choice import ModelChoice

_CACHE: dict[tuple[str, ...], Any] = {}
_LOCK = threading.Lock()


def _key(source: ModelChoice) -> tuple[str, ...]:
    stamps = []
    for p in source.paths:
        try:
            stamps.append(str(os.stat(p).st_mtime_ns))
        except OSError:
            stamps.append("missing")
    return (source.kind, *source.paths, *stamps, *(f"{a}={w}" for a, w in source.weights))


def load(source: ModelChoice) -> Any:
    """The scorer for `source` (one of `model_choice.offered`), loaded once per (paths,
    modification times)."""
    key = _key(source)
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
    model = model_choice.load(source)
    with _LOCK:
        _CACHE.clear()  # one model in memory at a time
        _CACHE[key] = model
    return model


def rank(source: ModelChoice, prompt: str, responses: Sequence[str],
         progress: Callable[[int, int], None] | None = None) -> list[Any]:
    """Ranked results (engine.scoring.ranking.Ranked), best first. Runs in a worker thread."""
    from duelist.engine.scoring.ranking import rank_responses

    model = load(source)
    return rank_responses(model, prompt, list(responses), progress=progress)
