"""Starting a training run, for both front ends: the app's train form and `duelist train`.

Why each step:
- The app resolves its judgements into pairs and writes them into the run folder
  BEFORE the worker starts, so a run trains on a fixed snapshot: annotating on while
  it trains cannot change its data, and the folder alone says what it learned from.
- Both front ends create the run row first (status "queued") and hand the worker its
  id, so the follower always knows which row to settle; from then on the worker owns
  the row's status (engine/application/run_follower.py says who else may write it).
- Files go where engine/runs/layout.py says, and the worker is started by
  engine/runs/spawn.py, the same way for the app and the CLI.

No torch here: the heavy work happens in `python -m duelist.engine.training.worker`.
"""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from duelist.engine.application import run_follower
from duelist.engine.errors import DuelistError, ParamsError
from duelist.engine.models.loading import embedded_minilm_path
from duelist.engine.preferences.resolve import Resolution, resolve_pairs
from duelist.engine.runs.layout import RunLayout
from duelist.engine.runs.spawn import spawn_worker
from duelist.engine.training.params import RewardParams, field_defaults
from duelist.store import Run, Store

MIN_PAIRS = 10
FORM_SETTING = "train.last_form"
WORKER_NICE = 10  # the app's runs train at a lower priority, so judging stays snappy
# The worker's command: (db path or None, run id or None, params file) -> argv.
WorkerCommand = Callable[[str | Path | None, int | None, Path], list[str]]


class TooFewPairsError(DuelistError):
    """Not enough resolved pairs to train on; the form shows this instead of a run."""


def _engine_default(name: str) -> Any:
    """The engine's own default for a form field, so the form and `duelist train` start alike."""
    return field_defaults()[name]


# The form's labels for RewardParams's flags, so an error names the field the user sees.
_LABELS = {"epochs": "epochs", "lr": "lr", "batch-size": "batch size",
           "max-seq-length": "max length", "valid-split": "validation split"}


@dataclass(frozen=True, slots=True)
class TrainForm:
    """What the train form asks. Field names follow the AutoTrain guide's params, and
    the defaults are the engine's, so the form and `duelist train` start alike."""

    model: str = ""
    epochs: int = field(default_factory=lambda: _engine_default("epochs"))
    lr: float = field(default_factory=lambda: _engine_default("lr"))
    batch_size: int = field(default_factory=lambda: _engine_default("batch_size"))
    max_seq_length: int = field(default_factory=lambda: _engine_default("max_seq_length"))
    peft: bool = False
    valid_split: float = field(default_factory=lambda: _engine_default("valid_split"))
    use_margin: bool = False  # graded strength as TRL's margin (--use-margin)

    def check(self) -> TrainForm:
        """Reject values no run could use, naming the field, before anything starts.

        The bounds are RewardParams's own (its `validate`), so the form and `duelist
        train` cannot disagree about what a run may be given; only the message gets
        the form's label in front.
        """
        if not self.model.strip():
            raise DuelistError("model: give a model directory or hub id")
        try:
            RewardParams(model=self.model, epochs=self.epochs, lr=self.lr,
                         batch_size=self.batch_size, max_seq_length=self.max_seq_length,
                         peft=self.peft, valid_split=self.valid_split, use_margin=self.use_margin)
        except ParamsError as exc:
            text = str(exc)
            label = next((label for flag, label in _LABELS.items()
                          if text.startswith(f"--{flag} ")), None)
            raise ParamsError(f"{label}: {text}" if label else text) from None
        return self

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> TrainForm:
        """Build from a stored form or run config, ignoring keys it does not know."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in (data or {}).items() if k in known and v is not None}
        try:
            return cls(**values)
        except TypeError:
            return cls()


def last_form(store: Store) -> TrainForm:
    """The form as the user last submitted it, else the newest run's config, else defaults."""
    saved = store.get_setting(FORM_SETTING)
    if isinstance(saved, dict):
        form = TrainForm.from_dict(saved)
    else:
        runs = store.list_runs()
        form = TrainForm.from_dict(runs[0].config) if runs else TrainForm()
    if not form.model:
        form = TrainForm(**{**asdict(form), "model": embedded_minilm_path()})
    return form


def project_dir(db_path: str | Path) -> Path:
    """Run folders live next to the database, so a project is one folder to copy."""
    return Path(db_path).resolve().parent / "runs"


