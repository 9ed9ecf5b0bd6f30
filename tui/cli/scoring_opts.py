"""What `rank`, `score` and `eval` share: the model options, progress, previews.

Which model the options pick is decided by engine/application/model_choice.py (its
docstring has the rules: --model DIR, several for an ensemble, ASPECT=DIR with
--weights, else the project's aspect models or its current model), the same decision
the rank screen and the queue's scoring job use.

Nothing here imports torch at module level: `duelist --help` stays instant. Models are
loaded inside `load_model_set`, after a torch-free sanity check of every dir.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from duelist.engine.application import model_choice
from duelist.engine.errors import ModelLoadError, ParamsError
from duelist.engine.safe_text import clean
from duelist.tui.cli import main as cli
from duelist.tui.text.ranking import preview, score_bar  # noqa: F401  (re-exported)


def add_model_options(p: argparse.ArgumentParser, *, ensemble: bool = True) -> None:
    g = p.add_argument_group("model")
    g.add_argument("--model", dest="models", action="append", metavar="DIR",
                   help="reward model dir (repeat for an ensemble; ASPECT=DIR with --weights). "
                        "Default: the project's current model (--db)")
    if ensemble:
        g.add_argument("--aggregate", choices=("mean", "median", "min"), default=None,
                       help="how an ensemble combines its members (default: mean)")
        g.add_argument("--weights", metavar="ASPECT=W,...",
                       help="multi-aspect: combine aspect models as the weighted sum, e.g. "
                            "helpfulness=0.5,harmlessness=0.3,honesty=0.2")
    g.add_argument("--calibrated", action="store_true",
                   help="probabilities use the model dir's fitted temperature (calibration.json)")
    cli.add_db_option(p)


def _open_store(db: str) -> Any:
    from duelist.store import Store

    if not Path(db).expanduser().is_file():
        return None
    return Store.open(db, readonly=True)


def describe(model: Any) -> str:
    """One line naming what scores: for the user's stderr."""
    return clean(repr(model))


def load_model_set(args: argparse.Namespace) -> Any:
    """The RewardModel / Ensemble / AspectSet the options ask for (loads torch).

    The decision is engine/application/model_choice.py's, shared with the rank screen
    and the queue's scoring job; this only words the "nothing to score with" cases."""
    weights = getattr(args, "weights", None)
    store = _open_store(args.db) if not args.models or weights else None
    try:
        if not args.models and store is None:
            raise ParamsError(f"no --model given and no project database at '{args.db}'")
        choice = model_choice.choose(store, args.models or (), weights=weights,
                                     how=getattr(args, "aggregate", None))
    finally:
        if store is not None:
            store.close()
    if choice is None:
        raise ModelLoadError(f"the project '{args.db}' has no trained model yet; train "
                             "one (duelist train) or pass --model DIR")
    return model_choice.load(choice)


@contextlib.contextmanager
def progress_bar(description: str, *, enabled: bool = True) -> Iterator[Any]:
    """A Rich progress bar on stderr; yields a `progress(done, total)` callback."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    console = Console(file=sys.stderr)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TimeRemainingColumn(), console=console,
                  transient=False) as bar:
        task = bar.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


@contextlib.contextmanager
def loading(what: str) -> Iterator[None]:
    """A spinner on stderr while a model loads (seconds of torch import and weights)."""
    from rich.console import Console

    console = Console(file=sys.stderr)
    if not console.is_terminal:
        yield
        return
    with console.status(f"loading {what}"):
        yield


def warn_if_calibration_not_applied(model: Any, calibrated: bool) -> None:
    """With --calibrated, say on stderr when the model's fitted temperature was NOT kept
    (too few validation pairs, or it did not help on held-out folds), so a probability
    is not mistaken for a calibrated one (issue 14, item 3)."""
    cal = getattr(model, "calibration", None)
    if calibrated and cal is not None and not getattr(cal, "applied", True):
        print(f"duelist: note: probabilities are uncalibrated (temperature 1): calibration "
              f"{cal.note}", file=sys.stderr)
