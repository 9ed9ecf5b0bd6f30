"""The seed's step 2: train a policy on a Duelist reward model with TRL's GRPO or RLOO.

The AutoTrain guide ends with `trainer="ppo", rl_reward_model_path="./my-reward-model"`.
TRL 1.16 ships no PPO; its online RL trainers are `GRPOTrainer` and `RLOOTrainer`,
and both take the reward as `reward_funcs`. Here the reward is
`reward_function(rl_reward_model_path)`, so the policy is trained on the rewards
Duelist itself gives (same encoding and truncation, chat prompts, empty completions).

    from duelist.engine import PolicyParams, train_policy
    policy_dir = train_policy(PolicyParams(model="gpt2", trainer="grpo",
                                           rl_reward_model_path="./my-reward-model",
                                           data_path="./prompts.json",
                                           project_name="grpo-with-reward"))

Progress goes out as events through `emit` (start, step with the mean reward, log,
done); the CLI draws them with Rich. The policy dir is written atomically.
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from duelist.engine.errors import InputError, ParamsError

Emit = Callable[..., Any]
TRAINERS = ("grpo", "rloo")
PPO_GONE = ("TRL no longer ships PPO; use --trainer grpo or --trainer rloo with the same "
            "reward model")


@dataclass
class PolicyParams:
    """What `duelist llm --trainer grpo|rloo` takes; names follow the AutoTrain guide."""

    model: str = ""  # the policy: a causal LM dir or hub id
    trainer: str = "grpo"
    rl_reward_model_path: str = ""
    data_path: str = ""
    prompt_text_column: str = "prompt"
    project_name: str = "policy"
    project_root: str = "."
    epochs: float = 1.0
    batch_size: int = 4
    lr: float = 1e-5
    max_steps: int = -1
    max_new_tokens: int = 64  # generation length per completion
    num_generations: int = 4  # completions per prompt (the GRPO/RLOO group)
    temperature: float = 1.0
    normalize_reward: bool = False
    peft: bool = False
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    target_modules: str | None = None
    seed: int = 42
    logging_steps: int = 1

    @property
    def output_dir(self) -> Path:
        return Path(self.project_root).expanduser() / self.project_name

    def validate(self) -> None:
        if self.trainer == "ppo":
            raise ParamsError(PPO_GONE)
        if self.trainer not in TRAINERS:
            raise ParamsError(f"trainer must be grpo or rloo, got '{self.trainer}'")
        for name in ("model", "rl_reward_model_path", "data_path"):
            if not getattr(self, name):
                flag = "--" + name.replace("_", "-")
                raise ParamsError(f"{flag} is required with --trainer {self.trainer}")
        if self.num_generations < 2:
            raise ParamsError("--num-generations must be at least 2 (GRPO/RLOO compare "
                              "completions of the same prompt)")
        if self.batch_size < 1 or self.batch_size % self.num_generations:
            raise ParamsError(f"--batch-size ({self.batch_size}) must be a multiple of "
                              f"--num-generations ({self.num_generations}): each batch holds "
                              "whole prompt groups")
        if self.max_new_tokens < 1 or self.lr <= 0 or self.epochs <= 0:
            raise ParamsError("--max-new-tokens, --lr and --epochs must be positive")
        if Path(self.project_name).is_absolute() or ".." in Path(self.project_name).parts:
            raise ParamsError("--project-name must be a relative path inside the project")


def load_prompts(path: str, column: str) -> list[dict[str, Any]]:
    """Rows `{"prompt": text or messages}` from any file `duelist score` reads."""
    from duelist.engine.ingest import values
    from duelist.engine.ingest.readers import iter_rows

    src = Path(path).expanduser()
    if not src.is_file():
        raise InputError("no such file", path=str(src))
    out, kinds = [], set()
    for row_no, rec in iter_rows(src):
        if column not in rec:
            raise InputError("missing prompt column", path=str(src), row=row_no, column=column)
        text, messages = values.prompt(rec[column], str(src), row_no, column)
        kinds.add(messages is not None)
        out.append({"prompt": messages if messages is not None else text})
    if not out:
        raise InputError("file has no prompts", path=str(src))
    if len(kinds) > 1:
        raise InputError("prompts mix plain text and chat messages; TRL needs one kind",
                         path=str(src), column=column)
    return out


def _callback(emit: Emit) -> Any:
    from transformers import TrainerCallback

    class Progress(TrainerCallback):
        def on_train_begin(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            emit("start", total_steps=int(state.max_steps))

        def on_log(self, args: Any, state: Any, control: Any, logs: Any = None,
                   **kw: Any) -> None:
            logs = logs or {}
            if "reward" in logs:
                emit("step", step=int(state.global_step), total_steps=int(state.max_steps),
                     reward=float(logs["reward"]), reward_std=float(logs.get("reward_std", 0.0)),
                     loss=float(logs.get("loss", 0.0)))

    return Progress()


def _config(params: PolicyParams, out: Path) -> Any:
    from duelist.engine.models.precision import bf16_supported, default_device

    device = default_device()
    common = dict(
        output_dir=str(out), num_train_epochs=params.epochs, max_steps=params.max_steps,
        per_device_train_batch_size=params.batch_size, learning_rate=params.lr,
        num_generations=params.num_generations, max_completion_length=params.max_new_tokens,
        temperature=params.temperature, logging_steps=params.logging_steps, seed=params.seed,
        save_strategy="no", report_to="none", disable_tqdm=True,
        use_cpu=not device.startswith("cuda"), bf16=bf16_supported(device))
    if params.trainer == "grpo":
        from trl import GRPOConfig as Config
    else:
        from trl import RLOOConfig as Config
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Config(**common)


def _peft(params: PolicyParams) -> Any:
    if not params.peft:
        return None
    from peft import LoraConfig, TaskType

    targets: Any = "all-linear"
    if params.target_modules and params.target_modules != "all-linear":
        targets = [t.strip() for t in params.target_modules.split(",") if t.strip()]
    return LoraConfig(task_type=TaskType.CAUSAL_LM, r=params.lora_r, lora_alpha=params.lora_alpha,
                      lora_dropout=params.lora_dropout, target_modules=targets)


def train_policy(params: PolicyParams, *, emit: Emit | None = None) -> Path:
    """Train the policy as `params` says; return the written policy dir."""
    from duelist.engine.files.atomic import atomic_dir
    from duelist.engine.models.loading import quiet_transformers
    from duelist.engine.models.model_check import check_model_dir
    from duelist.engine.rl.reward_function import reward_function

    emit = emit or (lambda event, **fields: None)
    params.validate()
    check_model_dir(params.rl_reward_model_path)
    rows = load_prompts(params.data_path, params.prompt_text_column)
    quiet_transformers()
    import logging

    logging.getLogger("bitsandbytes").setLevel(logging.ERROR)  # its CPU-kernel notice, via peft
    t0 = time.monotonic()
    emit("log", message=f"loading reward model {params.rl_reward_model_path}")
    reward = reward_function(params.rl_reward_model_path, normalize=params.normalize_reward)
    emit("log", message=f"loading policy {params.model}")
    from datasets import Dataset
    from duelist.engine.models.loading import _from_pretrained
    from duelist.engine.models.model_check import check_model_source
    from transformers import AutoTokenizer

    check_model_source(params.model)
    tok = _from_pretrained(AutoTokenizer, params.model, "tokenizer")
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    if isinstance(rows[0]["prompt"], list) and not getattr(tok, "chat_template", None):
        raise InputError("the prompts are chat messages but the policy's tokenizer has no chat "
                         "template; use plain-text prompts or a chat model",
                         path=params.data_path)
    if params.trainer == "grpo":
        from trl import GRPOTrainer as Trainer
    else:
        from trl import RLOOTrainer as Trainer
    out = params.output_dir
    work = out.parent / f".{out.name}.work"
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    with warnings.catch_warnings():
        # transformers 5 renames gradient_checkpointing*; TRL 1.16 still calls the old names
        warnings.simplefilter("ignore", FutureWarning)
        trainer = Trainer(model=params.model, reward_funcs=[reward], args=_config(params, work),
                          train_dataset=Dataset.from_list(rows), processing_class=tok,
                          callbacks=[_callback(emit)], peft_config=_peft(params))
        for cb in (PrinterCallback, ProgressCallback):  # no log dicts on the user's terminal
            trainer.remove_callback(cb)
        result = trainer.train()
    rewards = [h["reward"] for h in trainer.state.log_history if "reward" in h]
    meta = {"format": "duelist-policy", "trainer": params.trainer,
            "reward_model": str(Path(params.rl_reward_model_path).resolve()),
            "reward_function": reward.__name__, "params": asdict(params),
            "steps": int(trainer.state.global_step),
            "reward_first": rewards[0] if rewards else None,
            "reward_last": rewards[-1] if rewards else None,
            "train_loss": float(result.training_loss),
            "duration_s": round(time.monotonic() - t0, 3)}
    with atomic_dir(out) as tmp:
        trainer.save_model(str(tmp))
        tok.save_pretrained(str(tmp))
        (tmp / "duelist-policy.json").write_text(json.dumps(meta, indent=2, default=str) + "\n",
                                                 encoding="utf-8")
    import shutil

    shutil.rmtree(work, ignore_errors=True)
    emit("done", policy_dir=str(out), steps=meta["steps"], reward_first=meta["reward_first"],
         reward_last=meta["reward_last"], duration_s=meta["duration_s"])
    return out
