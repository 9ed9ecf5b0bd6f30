"""Starting the uncertainty-scoring job from the TUI without ever blocking it.

The annotate screen calls `ScoringWatcher.check()` on a slow timer. When the
current model changes (a training run registered a new one) and some open
comparisons lack its scores, it starts `python -m duelist.engine.application.uncertainty_job`
as a detached child process and returns at once; the queue picks the scores up
as they are committed. torch is never imported here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from duelist.engine.application import model_choice
from duelist.engine.application.uncertainty_job import job_running
from duelist.engine.runs.spawn import spawn_worker
from duelist.store import Store


def start_scoring(db_path: str | Path, model_id: int, *, overlap: int = 1,
                  log_path: str | Path | None = None) -> subprocess.Popen:
    """Launch the scoring job; its events go to `log_path` (or are discarded)."""
    cmd = [sys.executable, "-m", "duelist.engine.application.uncertainty_job", "--db", str(db_path),
           "--model-id", str(model_id), "--overlap", str(overlap)]
    return spawn_worker(cmd, stdout=Path(log_path) if log_path else None)


class ScoringWatcher:
    """Remembers which model it last saw and starts a job when that changes."""

    def __init__(self, store: Store, *, overlap: int = 1) -> None:
        self.store = store
        self.overlap = overlap
        self.model_id: int | None = None
        self.process: subprocess.Popen | None = None

    def check(self) -> bool:
        """Start a scoring job if one is needed and none runs; True if it started one."""
        if self.process is not None and self.process.poll() is None:
            return False
        # the model the queue scores with: the same decision the job itself makes
        choice = model_choice.choose(self.store, aspects=False)
        if choice is None or choice.model_id is None:
            return False
        model_id = choice.model_id
        changed = model_id != self.model_id
        self.model_id = model_id
        if not changed and self.process is not None:
            return False  # this model was already handled by a job we started
        if job_running(self.store, model_id):
            return False
        if self.store.count_unscored_open(model_id, overlap=self.overlap) == 0:
            return False
        log = Path(self.store.path).with_suffix(".scoring.log") if self.store.path != ":memory:" \
            else None
        self.process = start_scoring(self.store.path, model_id, overlap=self.overlap,
                                     log_path=log)
        return True
