"""What `rank`, `score` and `eval` share: choosing the model(s), progress, previews.

Model choice, in order:
- `--model DIR` once: that model (an ensemble dir is an ensemble);
- `--model DIR --model DIR ...`: an ensemble of them (`--aggregate mean|median|min`);
- with `--weights a=w,...`: a multi-aspect set; each `--model` is `ASPECT=DIR`, or a DIR
  whose aspect the project's registry (or the dir's duelist.json) names;
- no `--model`: the project's aspect models when it defines some, else its current model.

Nothing here imports torch at module level: `duelist --help` stays instant. Models are
loaded inside `load_model_set`, after a torch-free sanity check of every dir.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from duelist.engine.errors import ModelLoadError, ParamsError
from duelist.engine.safe_text import clean
from duelist.tui.cli import main as cli
from duelist.tui.text.ranking import preview, score_bar  # noqa: F401  (re-exported)

_ASPECT_SPEC = re.compile(r"^([A-Za-z][\w-]*)=(.+)$")


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


def _split_spec(spec: str) -> tuple[str | None, str]:
    m = _ASPECT_SPEC.match(spec)
    if m and not Path(spec).expanduser().exists():
        return m.group(1), m.group(2)
    return None, spec


def _open_store(db: str) -> Any:
    from duelist.store import Store

    if not Path(db).expanduser().is_file():
        return None
    return Store.open(db, readonly=True)


def _aspect_of(path: str, store: Any) -> str:
    """The aspect a bare --model DIR stands for: registry, then duelist.json, then its name."""
    resolved = str(Path(path).expanduser().resolve())
    if store is not None:
        for rec in store.list_models():
            if rec.aspect and str(Path(rec.path).expanduser().resolve()) == resolved:
                return rec.aspect
    meta = Path(path) / "duelist.json"
    with contextlib.suppress(OSError, ValueError):
        aspect = json.loads(meta.read_text(encoding="utf-8")).get("aspect")
        if isinstance(aspect, str) and aspect:
            return aspect
    return Path(resolved).name


def describe(model: Any) -> str:
    """One line naming what scores: for the user's stderr."""
    return clean(repr(model))


def load_model_set(args: argparse.Namespace) -> Any:
    """The RewardModel / Ensemble / AspectSet the options ask for (loads torch)."""
    from duelist.engine.scoring import aspects as asp
    from duelist.engine.scoring.ensemble import Ensemble
    from duelist.engine.scoring.model_set import check_model_dir, load_model

    specs = [_split_spec(s) for s in (args.models or [])]
    how = getattr(args, "aggregate", None)
    weights_text = getattr(args, "weights", None)
    store = None
    try:
        if not specs or weights_text:
            store = _open_store(args.db)
        if not specs:
            if store is None:
                raise ParamsError(f"no --model given and no project database at '{args.db}'")
            dirs, weights = asp.store_aspects(store)
            if dirs:
                for d in dirs.values():
                    check_model_dir(d)
                return asp.build({a: [d] for a, d in dirs.items()}, weights, how=how or "mean")
            rec = store.current_model()
            if rec is None:
                raise ModelLoadError(f"the project '{args.db}' has no trained model yet; train "
                                     "one (duelist train) or pass --model DIR")
            specs = [(None, rec.path)]
        for _, d in specs:
            check_model_dir(d)
        if weights_text:
            weights = asp.parse_weights(weights_text)
            groups: dict[str, list[str]] = {}
            for aspect, d in specs:
                groups.setdefault(aspect or _aspect_of(d, store), []).append(d)
            return asp.build(groups, weights, how=how or "mean")
        if any(aspect for aspect, _ in specs):
            raise ParamsError("--model ASPECT=DIR needs --weights (e.g. --weights "
                              "helpfulness=0.5,harmlessness=0.5)")
        if len(specs) == 1:
            model = load_model(specs[0][1])
            if how and isinstance(model, Ensemble):
                model.how = how
            return model
        return Ensemble([load_model(d) for _, d in specs], how=how or "mean")
    finally:
        if store is not None:
            store.close()


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
