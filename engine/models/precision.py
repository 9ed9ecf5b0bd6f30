"""Which reduced precision this machine can run fast: one answer for training and scoring.

Why: bf16 autocast is ~2.6x faster for MiniLM on a CPU with avx512_bf16/AMX, but on a
CPU without them PyTorch emulates bf16 and it is SLOWER than fp32. So we never turn it
on blindly (TRL's default does): we look at the hardware first.

- CUDA: `torch.cuda.is_bf16_supported()` (Ampere and newer).
- CPU: the `avx512_bf16` or `amx_bf16` flag in /proc/cpuinfo (Linux). Elsewhere we
  do not guess and use fp32.

torch is imported inside the functions so the TUI can import this module cheaply.
"""

from __future__ import annotations

import contextlib
import functools
from pathlib import Path
from typing import Any

CPU_BF16_FLAGS = ("avx512_bf16", "amx_bf16")


@functools.cache
def cpu_flags(cpuinfo: str = "/proc/cpuinfo") -> frozenset[str]:
    """The CPU feature flags (empty when /proc/cpuinfo is missing, e.g. macOS)."""
    try:
        text = Path(cpuinfo).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith("flags"):
            return frozenset(line.split(":", 1)[1].split())
    return frozenset()


def cpu_has_fast_bf16(flags: frozenset[str] | None = None) -> bool:
    flags = cpu_flags() if flags is None else flags
    return any(f in flags for f in CPU_BF16_FLAGS)


def cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def bf16_supported(device: str = "cpu") -> bool:
    """True when bf16 autocast is fast (not emulated) on `device` ('cpu' or 'cuda[:n]')."""
    if str(device).startswith("cuda"):
        import torch

        return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())
    return cpu_has_fast_bf16()


def default_device() -> str:
    return "cuda" if cuda_available() else "cpu"


def resolve_mixed_precision(requested: str | None, device: str) -> str:
    """The mixed precision to train with: 'bf16', 'fp16' or 'no'.

    `requested` None means "pick for me": bf16 where the hardware supports it, else
    fp16 on CUDA without bf16, else no. An explicit choice is honoured except fp16 on
    CPU, which PyTorch does not autocast well; that falls back to bf16/no (the caller
    reports it).
    """
    if requested in (None, "auto"):
        if bf16_supported(device):
            return "bf16"
        return "fp16" if str(device).startswith("cuda") else "no"
    if requested == "fp16" and not str(device).startswith("cuda"):
        return "bf16" if bf16_supported(device) else "no"
    return requested


def autocast(device: str, enabled: bool, dtype: str = "bf16") -> Any:
    """A torch.autocast context for `device`, or a no-op context when disabled."""
    if not enabled:
        return contextlib.nullcontext()
    import torch

    kind = "cuda" if str(device).startswith("cuda") else "cpu"
    return torch.autocast(kind, dtype=torch.bfloat16 if dtype == "bf16" else torch.float16)
