"""Validation metrics of a reward model, computed once per evaluation, the fast way.

Why a module of its own: the same numbers serve three consumers, and scoring the
validation pairs three times was a quarter of a whole `duelist train` run (measured
on hh, 300 validation pairs: TRL's own evaluate 20 s, the exact validation 3.6 s,
the calibration fit 4.5 s, in a 101 s run):
- TRL's periodic evaluation (`eval_strategy`), which feeds the dashboard's curve,
  early stopping and `load_best_model_at_end`: `evaluate_like_trl` replaces TRL's
  generic evaluation loop (full forward of every position, in the training batch
  layout) with the scorer's forward (length-sorted batches, pooled token only);
- the final exact validation in duelist.json, reused when the last evaluation
  already ran on the final weights;
- the calibration fit, from the same chosen/rejected margins.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from duelist.engine.scoring.reward_model import forward_scores
from duelist.engine.training.callbacks import pair_metrics


def pair_scores(model: Any, rows: Sequence[dict[str, Any]], pad_id: int, device: str,
                precision: str) -> tuple[list[float], list[float]]:
    """Rewards of the chosen and the rejected side of each encoded validation pair."""
    def feats(prefix: str) -> list[dict[str, list[int]]]:
        out = []
        for r in rows:
            f = {"input_ids": r[f"{prefix}_ids"], "attention_mask": [1] * len(r[f"{prefix}_ids"])}
            if f"{prefix}_token_type_ids" in r:
                f["token_type_ids"] = r[f"{prefix}_token_type_ids"]
            out.append(f)
        return out

    n = len(rows)
    scores = forward_scores(model, feats("chosen") + feats("rejected"), pad_token_id=pad_id,
                            device=device, batch_size=32, precision=precision)
    return scores[:n], scores[n:]


class FastValidation:
    """The validation set and how to score it, attached to the trainer.

    `last` keeps the most recent result with the optimizer step it was taken at, so
    the end of training can reuse it instead of scoring the same weights again.
    """

    def __init__(self, rows: Sequence[dict[str, Any]], pad_id: int, device: str,
                 precision: str) -> None:
        self.rows, self.pad_id, self.device, self.precision = list(rows), pad_id, device, precision
        self.last: tuple[int, dict[str, float], list[float]] | None = None
        # Every response's reward at the last evaluation (chosen, then rejected): the
        # reward statistics of the RL hand-off reuse them instead of another pass.
        self.last_scores: list[float] = []

    def run(self, model: Any, step: int) -> dict[str, float]:
        """`valid_accuracy`, `valid_margin`, `valid_loss`, ... on every validation pair."""
        chosen, rejected = pair_scores(model, self.rows, self.pad_id, self.device,
                                       self.precision)
        metrics = pair_metrics(chosen, rejected, prefix="valid_")
        self.last = (step, metrics, [c - r for c, r in zip(chosen, rejected, strict=True)])
        self.last_scores = chosen + rejected
        return metrics

    def at_step(self, step: int) -> tuple[dict[str, float], list[float]] | None:
        """The metrics and margins taken at `step`, if the last evaluation was there."""
        if self.last is None or self.last[0] != step:
            return None
        return self.last[1], self.last[2]


def evaluate_like_trl(trainer: Any, validation: FastValidation,
                      metric_key_prefix: str = "eval") -> dict[str, float]:
    """Trainer.evaluate's contract (log, on_evaluate callbacks, metrics returned) with
    the fast exact metrics: `eval_loss`, `eval_accuracy`, `eval_margin`."""
    model = trainer.accelerator.unwrap_model(trainer.model)
    was_training = model.training
    valid = validation.run(model, int(trainer.state.global_step))
    if was_training:
        model.train()
    metrics = {f"{metric_key_prefix}_{k.removeprefix('valid_')}": v for k, v in valid.items()}
    trainer.log(metrics)
    trainer.control = trainer.callback_handler.on_evaluate(trainer.args, trainer.state,
                                                           trainer.control, metrics)
    return metrics
