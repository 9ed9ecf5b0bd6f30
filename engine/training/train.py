"""`train(params) -> RewardModel`: preference pairs in, an HF reward model dir out.

The pipeline, and why each step is ours rather than TRL's default:
1. Pairs from a file or the store (`data.py`), split by prompt (`split.py`).
2. Every pair is encoded by `PairEncoder` (the same code scoring uses) and handed to
   TRL pre-tokenized, with TRL's own length filter off: long pairs are truncated
   (prompt cut from the left), never dropped. The count is reported.
3. TRL `RewardTrainer` (Bradley-Terry loss, its accuracy/margin metrics) on
   `AutoModelForSequenceClassification(num_labels=1)`, with our collator (keeps
   token_type_ids) and length-grouped sampler (`batching.py`).
4. Speed defaults: no gradient checkpointing (TRL's default costs ~27% here on small
   models), bf16 autocast only where the hardware runs it natively (`precision.py`).
5. Exact validation metrics from the final model, then the model dir written
   atomically with duelist.json and a model card (`model_output.py`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from duelist.engine.errors import ParamsError
from duelist.engine.models.encoding import PairEncoder
from duelist.engine.models.loading import (
    load_sequence_classifier,
    load_tokenizer,
    quiet_transformers,
    resolve_model_id,
)
from duelist.engine.models.pooled_token import pooled_token_only
from duelist.engine.models.precision import default_device, resolve_mixed_precision
from duelist.engine.scoring.reward_model import RewardModel, forward_scores, model_position_limit
from duelist.engine.training.attention_tuning import AttentionTuner, switchable_model, tuner_for
from duelist.engine.training.batching import (
    LengthGroupedSampler,
    PreferenceCollator,
    encode_pairs,
    pair_length,
)
from duelist.engine.training.callbacks import EventCallback, NoFinalCheckpoint
from duelist.engine.training.distributed import report_world
from duelist.engine.training.freezing import freeze_large_embeddings
from duelist.engine.training.pair_source import TrainingData, load_training_data
from duelist.engine.training.params import RewardParams
from duelist.engine.training.split import split_pairs
from duelist.engine.training.trainer_config import lora_config, reward_config
from duelist.engine.training.validation import FastValidation, evaluate_like_trl

Emit = Callable[..., Any]


def _no_emit(event: str, **fields: Any) -> None:
    return None


def _dataset(rows: list[dict[str, Any]]) -> Any:
    from datasets import Dataset

    return Dataset.from_list(rows)


def _trainer_class() -> type:
    from trl import RewardTrainer

    class DuelistRewardTrainer(RewardTrainer):
        """RewardTrainer that keeps token_type_ids and batches by length."""

        def _set_signature_columns_if_needed(self) -> None:
            if self._signature_columns is None:
                self._signature_columns = ["chosen_ids", "rejected_ids", "margin",
                                           "chosen_token_type_ids", "rejected_token_type_ids"]

        attention_tuner: AttentionTuner | None = None

        def training_step(self, model: Any, inputs: dict[str, Any],
                          num_items_in_batch: Any = None) -> Any:
            # The BT loss reads only the pooled token: the last layer runs for it alone.
            with pooled_token_only(model, training=True):
                tuner = self.attention_tuner
                if tuner is None or "input_ids" not in inputs:
                    return super().training_step(model, inputs, num_items_in_batch)
                rows, width = inputs["input_ids"].shape
                kernel = tuner.kernel_for(width)
                t0 = time.perf_counter()
                loss = super().training_step(model, inputs, num_items_in_batch)
                tuner.record(width, kernel, time.perf_counter() - t0, rows * width)
                return loss

        fast_validation: FastValidation | None = None

        def evaluate(self, eval_dataset: Any = None, ignore_keys: Any = None,
                     metric_key_prefix: str = "eval") -> dict[str, float]:
            # Our validation set: scored by the scorer's forward, once (validation.py),
            # with the model's own kernel: the bf16 training kernel is slower than CPU
            # sdpa without a backward (150 hh pairs: 2.6 s vs 2.2 s); the next training
            # step switches back.
            if eval_dataset is None and self.fast_validation is not None:
                if self.attention_tuner is not None:
                    self.attention_tuner.restore()
                return evaluate_like_trl(self, self.fast_validation, metric_key_prefix)
            return super().evaluate(eval_dataset, ignore_keys, metric_key_prefix)

        def _get_train_sampler(self, train_dataset: Any = None) -> Any:
            ds = train_dataset if train_dataset is not None else self.train_dataset
            return LengthGroupedSampler(ds["length"], self.args.per_device_train_batch_size,
                                        self.args.seed)

    return DuelistRewardTrainer


def _last_checkpoint(params: RewardParams, emit: Emit | None = None) -> str | None:
    """The newest COMPLETE checkpoint (a save cut short by Ctrl+C is skipped and removed)."""
    from duelist.engine.training.checkpoints import last_complete_checkpoint

    log = (lambda message: emit("log", message=message)) if emit else None
    found = last_complete_checkpoint(params.run_dir / "checkpoints", log)
    return str(found) if found else None


def train(params: RewardParams, *, db: str | None = None, emit: Emit | None = None,
          data: TrainingData | None = None) -> RewardModel:
    """Train a reward model as `params` says; return it loaded from its final dir."""
    emit = emit or _no_emit
    quiet_transformers()
    params.validate()
    t_start = time.monotonic()
    device = default_device()
    precision = resolve_mixed_precision(params.mixed_precision, device)
    if params.mixed_precision == "fp16" and precision != "fp16":
        emit("log", message=f"fp16 is not supported on {device}; using {precision} instead")

    data = data or load_training_data(params.data_path, prompt_col=params.prompt_text_column,
                                      chosen_col=params.text_column,
                                      rejected_col=params.rejected_text_column, db=db)
    split = split_pairs(data.pairs, params.valid_split, params.seed)
    if not split.train:
        raise ParamsError("no training pairs left after the validation split")
    model_id = resolve_model_id(params.model)
    emit("log", message=f"loading {model_id}")

    from transformers import set_seed

    set_seed(params.seed)
    tokenizer = load_tokenizer(model_id, trust_remote_code=params.trust_remote_code)
    model = load_sequence_classifier(model_id, tokenizer, num_labels=params.num_labels,
                                     trust_remote_code=params.trust_remote_code,
                                     quantization=params.quantization)
    max_length = min(params.max_seq_length, model_position_limit(model))
    if max_length < params.max_seq_length:
        emit("log", message=f"max_seq_length {params.max_seq_length} exceeds the model's "
                            f"{max_length} positions; using {max_length}")
    encoder = PairEncoder(tokenizer, max_length)
    enc_train = encode_pairs(encoder, split.train, margins=params.use_margin)
    enc_valid = encode_pairs(encoder, split.valid, margins=params.use_margin)
    if params.use_margin:
        graded = sum(1 for p in split.train if p.margin > 0)
        emit("log", message=f"margin loss on: {graded} of {len(split.train)} training pairs "
                            "have a margin > 0")
    n_truncated = enc_train.n_truncated + enc_valid.n_truncated
    if n_truncated:
        emit("log", message=f"{n_truncated} of {len(data.pairs)} pairs were longer than "
                            f"{max_length} tokens and were truncated (prompt cut from the left)")
    train_ds = _dataset([{**r, "length": pair_length(r)} for r in enc_train.rows])
    valid_ds = _dataset(enc_valid.rows) if enc_valid.rows else None
    evaluating = valid_ds is not None and params.eval_strategy != "no"

    if params.freeze_embeddings and not params.peft:
        share = freeze_large_embeddings(model)
        if share:
            emit("log", message=f"token embeddings frozen ({share:.0%} of the weights); "
                                "--no-freeze-embeddings to train them")
    peft_config = None
    if params.peft:
        if params.quantization:
            from peft import prepare_model_for_kbit_training

            model = prepare_model_for_kbit_training(
                model, use_gradient_checkpointing=params.gradient_checkpointing)
        peft_config = lora_config(params, model)

    args = reward_config(params, device=device, precision=precision, evaluating=evaluating,
                          n_train=len(split.train))
    world = report_world(args, params.batch_size * params.gradient_accumulation, emit)
    callback = EventCallback(
        emit, pairs_per_step=params.batch_size * params.gradient_accumulation * world,
        n_train=len(split.train),
        start_fields={"epochs": params.epochs, "n_train": len(split.train), "world_size": world,
                      "n_valid": len(split.valid), "n_truncated": n_truncated, "model": model_id,
                      "config": params.to_dict(), "device": device, "precision": precision,
                      "data_source": data.source, "data_hash": data.data_hash})
    callbacks: list[Any] = [callback]
    if not (params.load_best_model_at_end and evaluating):
        callbacks.append(NoFinalCheckpoint())
    if params.early_stopping_patience and evaluating:
        from transformers import EarlyStoppingCallback

        callbacks.append(EarlyStoppingCallback(params.early_stopping_patience,
                                               params.early_stopping_threshold))
    trainer = _trainer_class()(
        model=model, args=args, train_dataset=train_ds, eval_dataset=valid_ds,
        processing_class=tokenizer, data_collator=PreferenceCollator(tokenizer.pad_token_id),
        callbacks=callbacks, peft_config=peft_config)
    _drop_printers(trainer)
    _choose_attention(trainer, params, device, precision, emit)
    validation = FastValidation(enc_valid.rows, tokenizer.pad_token_id, device, precision)
    trainer.fast_validation = validation

    resume_from = None
    if params.resume:
        resume_from = _last_checkpoint(params, emit)
        if resume_from is None:
            emit("log", message=f"no checkpoint in {params.run_dir}; starting from the beginning")
        else:
            emit("log", message=f"resuming from {Path(resume_from).name}")
    cpu0 = time.process_time()
    result = trainer.train(resume_from_checkpoint=resume_from)
    train_cpu_s = time.process_time() - cpu0
    if not trainer.is_world_process_zero():
        return None  # type: ignore[return-value]  # under accelerate, rank 0 writes the model
    # accelerate patched forward() with an autocast wrapper for mixed precision; unwrap
    # it so the returned RewardModel scores in the precision it is asked for.
    trained = trainer.accelerator.unwrap_model(trainer.model, keep_fp32_wrapper=False)
    trained.eval()

    if trainer.attention_tuner is not None:
        trainer.attention_tuner.restore()
        if trainer.attention_tuner.chosen:  # a short run may end before any timing decision
            emit("log", message="attention kernels by batch width: "
                                f"{trainer.attention_tuner.summary()}")
    metrics: dict[str, Any] = {
        "train_loss": float(result.training_loss),
        "train_runtime_s": round(float(result.metrics.get("train_runtime", 0.0)), 3),
        "train_pairs_per_s": round(_pairs_per_s(trainer, result, len(split.train), callback), 3),
        "train_cpu_s": round(train_cpu_s, 3),  # all threads; robust to other load
        "epochs_completed": round(float(trainer.state.epoch or 0.0), 3),
        "steps": int(trainer.state.global_step),
    }
    margins: list[float] | None = None
    if enc_valid.rows:
        step = int(trainer.state.global_step)
        # The last evaluation scored these very weights (unless the best checkpoint was
        # loaded back): reuse it rather than score the validation set again.
        taken = None if params.load_best_model_at_end else validation.at_step(step)
        if taken is None:
            validation.run(trained, step)
            taken = validation.at_step(step)
        assert taken is not None
        metrics.update(taken[0])
        margins = taken[1]
        emit("eval", step=int(trainer.state.global_step), epoch=metrics["epochs_completed"],
             loss=metrics["valid_loss"], accuracy=metrics["valid_accuracy"],
             margin=metrics["valid_margin"], final=True)
    counts = {**data.counts, "train": len(split.train), "valid": len(split.valid),
              "truncated": n_truncated,
              "train_prompts": len({p.prompt for p in split.train}),
              "valid_prompts": len({p.prompt for p in split.valid})}
    from duelist.engine.models import rl_handoff as handoff
    from duelist.engine.scoring import reward_stats

    if validation.last_scores:  # the final validation scored these weights already
        stats = reward_stats.validation_stats(validation.last_scores)
    else:
        stats = reward_stats.training_stats(
            lambda feats: forward_scores(trained, feats, pad_token_id=tokenizer.pad_token_id,
                                         device=device, batch_size=32, precision=precision),
            enc_train.rows, seed=params.seed)
    emit("log", message=f"reward statistics over {stats['n']} {stats['responses']} responses: "
                        f"mean {stats['mean']:.4f}, std {stats['std']:.4f}")
    rl_info = handoff.prepare(trained, tokenizer, encoder, stats)
    meta = {"config": params.to_dict(), "base_model": model_id, "data_source": data.source,
            "data_hash": data.data_hash, "counts": counts, "metrics": metrics,
            "encoding": {"kind": encoder.kind, "max_length": max_length},
            "reward_stats": stats, "rl": rl_info,
            "precision": precision, "device": device,
            "duration_s": round(time.monotonic() - t_start, 3)}
    from duelist.engine.training.model_output import write_model_dir

    reward_model = write_model_dir(params, trained, tokenizer, meta, merge=params.merge_adapter)
    if split.valid:  # calibration.json: P(chosen > rejected) = sigmoid(margin / T), fitted here
        from duelist.engine.scoring.calibration import fit_and_save

        cal = fit_and_save(reward_model.path, split.valid, model=reward_model, margins=margins)
        emit("log", message=f"calibration (temperature {cal.fitted_temperature:.3f} fitted on "
                            f"{cal.n_pairs} validation pairs): {cal.note}")
    return reward_model


def _choose_attention(trainer: Any, params: RewardParams, device: str, precision: str,
                      emit: Emit) -> None:
    """Fix the kernel the user asked for, or let the tuner time eager vs sdpa (CPU)."""
    if params.attention == "auto":
        trainer.attention_tuner = tuner_for(trainer.model, device, precision)
        return
    base = switchable_model(trainer.model)
    if base is None:
        emit("log", message=f"--attention {params.attention}: this model cannot switch "
                            "attention kernels; keeping its default")
    else:
        base.set_attn_implementation(params.attention)


def _pairs_per_s(trainer: Any, result: Any, n_train: int, callback: EventCallback) -> float:
    """Pairs actually trained per second of training (exact for a run that did not resume)."""
    runtime = float(result.metrics.get("train_runtime", 0.0))
    if callback.step0 == 0 and runtime > 0:
        return float(trainer.state.epoch or 0.0) * n_train / runtime
    return callback.pairs_per_s_overall()


def _drop_printers(trainer: Any) -> None:
    """transformers' PrinterCallback prints log dicts to STDOUT, which is our event channel."""
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    for cb in (PrinterCallback, ProgressCallback):
        trainer.remove_callback(cb)
