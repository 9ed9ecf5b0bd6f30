"""How to start the training worker: plain Python, or `accelerate launch` for many GPUs.

Why a module: the CLI and the TUI both start the worker, and the decision "one
process or `accelerate launch`" must be the same in both and unit-testable on a
machine without GPUs. Stdlib only (no torch): GPUs are counted from
CUDA_VISIBLE_DEVICES or `nvidia-smi -L`, so building a command costs nothing.

Distribution is accelerate's job (multi-GPU, multi-node, DeepSpeed, FSDP through
`--accelerate-config`); we never write our own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

WORKER_MODULE = "duelist.engine.training.worker"


def visible_gpu_count(env: dict[str, str] | None = None) -> int:
    env = dict(os.environ if env is None else env)
    visible = env.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return len([d for d in visible.split(",") if d.strip() and d.strip() != "-1"])
    smi = shutil.which("nvidia-smi")
    if not smi:
        return 0
    try:
        out = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return 0
    return sum(1 for line in out.stdout.splitlines() if line.startswith("GPU "))


def worker_args(params_file: str | Path, *, db: str | None = None, run_id: int | None = None,
                events_file: str | Path | None = None) -> list[str]:
    args = ["--params", str(params_file)]
    if db:
        args += ["--db", str(db)]
    if run_id is not None:
        args += ["--run-id", str(run_id)]
    if events_file:
        args += ["--events-file", str(events_file)]
    return args


def build_worker_command(args: list[str], *, num_processes: int | None = None,
                         accelerate_config: str | None = None, gpu_count: int | None = None,
                         python: str | None = None) -> list[str]:
    """The argv that starts the worker (through `accelerate launch` when distributed).

    accelerate when: a config file is given, --num-processes is given (and > 1), or
    more than one GPU is visible (then one process per GPU).

    Without GPUs, `accelerate launch --num_processes N` alone falls back to its simple
    launcher and starts ONE process. Its torchrun path (`--multi_gpu`) is the one that
    starts N; the worker then asks accelerate for the CPU (`cpu_distributed_env`), which
    makes it a MULTI_CPU run over gloo. The flags accelerate would otherwise default
    (with a warning on every start) are given explicitly.
    """
    python = python or sys.executable
    gpus = visible_gpu_count() if gpu_count is None else gpu_count
    if not (accelerate_config or (num_processes and num_processes > 1) or gpus > 1):
        return [python, "-m", WORKER_MODULE, *args]
    cmd = [python, "-m", "accelerate.commands.launch"]
    if accelerate_config:
        cmd += ["--config_file", str(accelerate_config)]
    n = num_processes or (gpus if gpus > 1 else None)
    if n:
        cmd += ["--num_processes", str(n)]
        if gpus > 1 and not accelerate_config:
            cmd += ["--multi_gpu"]
        elif gpus == 0 and n > 1 and not accelerate_config:
            cmd += ["--multi_gpu", "--num_machines", "1", "--mixed_precision", "no",
                    "--dynamo_backend", "no"]
    return [*cmd, "-m", WORKER_MODULE, *args]


def cpu_distributed_env(env: dict[str, str] | None = None, *,
                        cuda_available: bool | None = None) -> dict[str, str]:
    """What a worker started by torchrun on a machine without CUDA must add to its env.

    accelerate only builds a MULTI_CPU (gloo) process group when told the run is on
    the CPU; without it every rank trains alone as rank 0 of 1. Called by the worker
    before transformers creates its TrainingArguments. Empty when not distributed,
    or when CUDA is there (then accelerate picks NCCL itself).
    """
    env = dict(os.environ if env is None else env)
    world = int(env.get("WORLD_SIZE", "1") or 1)
    if world <= 1 or "ACCELERATE_USE_CPU" in env:
        return {}
    if cuda_available is None:
        cuda_available = visible_gpu_count(env) > 0
    return {} if cuda_available else {"ACCELERATE_USE_CPU": "true"}
