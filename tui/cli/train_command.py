"""What `duelist train` and `duelist llm --trainer reward` share: parse, check, run.

Both commands accept the AutoTrain reward guide's flags verbatim (generated from
`RewardParams` in `train_flags.py`), plus `--db`, `--resume`, `--num-processes`,
`--accelerate-config`, `--trust-remote-code` and `--ensemble K`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from duelist.engine.errors import InputError
from duelist.engine.models.model_check import check_base_model
from duelist.engine.training.params import RewardParams
from duelist.tui.cli.train_flags import params_from_args
from rich.console import Console


def run_train(args: argparse.Namespace) -> int:
    params = params_from_args(args, project_root=str(Path.cwd()))
    db = getattr(args, "db", None)
    db_exists = bool(db) and Path(db).exists()
    if db_exists:  # a bad --db fails here in one line, not inside the worker as "exit status 1"
        from duelist.store import Store

        Store.open(db).close()
    if params.data_path is None and not db_exists:
        raise InputError(f"no --data-path given and no project database at '{db}': import and "
                         "judge comparisons first, or pass --data-path FILE")
    if params.data_path is not None and not Path(params.data_path).expanduser().exists():
        raise InputError("no such file", path=params.data_path)
    if params.data_path is not None:
        _precheck_data(params)
    check_base_model(params.model)  # a bad --model fails here, not after torch loads
    console = Console(stderr=True)
    stdout = Console(highlight=False)
    # Record the run in the store when there is a project database; never create one
    # as a side effect of training from a file.
    from duelist.tui.cli.train_runner import run_training

    return run_training(params, db=db if db_exists else None, console=console,
                        out=stdout.print)


def _precheck_data(params: RewardParams) -> None:
    """Read the pairs file now (no torch: well under a second for thousands of rows), so a
    bad column or row fails before the worker spends ~12 s importing training libraries,
    as `import` and `eval` already do (issue 14, item 8). The worker reads it again."""
    from duelist.engine.ingest import read_pairs

    read_pairs(Path(params.data_path).expanduser(), params.prompt_text_column,
               params.text_column, params.rejected_text_column)
