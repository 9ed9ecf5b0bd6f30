"""Loading a scorer from a folder: a dir with `ensemble.json` is an Ensemble, any other
a RewardModel, both after the torch-free checks of engine/models/model_check.py.

Why a module apart from the scoring types (model_set.py): RewardModel, Ensemble and
AspectSet all build on those types, and loading needs the classes; keeping both in one
file tied the classes and the types into an import loop held together by local imports.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from duelist.engine.models.model_check import check_model_dir, is_ensemble_dir
from duelist.engine.scoring.ensemble import Ensemble


def load_model(path: str | Path, *, device: str | None = None) -> Any:
    """A RewardModel, or an Ensemble when `path` holds ensemble.json."""
    p = Path(path).expanduser()
    check_model_dir(p)
    _quiet_loading()
    if is_ensemble_dir(p):
        return Ensemble.load(p, device=device)
    # torch is imported here, on first load, not when the CLI or the TUI imports this module
    from duelist.engine.scoring.reward_model import RewardModel

    return RewardModel.load(p, device=device)


def _quiet_loading() -> None:
    """No per-file 'Loading weights' bars from transformers on the user's terminal."""
    from duelist.engine.models.loading import quiet_transformers
    from transformers.utils import logging as hf_logging

    quiet_transformers()
    hf_logging.disable_progress_bar()
