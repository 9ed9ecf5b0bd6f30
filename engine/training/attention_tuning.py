"""Pick the faster attention kernel per batch width by timing real training steps.

Why: on CPU, PyTorch's SDPA (its flash-attention kernel) has a slow backward pass for
the short, padded batches preference data is made of. Replaying the hh_train batches
of a MiniLM reward run (bf16 autocast, this project's 2-core EPYC) gave, per 12
forward+backward steps:

    width   0-63: sdpa 3.1-3.6 s   eager 2.5-2.6 s
    width 64-127: sdpa 6.2-6.6 s   eager 4.5-4.7 s
    width  = 256: sdpa 15.1-15.6 s eager 17.7-18.6 s

so neither kernel wins everywhere, and the crossover depends on the CPU, the head
size and the dtype. Rather than hard-code a threshold measured on one machine, the
tuner measures: for each width bucket it runs the first steps alternately with each
kernel (these are ordinary training steps; both kernels compute the same attention),
then keeps the one with the lower time per padded token. GPUs keep SDPA: there it
wins, and per-step host timing would measure launch queues, not kernels.

Under bf16 autocast on CPU, `lowp_attention`'s kernel (eager's math kept in bf16)
replaces eager as the candidate: it was faster than eager at every width measured
(the fp32 mask no longer promotes the scores), and it still races sdpa, which wins
again at the longest widths (see lowp_attention.py).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

CANDIDATES = ("eager", "sdpa")
BUCKET_TOKENS = 64  # widths 1-64, 65-128, ... share a decision
TRIALS = 2  # timed steps per kernel per bucket before deciding


def bucket_of(width: int, size: int = BUCKET_TOKENS) -> int:
    """The bucket's upper width: 64 for widths 1-64, 128 for 65-128, ..."""
    return max(1, -(-width // size)) * size


@dataclass
class AttentionTuner:
    """Explore-then-exploit choice of attention kernel per width bucket.

    `apply(kernel)` switches the model; it is only called when the kernel changes.
    """

    apply: Callable[[str], None]
    current: str
    candidates: tuple[str, ...] = CANDIDATES
    trials: int = TRIALS
    timings: dict[int, dict[str, list[float]]] = field(default_factory=dict)
    chosen: dict[int, str] = field(default_factory=dict)
    original: str = ""

    def __post_init__(self) -> None:
        self.original = self.original or self.current

    def restore(self) -> None:
        """Back to the model's own kernel, so the saved model and scoring are unchanged."""
        if self.current != self.original:
            self.apply(self.original)
            self.current = self.original

    def kernel_for(self, width: int) -> str:
        """The kernel the next step of this width should run with (switching to it)."""
        bucket = bucket_of(width)
        kernel = self.chosen.get(bucket) or self._next_trial(bucket)
        if kernel != self.current:
            self.apply(kernel)
            self.current = kernel
        return kernel

    def record(self, width: int, kernel: str, seconds: float, tokens: int) -> None:
        """Add one timed step; once every kernel has `trials` timings, decide the bucket."""
        bucket = bucket_of(width)
        if bucket in self.chosen or tokens <= 0:
            return
        runs = self.timings.setdefault(bucket, {k: [] for k in self.candidates})
        runs.setdefault(kernel, []).append(seconds / tokens)
        if all(len(runs[k]) >= self.trials for k in self.candidates):
            self.chosen[bucket] = min(self.candidates, key=lambda k: statistics.median(runs[k]))

    def _next_trial(self, bucket: int) -> str:
        runs = self.timings.get(bucket, {})
        # the kernel with the fewest timings so far; ties go in candidate order
        return min(self.candidates, key=lambda k: len(runs.get(k, ())))

    def summary(self) -> str:
        """One line for the run log, e.g. 'eager up to 192 tokens, sdpa at 256'."""
        if not self.chosen:
            return "no decision yet"
        return ", ".join(f"{k} at <= {b}" for b, k in sorted(self.chosen.items()))


def tuner_for(model: Any, device: str, precision: str = "no") -> AttentionTuner | None:
    """A tuner when it can help: CPU, and a model that can switch eager <-> sdpa.

    With bf16 autocast (`precision` 'bf16') the bf16 eager kernel takes eager's place.
    """
    if str(device).startswith("cuda"):
        return None
    base = switchable_model(model)
    if base is None:
        return None
    current = base.config._attn_implementation
    if current not in CANDIDATES:
        return None  # e.g. flash_attention_2 chosen by the user: leave it alone

    def apply(kernel: str) -> None:
        base.set_attn_implementation(kernel)

    if precision == "bf16":
        from duelist.engine.training.lowp_attention import register

        return AttentionTuner(apply=apply, current=current, candidates=(register(), "sdpa"))
    return AttentionTuner(apply=apply, current=current)


def switchable_model(model: Any) -> Any:
    """The transformers model inside (peft wraps it) if it can change kernels at run time."""
    for candidate in (model, getattr(model, "base_model", None),
                      getattr(getattr(model, "base_model", None), "model", None)):
        if candidate is None or not hasattr(candidate, "set_attn_implementation"):
            continue
        can = getattr(candidate, "_can_set_attn_implementation", None)
        try:
            switchable = callable(can) and can()
        except Exception:  # an odd remote-code model: just do not tune
            return None
        if switchable and getattr(candidate, "_supports_sdpa", False):
            return candidate
    return None
