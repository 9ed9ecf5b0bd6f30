"""Shared by the RL hand-off tests: tiny GRPO/RLOO runs that record what TRL computed."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

# Words of the tiny vocabulary (tests/tiny_models.py); a prompt of 200 of them is longer
# than the tiny reward models' 128 positions.
LONG_PROMPT = " ".join(["tell", "me", "about", "the", "big", "red", "river"] * 30)


def recording(trainer_cls: type) -> type:
    """`trainer_cls` that keeps every (prompts, completions, rewards) it computed."""

    class Recording(trainer_cls):  # type: ignore[misc, valid-type]
        seen: list[tuple[list[Any], list[Any], list[list[float]]]]

        def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
            out = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
            self.seen.append((list(prompts), list(completions), out.tolist()))
            return out

    Recording.seen = []
    return Recording


def run_tiny(kind: str, policy: Path, rows: list[dict[str, Any]], reward_funcs: Any,
             out: Path, *, steps: int = 2, eos_bias: float = 3.0, **config: Any) -> Any:
    """Run a real GRPOTrainer ('grpo') or RLOOTrainer ('rloo') for `steps` steps on CPU.

    A bias on eos makes the tiny policy end some completions before their first token,
    so empty completions reach the reward function as they do in real rollouts.
    """
    from datasets import Dataset
    from transformers import AutoTokenizer

    if kind == "grpo":
        from trl import GRPOConfig as Config
        from trl import GRPOTrainer as Trainer
    else:
        from trl import RLOOConfig as Config
        from trl import RLOOTrainer as Trainer
    tok = AutoTokenizer.from_pretrained(str(policy))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        args = Config(
            output_dir=str(out), max_steps=steps, per_device_train_batch_size=4,
            num_generations=4, max_completion_length=6, learning_rate=1e-4, report_to="none",
            use_cpu=True, logging_steps=1, save_strategy="no", disable_tqdm=True, seed=0,
            generation_kwargs={"sequence_bias": {(tok.eos_token_id,): eos_bias}}, **config)
        cls = recording(Trainer)
        trainer = cls(model=str(policy), reward_funcs=reward_funcs, args=args,
                      train_dataset=Dataset.from_list(rows), processing_class=tok)
        trainer.train()
    return trainer
