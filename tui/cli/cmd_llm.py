"""`duelist llm --trainer reward ...`: the AutoTrain command line, verbatim.

Users coming from `aitraining llm --trainer reward ...` change only the program name.
Same flags and behaviour as `duelist train`; --trainer is required, as there, and only
`reward` is supported.
"""

from __future__ import annotations

import argparse

from . import main as cli_main
from .train_flags import add_training_flags, make_one_line


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("llm", help="AutoTrain-compatible alias: duelist llm --trainer reward ...",
                       description="AutoTrain-compatible training command. Only --trainer "
                                   "reward is supported; see 'duelist train --help'.")
    make_one_line(p)
    add_training_flags(p, trainer_required=True)
    cli_main.add_db_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from .train_command import run_train

    return run_train(args)
