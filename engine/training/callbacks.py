"""Trainer callback that turns TRL's logs into Duelist events, and pair metrics.

TRL's RewardTrainer already computes accuracy and margin per batch and averages them
into each `log()` call (`accuracy`, `margin`, `eval_accuracy`, ...); this callback
adds throughput (pairs/s) and an ETA and forwards them as `step`/`eval` events.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any

from transformers import TrainerCallback


def pair_metrics(chosen: Sequence[float], rejected: Sequence[float], *,
                 prefix: str = "") -> dict[str, float]:
    """Accuracy (chosen > rejected), mean margin and mean Bradley-Terry loss.

    A tie (equal rewards) counts half, as in `duelist eval` (engine/scoring/evaluate.py): the
    same model on the same pairs must print the same accuracy in both places.
    """
    n = len(chosen)
    if n == 0:
        return {}
    diffs = [c - r for c, r in zip(chosen, rejected, strict=True)]
    acc = sum(1.0 if d > 0 else 0.5 if d == 0 else 0.0 for d in diffs) / n
    loss = sum(math.log1p(math.exp(-d)) if d > -30 else -d for d in diffs) / n
    return {f"{prefix}accuracy": round(acc, 6), f"{prefix}margin": round(sum(diffs) / n, 6),
            f"{prefix}loss": round(loss, 6), f"{prefix}pairs": n}


class EventCallback(TrainerCallback):
    """Emits `start` (at train begin), `step` and `eval` events through `emit`."""

    def __init__(self, emit: Callable[..., Any], *, pairs_per_step: int, n_train: int,
                 start_fields: dict[str, Any] | None = None) -> None:
        self.emit = emit
        self.pairs_per_step = pairs_per_step
        self.n_train = n_train
        self.start_fields = start_fields or {}
        self.t0 = time.monotonic()
        self.step0 = 0
        self.last_step = 0
        self.t_last = self.t0

    def pairs_done(self, step: int) -> int:
        """Pairs trained since this process began (the last batch of an epoch may be short)."""
        return max(0, step - self.step0) * self.pairs_per_step

    def pairs_per_s_overall(self) -> float:
        elapsed = self.t_last - self.t0
        return self.pairs_done(self.last_step) / elapsed if elapsed > 0 else 0.0

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.t0 = self.t_last = time.monotonic()
        self.step0 = self.last_step = int(state.global_step)
        self.emit("start", total_steps=int(state.max_steps), resumed_at_step=self.step0,
                  **self.start_fields)

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.last_step = int(state.global_step)
        self.t_last = time.monotonic()

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, float] | None = None,
               **kwargs: Any) -> None:
        logs = logs or {}
        step, epoch = int(state.global_step), round(float(state.epoch or 0.0), 4)
        if "eval_loss" in logs or "eval_accuracy" in logs:
            self.emit("eval", step=step, epoch=epoch, loss=logs.get("eval_loss"),
                      accuracy=logs.get("eval_accuracy"), margin=logs.get("eval_margin"))
            return
        if "loss" not in logs:
            return  # the end-of-training summary (train_runtime, ...)
        elapsed = time.monotonic() - self.t0
        done = step - self.step0
        rate = self.pairs_done(step) / elapsed if elapsed > 0 and done > 0 else None
        eta = (state.max_steps - step) * elapsed / done if done > 0 else None
        self.emit("step", step=step, total_steps=int(state.max_steps), epoch=epoch,
                  loss=logs.get("loss"), accuracy=logs.get("accuracy"),
                  margin=logs.get("margin"), lr=logs.get("learning_rate"),
                  pairs_per_s=round(rate, 3) if rate else None,
                  eta_s=round(eta, 1) if eta is not None else None)


class NoFinalCheckpoint(TrainerCallback):
    """Skip the checkpoint transformers writes after the last step.

    A checkpoint exists to resume an unfinished run; after the last step the run is
    finished and the model dir is written next, so that save (weights, optimizer state,
    RNG) was pure cost on every run. Not used with `load_best_model_at_end`, which
    needs the checkpoint of each evaluation.
    """

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if state.max_steps and state.global_step >= state.max_steps:
            control.should_save = False

    on_epoch_end = on_step_end
