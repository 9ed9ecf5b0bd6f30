"""`duelist llm --trainer grpo|rloo`: the flags -> PolicyParams, and Rich progress.

The bar advances per optimizer step and shows the latest mean reward TRL logged (the
mean over that step's completions, as scored by the reward model).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

SHARED = ("model", "trainer", "data_path", "prompt_text_column", "project_name", "epochs",
          "batch_size", "lr", "max_steps", "peft", "lora_r", "lora_alpha", "lora_dropout",
          "target_modules", "seed")
RL_ONLY = ("rl_reward_model_path", "max_new_tokens", "num_generations", "temperature",
           "normalize_reward")


def params_from_args(args: argparse.Namespace) -> Any:
    from duelist.engine.rl.policy_training import PolicyParams

    values = {k: getattr(args, k) for k in (*SHARED, *RL_ONLY)
              if getattr(args, k, None) is not None}
    # --batch-size and --lr default to reward-model values (8, 3e-5); keep them, they are
    # what the user sees in --help. --max-steps defaults to -1 (epochs decide).
    from duelist.engine.training.params import RewardParams

    if values.get("project_name") == RewardParams.project_name:  # the reward default
        values["project_name"] = f"{args.trainer}-policy"
    params = PolicyParams(**values, project_root=str(Path.cwd()))
    params.validate()
    return params


def run_policy(args: argparse.Namespace) -> int:
    from duelist.engine.rl.policy_training import train_policy
    from duelist.engine.safe_text import clean
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    params = params_from_args(args)
    console = Console(stderr=True)
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                        MofNCompleteColumn(), TextColumn("{task.fields[reward]}"),
                        TimeElapsedColumn(), console=console, transient=False)
    task = progress.add_task(f"{params.trainer} steps", total=None, reward="")
    done: dict[str, Any] = {}

    def emit(event: str, **fields: Any) -> None:
        if event == "start":
            progress.update(task, total=fields["total_steps"])
        elif event == "step":
            progress.update(task, completed=fields["step"], total=fields["total_steps"],
                            reward=f"mean reward {fields['reward']:+.4f}")
        elif event == "log":
            progress.console.print(clean(fields["message"]), markup=False, highlight=False)
        elif event == "done":
            done.update(fields)

    with progress:
        train_policy(params, emit=emit)
    first, last = done.get("reward_first"), done.get("reward_last")
    trend = (f"; mean reward {first:+.4f} -> {last:+.4f}" if first is not None
             and last is not None else "")
    print(f"policy: {done.get('policy_dir')} ({done.get('steps')} {params.trainer} steps{trend}, "
          f"{done.get('duration_s', 0):.0f}s)", file=sys.stderr)
    return 0
