"""Which training checkpoint `--resume` may continue from.

Why not transformers' `get_last_checkpoint`: it returns the highest-numbered
`checkpoint-N/` folder whether or not it was fully written. A Ctrl+C (or a kill, or a
full disk) while the Trainer saves leaves `checkpoint-N/` with weights but no
`trainer_state.json`, and the resume then died with `FileNotFoundError` (issue 14,
item 2: two of four tries).

The Trainer writes a checkpoint in a fixed order: weights, optimizer, scheduler,
scaler, RNG state, and `trainer_state.json` LAST (then it may delete older
checkpoints). So a checkpoint is complete exactly when its `trainer_state.json`
exists, parses as JSON (a write cut short leaves a truncated file), and records the
step in the folder's name. Anything else is a partial write: it is removed (so the
Trainer's own rotation never counts it, and a later save at that step starts clean)
and the resume falls back to the newest complete one.

Stdlib only.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

TRAINER_STATE = "trainer_state.json"
_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")


def checkpoint_step(path: Path) -> int | None:
    """N for a `checkpoint-N` folder, else None."""
    match = _CHECKPOINT.match(path.name)
    return int(match.group(1)) if match and path.is_dir() else None


def is_complete(path: Path) -> bool:
    """True when the Trainer finished writing this checkpoint (see the module doc)."""
    step = checkpoint_step(path)
    if step is None:
        return False
    try:
        state = json.loads((path / TRAINER_STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(state, dict) and state.get("global_step") == step


def last_complete_checkpoint(ckpt_dir: Path,
                             log: Callable[[str], None] | None = None) -> Path | None:
    """The newest complete checkpoint in `ckpt_dir`; partial ones are removed (and logged)."""
    if not ckpt_dir.is_dir():
        return None
    found = sorted(((step, p) for p in ckpt_dir.iterdir()
                    if (step := checkpoint_step(p)) is not None), reverse=True)
    best: Path | None = None
    for _, path in found:
        if is_complete(path):
            best = best or path
            continue
        if log:
            log(f"{path.name} was not completely written (interrupted while saving); "
                "removed it")
        shutil.rmtree(path, ignore_errors=True)
    return best
