"""Torch-free checks that a folder can be a model, before seconds of loading.

Why one module: `duelist train --model`, `rank`/`score`/`eval --model`, the RL trainer
and the loaders each refused bad folders with their own copy of "does it exist, has it
a config.json, does that parse". The copies drifted (one said "corrupt" where another
let transformers fail with a traceback-shaped message). Here is the one set of checks:

- `check_model_source`: a model to START from (a hub id, or a folder with a config or
  an adapter): what the loaders check before asking transformers;
- `check_base_model`: the same plus a config that parses: what training checks in the
  CLI before spawning a worker that spends seconds importing torch;
- `check_model_dir`: a trained REWARD model (or an ensemble of them): one output, a
  sequence-classification architecture, weights present.

Stdlib only: the CLI and the TUI may call these without importing torch.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from duelist.engine.errors import ModelLoadError

ENSEMBLE_FILE = "ensemble.json"


def is_ensemble_dir(path: str | Path) -> bool:
    return (Path(path) / ENSEMBLE_FILE).is_file()


def _looks_like_path(model: str) -> bool:
    """Hub ids are 'name' or 'org/name'; anything else is meant as a local path."""
    return model.startswith((".", "/", "~")) or model.count("/") > 1 or "\\" in model


def check_model_source(model: str) -> None:
    """Fail early, in one line, for a directory that cannot be a model."""
    path = Path(model).expanduser()
    if path.is_dir():
        if not (path / "config.json").exists() and not (path / "adapter_config.json").exists():
            raise ModelLoadError(f"model directory '{model}' has no config.json: not a Hugging Face model")
        return
    if _looks_like_path(model):
        raise ModelLoadError(f"model directory '{model}' does not exist")


def read_config(folder: Path) -> dict[str, Any] | None:
    """`folder/config.json` as a dict, None when there is none; one line when corrupt."""
    config = folder / "config.json"
    if not config.is_file():
        return None
    try:
        cfg = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"'{config}' is corrupt ({' '.join(str(exc).split())})") from None
    if not isinstance(cfg, dict):
        raise ModelLoadError(f"'{config}' is corrupt (not a JSON object)")
    return cfg


def check_base_model(model: str | None) -> None:
    """Refuse a model to train from that cannot load in a second, not after the worker's
    many seconds of importing torch: a typo'd path, a folder without config.json, a
    corrupt config. (None is the embedded MiniLM; the worker still does the real load.)"""
    if not model:
        return
    check_model_source(model)
    read_config(Path(model).expanduser())


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
    cfg = read_config(p)
    if cfg is None:
        raise ModelLoadError(f"'{p}' is not a model directory (no config.json)")
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
