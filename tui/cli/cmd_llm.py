"""`duelist llm --trainer reward|grpo|rloo ...`: the AutoTrain command line, verbatim.

Users coming from `aitraining llm --trainer reward ...` change only the program name.
- `--trainer reward`: same flags and behaviour as `duelist train`.
- `--trainer grpo|rloo`: the guide's step 2. Trains the policy `--model` with TRL's
  GRPOTrainer/RLOOTrainer on `reward_function(--rl-reward-model-path)`, with Rich
  progress showing the mean reward, and writes a policy dir.
- `--trainer ppo`: one line; TRL no longer ships PPO.
"""

from __future__ import annotations

import argparse

from duelist.tui.cli import main as cli_main
from duelist.tui.cli.train_flags import add_training_flags, make_one_line

RL_TRAINERS = ("grpo", "rloo")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("llm", help="AutoTrain-compatible: duelist llm --trainer reward|grpo|rloo",
                       description="AutoTrain-compatible training command. --trainer reward "
                                   "trains a reward model (see 'duelist train --help'); grpo/rloo "
                                   "train a policy on one (the guide's step 2).")
    make_one_line(p)
    add_training_flags(p, trainer_required=True,
                       trainer_choices=("reward", *RL_TRAINERS, "ppo"))
    rl = p.add_argument_group("policy training (--trainer grpo|rloo)")
    rl.add_argument("--rl-reward-model-path", metavar="DIR",
                    help="the Duelist reward model dir that scores the policy's completions")
    rl.add_argument("--max-new-tokens", type=int, default=64, metavar="N",
                    help="generation length: tokens per completion (default: 64)")
    rl.add_argument("--num-generations", type=int, default=4, metavar="N",
                    help="completions per prompt, the group GRPO/RLOO compare (default: 4)")
    rl.add_argument("--temperature", type=float, default=1.0,
                    help="sampling temperature for generation (default: 1.0)")
    rl.add_argument("--normalize-reward", action="store_true",
                    help="rewards as (reward - mean) / std with the reward dir's statistics")
    cli_main.add_db_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.trainer == "ppo":
        from duelist.engine.errors import ParamsError
        from duelist.engine.rl.policy_training import PPO_GONE

        raise ParamsError(PPO_GONE)
    if args.trainer in RL_TRAINERS:
        from duelist.tui.cli.policy_command import run_policy

        return run_policy(args)
    from duelist.tui.cli.train_command import run_train

    return run_train(args)