def safe_name(name: str) -> str:
    """A folder-safe slug: no separators, no dot-dot, nothing that escapes `runs/`."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip(".-_")
    slug = re.sub(r"\.{2,}", ".", slug)
    return slug[:40] or "run"


def run_name(form: TrainForm) -> str:
    """A short readable run name from the model's last path part."""
    base = Path(form.model.rstrip("/")).name or form.model
    if base == "model":  # the embedded MiniLM's folder is literally called "model"
        base = "minilm"
    return safe_name(f"{base}{'-lora' if form.peft else ''}-e{form.epochs}")


def run_dir_for(db_path: str | Path, run_id: int, name: str) -> Path:
    """`<db_dir>/runs/<id>-<slug>`; refuses anything that would resolve outside `runs/`."""
    root = project_dir(db_path)
    path = (root / f"{int(run_id)}-{safe_name(name)}").resolve()
    if path.parent != root.resolve():
        raise DuelistError(f"run name {name!r} would leave the project's runs folder")
    return path


def resolve_snapshot(store: Store) -> Resolution:
    """Today's judgements as preference pairs: a lead's adjudicated decision where
    there is one, else majority (export's `--policy adjudicated`)."""
    return resolve_pairs(store, policy="adjudicated")


def too_few_message(resolution: Resolution) -> str | None:
    """The clear sentence shown instead of a run, or None when there is enough."""
    n = len(resolution.pairs)
    if n >= MIN_PAIRS:
        return None
    return (f"Only {n} usable pair{'s' if n != 1 else ''} so far: judge at least {MIN_PAIRS} "
            "comparisons with a winner before training (ties, both-bad and skips do not "
            "count).")


# Below this many pairs the defaults rarely beat chance on unseen pairs (BENCHMARKS.md,
# "Training defaults on little data": 0.54 at 20 hh pairs, 0.55 at 60, 0.60 at 200).
LITTLE_DATA_PAIRS = 200


def little_data_note(n: int) -> str | None:
    """A plain warning for a run that may start but will likely learn little (item 3)."""
    if n < MIN_PAIRS or n >= LITTLE_DATA_PAIRS:
        return None
    return (f"{n} pairs is little to learn from: on real preference data the defaults stayed "
            "near chance with 60 pairs and reached 0.60 with 200. The run will say whether "
            "its held-out accuracy beats chance.")


def write_pairs(pairs: list[Any], path: Path) -> None:
    """JSON lines with the guide's default columns: prompt, chosen, rejected."""
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for p in pairs:
            row = {"prompt": p.prompt, "chosen": p.chosen, "rejected": p.rejected}
            if getattr(p, "comparison_id", None) is not None:
                row["comparison_id"] = p.comparison_id
            if getattr(p, "weight", 1.0) != 1.0:
                row["weight"] = p.weight
            if getattr(p, "margin", 0.0):
                row["margin"] = p.margin
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    tmp.replace(path)


