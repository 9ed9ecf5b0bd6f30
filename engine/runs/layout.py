"""Where a training run's files live: ONE layout, written the same way by the app and the CLI.

A run folder holds, under these names and nowhere else:

    params.json          what the worker was asked to do (RewardParams)
    pairs.jsonl          the app's snapshot of resolved pairs (app runs only)
    worker.stdout.jsonl  the worker's stdout: the event stream a follower tails
    worker.log           the worker's stderr: libraries' chatter, tracebacks
    events.jsonl         the worker's own copy of its events

and the run row's `run_dir` names that folder: the front end that creates the row
records it, and the worker keeps it. Which folder: `duelist train` uses the model's
`.run` sibling (`<name>.run`, never inside the model dir, which is swapped into place
by an atomic rename); the app uses `<db_dir>/runs/<id>-<slug>/`, with the model in its
`model/` and the checkpoints in `model.run/`. Why one layout: the two front ends used
to put the stream and the log in different places, and the app's row pointed at one
folder before the worker started and another after, so whoever read a run back had to
guess between four places for its stream.

Stdlib only: the app, the CLI, the worker and `RewardParams` all import it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PARAMS_NAME = "params.json"
PAIRS_NAME = "pairs.jsonl"
STREAM_NAME = "worker.stdout.jsonl"
LOG_NAME = "worker.log"
EVENTS_NAME = "events.jsonl"
RUN_SUFFIX = ".run"


def run_folder(model_dir: Path) -> Path:
    """The run folder that belongs to a model dir: its `.run` sibling."""
    return model_dir.parent / f"{model_dir.name}{RUN_SUFFIX}"


@dataclass(frozen=True, slots=True)
class RunLayout:
    """The files of one run folder, by name."""

    folder: Path

    @property
    def params(self) -> Path:
        return self.folder / PARAMS_NAME

    @property
    def pairs(self) -> Path:
        return self.folder / PAIRS_NAME

    @property
    def stream(self) -> Path:
        return self.folder / STREAM_NAME

    @property
    def log(self) -> Path:
        return self.folder / LOG_NAME

    @property
    def events(self) -> Path:
        return self.folder / EVENTS_NAME


# Folders written before the one layout, still on users' disks: the app wrote its
# stdout and stderr (`worker.stderr.log`) one level up, in `runs/<id>-<slug>/`, and
# recorded either that folder or `model.run/` as run_dir; `duelist train` piped stdout
# away, leaving only the worker's own `events.jsonl`. Read-only: nothing writes these.
_OLD_APP_LOG = "worker.stderr.log"


def stream_path(run_dir: Path) -> Path:
    """Where a run's events can be read back, for a run recorded with `run_dir`.

    The one layout's stream first; then, for runs from before it, the places older
    app and CLI versions left their events.
    """
    for candidate in (run_dir / STREAM_NAME, run_dir.parent / STREAM_NAME,
                      run_dir / EVENTS_NAME, run_dir / f"model{RUN_SUFFIX}" / EVENTS_NAME):
        if candidate.exists():
            return candidate
    return run_dir / STREAM_NAME


def log_path(run_dir: Path) -> Path:
    """The worker's stderr for a run recorded with `run_dir` (older app runs: see above)."""
    for candidate in (run_dir / LOG_NAME, run_dir / _OLD_APP_LOG, run_dir.parent / _OLD_APP_LOG):
        if candidate.exists():
            return candidate
    return run_dir / LOG_NAME


def log_tail(run_dir: Path, n: int = 12, max_bytes: int = 64_000) -> list[str]:
    """The last `n` non-empty lines of the worker's log, read from its end only (a long
    run's log can be large; a failure message needs only its last lines)."""
    try:
        with log_path(run_dir).open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - max_bytes))
            data = fh.read().decode("utf-8", errors="replace")
    except OSError:
        return []
    return [line for line in data.splitlines() if line.strip()][-n:]
