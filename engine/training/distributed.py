"""What a distributed (accelerate/torchrun) training run needs beyond one process.

- `report_world`: say how many processes train and what one optimizer step sees.
- `record` / `first`: errors of the other ranks, handed to rank 0 through the run dir.

Why the second: under `accelerate launch` only rank 0 writes events and the store record. When
rank 1 fails, torchrun stops rank 0 with SIGTERM (or a gloo/NCCL call fails in it),
so rank 0 alone would record "interrupted" or a connection error, and the real
cause would sit in the log. A failing rank therefore leaves its one-line error in
`<run_dir>/rank-errors/`, and rank 0 reports it as the run's error.

Files are keyed by the launcher's pid (the parent of every local rank), so errors of
an earlier launch in the same run dir are never mistaken for this one's. Only ranks
on rank 0's machine are seen; other machines' errors stay in their own logs.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Any

FOLDER = "rank-errors"


def world_size() -> int:
    """Processes in this run (1 when not launched by torchrun/accelerate)."""
    return int(os.environ.get("WORLD_SIZE", "1") or 1)


def rank() -> int:
    return int(os.environ.get("RANK", os.environ.get("LOCAL_RANK", "0")) or 0)


def _path(run_dir: Path, launcher: int, rank_: int) -> Path:
    return run_dir / FOLDER / f"{launcher}-rank{rank_}.txt"


def record(run_dir: Path, message: str) -> None:
    """Leave this rank's one-line error for rank 0 (best effort: the log has the rest)."""
    path = _path(run_dir, os.getppid(), rank())
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(" ".join(message.split())[:500], encoding="utf-8")


def first(run_dir: Path, *, wait_s: float = 3.0) -> str | None:
    """`rank N: message` of the first other rank that failed, waiting briefly for it.

    The wait covers the order of events: a peer's failure can reach rank 0 (as a
    SIGTERM or a broken collective) a moment before the peer's file is written.
    """
    if world_size() <= 1:
        return None
    folder, launcher = run_dir / FOLDER, os.getppid()
    deadline = time.monotonic() + wait_s
    while True:
        found = sorted(folder.glob(f"{launcher}-rank*.txt")) if folder.is_dir() else []
        for path in found:
            with contextlib.suppress(OSError, ValueError):
                n = int(path.stem.rpartition("rank")[2])
                return f"rank {n}: {path.read_text(encoding='utf-8').strip()}"
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.1)


def report_world(args: Any, pairs_per_process_step: int, emit: Any) -> int:
    """Processes in this run (TrainingArguments.world_size); with several, log them and
    the global batch: each takes its own batch per step, so one optimizer step sees
    batch x accumulation x processes pairs, the figure learning-rate choices hinge on."""
    world = int(getattr(args, "world_size", 1) or 1)
    if world > 1:
        state = getattr(args, "distributed_state", None)
        backend = getattr(state, "backend", None) or "distributed"
        emit("log", message=f"{world} processes ({backend}): global batch "
                            f"{pairs_per_process_step * world} pairs per optimizer step "
                            f"({pairs_per_process_step} per process)")
    return world