def params_for(form: TrainForm, run_dir: Path, pairs_path: Path,
               n_pairs: int) -> dict[str, Any]:
    """The worker's params.json: the form plus where the data is and where to write.

    `logging_steps` is set so even a short run draws a curve (about 50 points), where
    the engine's default of 10 would show nothing for a 15-pair first run.
    """
    n_train = max(1, round(n_pairs * (1 - form.valid_split)))
    steps = max(1, -(-n_train // form.batch_size)) * form.epochs
    return {
        "model": form.model,
        "trainer": "reward",
        "data_path": str(pairs_path),
        "prompt_text_column": "prompt",
        "text_column": "chosen",
        "rejected_text_column": "rejected",
        "project_root": str(run_dir),
        "project_name": "model",
        "epochs": form.epochs,
        "batch_size": form.batch_size,
        "lr": form.lr,
        "max_seq_length": form.max_seq_length,
        "peft": form.peft,
        "use_margin": form.use_margin,
        "valid_split": form.valid_split,
        "logging_steps": max(1, steps // 50),
    }


@dataclass
class Launched:
    """A started worker: the run record, its folder, and the process (ours to reap)."""

    run: Run | None  # None: `duelist train` from a file, with no project database
    run_dir: Path  # the run folder of the one layout (what the worker records)
    process: subprocess.Popen[bytes]
    offset: int = 0  # where this run's events start in the folder's stream

    def watch(self) -> run_follower.Watch:
        """What a RunFollower needs to follow this run from its first event."""
        return run_follower.Watch(self.run.id if self.run else None, self.run_dir, self.process.pid,
                     self.process, stream=RunLayout(self.run_dir).stream, offset=self.offset)


def launch(db_path: str | Path, form: TrainForm, command: WorkerCommand | None = None) -> Launched:
    """The app's run: snapshot, folder, params, run record, worker. Call from a thread.

    Opens its own store connection: SQLite connections must not be shared across
    threads while the UI thread uses its own.
    """
    form.check()  # before a run row exists: a bad form makes no run
    with Store.open(db_path) as store:
        resolution = resolve_snapshot(store)
        message = too_few_message(resolution)
        if message:
            raise TooFewPairsError(message)
        pairs = resolution.pairs
        store.set_setting(FORM_SETTING, asdict(form))
        name = run_name(form)
        run = store.create_run(name, {**asdict(form), "source": "tui"}, status="queued")
        with _failed_if_not_started(store, run.id):
            layout = RunLayout(run_dir_for(db_path, run.id, name))
            layout.folder.mkdir(parents=True, exist_ok=True)
            write_pairs(pairs, layout.pairs)
            params = RewardParams.from_dict(params_for(form, layout.folder, layout.pairs,
                                                       len(pairs)))
            run = store.update_run(run.id, run_dir=str(layout.folder), n_pairs=len(pairs))
    return start_worker(params, layout, db_path=db_path, run=run, command=command,
                        cwd=layout.folder, nice=WORKER_NICE)


def launch_params(params: RewardParams, *, db_path: str | Path | None,
                  command: WorkerCommand | None = None) -> Launched:
    """`duelist train`'s run: the params as given; recorded in the store when there is a
    project database (never creating one as a side effect of training from a file)."""
    run = None
    if db_path is not None:
        with Store.open(db_path) as store:
            run = store.create_run(params.project_name, params.to_dict(), status="queued",
                                   run_dir=str(params.run_dir))
    return start_worker(params, RunLayout(params.run_dir), db_path=db_path, run=run,
                        command=command)


def start_worker(params: RewardParams, layout: RunLayout, *, db_path: str | Path | None,
                 run: Run | None, command: WorkerCommand | None = None,
                 cwd: Path | None = None, nice: int = 0) -> Launched:
    """Write params.json into the run folder and start the worker on it (both front ends)."""
    with contextlib.ExitStack() as on_error:
        if run is not None and db_path is not None:
            on_error.enter_context(_failed_if_not_started(db_path, run.id))
        layout.folder.mkdir(parents=True, exist_ok=True)
        layout.params.write_text(params.to_json() + "\n", encoding="utf-8")
        offset = layout.stream.stat().st_size if layout.stream.exists() else 0
        argv = (command or _default_command(params, layout))(db_path, run.id if run else None,
                                                             layout.params)
        process = spawn_worker(argv, stdout=layout.stream, stderr=layout.log, cwd=cwd, nice=nice)
    if run is not None and db_path is not None:
        with Store.open(db_path) as store:
            run = store.update_run(run.id, pid=process.pid)
    return Launched(run, layout.folder, process, offset)


@contextlib.contextmanager
def _failed_if_not_started(store_or_db: Store | str | Path, run_id: int) -> Iterator[None]:
    """No run may stay "queued" forever: a launch that fails before its worker runs
    marks the run failed (through the follower's `mark_run`, the one exception)."""
    try:
        yield
    except Exception as exc:
        reason = f"could not start the worker: {exc}"
        if isinstance(store_or_db, Store):
            run_follower.mark_run(store_or_db, run_id, "failed", error=reason)
        else:
            with Store.open(store_or_db) as store:
                run_follower.mark_run(store, run_id, "failed", error=reason)
        raise


def _default_command(params: RewardParams, layout: RunLayout) -> WorkerCommand:
    def command(db_path: str | Path | None, run_id: int | None, params_path: Path) -> list[str]:
        return worker_command(db_path, run_id, params_path, events_file=layout.events,
                              num_processes=params.num_processes,
                              accelerate_config=params.accelerate_config)

    return command


def worker_command(db_path: str | Path | None, run_id: int | None, params_path: Path, *,
                   events_file: Path | None = None, num_processes: int | None = None,
                   accelerate_config: str | None = None) -> list[str]:
    """`python -m duelist.engine.training.worker ...`, or `accelerate launch` of it when several GPUs
    are visible or asked for: the engine decides, the same way for the CLI and the app."""
    from duelist.engine.training.launch import build_worker_command, worker_args

    db = str(Path(db_path).resolve()) if db_path else None
    return build_worker_command(worker_args(params_path, db=db, run_id=run_id,
                                            events_file=events_file),
                                num_processes=num_processes,
                                accelerate_config=accelerate_config, python=sys.executable)
