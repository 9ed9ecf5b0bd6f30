"""What TRL is told: RewardParams -> `RewardConfig` (and `LoraConfig` for --peft).

Kept apart from the training loop so the translation from AutoTrain's knobs to TRL's
arguments (warmup rounding, save/eval strategy, precision flags, LoRA targets) reads
as one table, and so it can be checked without building a trainer.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from duelist.engine.training.params import RewardParams


def warmup_steps(params: RewardParams, n_train: int | None) -> float | int:
    """Whole warmup steps, rounded DOWN: transformers rounds a ratio up, and its linear
    warmup runs step 1 at lr 0, so a 2-step run spent half its training at lr 0 (issue 14,
    item 14). Down, a short run (< 1/ratio steps) simply has no warmup."""
    if not n_train:
        return params.warmup_ratio  # transformers 5: a float in [0, 1) is a ratio
    per_epoch = math.ceil(n_train / (params.batch_size * params.gradient_accumulation))
    total = params.max_steps if params.max_steps > 0 else per_epoch * params.epochs
    return int(params.warmup_ratio * total)


def reward_config(params: RewardParams, *, device: str, precision: str, evaluating: bool,
                   n_train: int | None = None) -> Any:
    from trl import RewardConfig

    eval_strategy = params.eval_strategy if evaluating else "no"
    best = params.load_best_model_at_end and evaluating
    if params.save_steps and not best:
        save = {"save_strategy": "steps", "save_steps": params.save_steps}
    elif eval_strategy == "steps":  # keeping the best model needs a checkpoint per evaluation
        save = {"save_strategy": "steps", "save_steps": params.eval_steps}
    else:
        save = {"save_strategy": "epoch"}
    with warnings.catch_warnings():
        # transformers 5 renames gradient_checkpointing; TRL 1.16 still reads the old name.
        warnings.simplefilter("ignore", FutureWarning)
        return _make_config(RewardConfig, params, device, precision, eval_strategy, best, save,
                            evaluating, warmup_steps(params, n_train))


def _make_config(RewardConfig: Any, params: RewardParams, device: str, precision: str,
                 eval_strategy: str, best: bool, save: dict[str, Any], evaluating: bool,
                 warmup: float | int) -> Any:
    return RewardConfig(
        output_dir=str(params.run_dir / "checkpoints"),
        num_train_epochs=params.epochs,
        max_steps=params.max_steps,
        per_device_train_batch_size=params.batch_size,
        per_device_eval_batch_size=params.batch_size * 2,  # no gradients: twice the pairs fit
        learning_rate=params.lr,
        warmup_steps=warmup,
        weight_decay=params.weight_decay,
        # One kernel over all tensors: a MiniLM optimizer step took 21.6 ms vs 31.9 ms
        # unfused on this CPU (one micro-run); same math.
        optim="adamw_torch_fused",
        gradient_accumulation_steps=params.gradient_accumulation,
        gradient_checkpointing=params.gradient_checkpointing,
        bf16=precision == "bf16",
        fp16=precision == "fp16",
        max_length=None,  # we truncated already; TRL's filter would DROP long pairs
        seed=params.seed,
        data_seed=params.seed,
        eval_strategy=eval_strategy,
        eval_steps=params.eval_steps,
        logging_steps=params.logging_steps,
        logging_first_step=True,
        save_total_limit=2 if best else 1,
        load_best_model_at_end=best,
        metric_for_best_model="eval_accuracy" if evaluating else None,
        greater_is_better=True if evaluating else None,
        remove_unused_columns=False,
        report_to="none",
        disable_tqdm=True,
        use_cpu=not device.startswith("cuda"),
        trust_remote_code=params.trust_remote_code,
        dataloader_pin_memory=device.startswith("cuda"),
        **save,
    )


def lora_config(params: RewardParams, model: Any) -> Any:
    from peft import LoraConfig, TaskType
    from peft.utils.constants import TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING as KNOWN

    if params.target_modules:
        targets: Any = params.target_modules
        if targets != "all-linear":
            targets = [t.strip() for t in targets.split(",") if t.strip()]
    else:
        targets = KNOWN.get(model.config.model_type, "all-linear")
    heads = [name for name in ("score", "classifier") if hasattr(model, name)]
    return LoraConfig(task_type=TaskType.SEQ_CLS, r=params.lora_r, lora_alpha=params.lora_alpha,
                      lora_dropout=params.lora_dropout, target_modules=targets,
                      modules_to_save=heads or None)
