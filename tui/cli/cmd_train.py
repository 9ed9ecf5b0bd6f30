"""`duelist train`: train a reward model from judgements (the store) or a preference file.

Accepts the AutoTrain reward guide's flags verbatim, e.g.
`duelist train --data-path prefs.json --project-name my-reward-model --epochs 3`.
Runs `python -m duelist.engine.training.worker` and shows its progress.
"""

from __future__ import annotations

import argparse

from duelist.tui.cli import main as cli_main
from duelist.tui.cli.train_flags import add_training_flags, make_one_line

DESCRIPTION = ("Train a reward model (TRL RewardTrainer) on preference pairs: the project's "
               "judgements by default, or --data-path FILE (JSON, JSONL, CSV, Parquet). Flags "
               "follow the AutoTrain reward guide.")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train a reward model from judgements or a file",
                       description=DESCRIPTION)
    make_one_line(p)
    add_training_flags(p)
    cli_main.add_db_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from duelist.tui.cli.train_command import run_train

    return run_train(args)
