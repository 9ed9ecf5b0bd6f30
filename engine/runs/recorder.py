"""Where a worker's events go: stdout, `<run_dir>/events.jsonl`, and the store.

Why the worker records the run itself (not its watcher): the TUI may quit while a run
continues, and a CLI may be killed. The run row (status, pid, per-step metrics, final
metrics, model dir) must still be right, so the process that does the work writes it.
A model is registered only AFTER its directory was renamed into place.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO, Any

from duelist.engine.runs.clock import utc_now
from duelist.engine.runs.events import EventWriter


class RunRecorder:
    """Fans every event out to stdout, an events file and (optionally) the store."""

    def __init__(self, stream: IO[str], events_file: Path | None, *, db: str | None = None,
                 run_id: int | None = None) -> None:
        self.writer = EventWriter(stream)
        self.events_file = events_file
        self._file: IO[str] | None = None
        if events_file is not None:
            events_file.parent.mkdir(parents=True, exist_ok=True)
            self._file = events_file.open("a", encoding="utf-8")
        self.db = db
        self.run_id = run_id
        self.store: Any = None
        if db:
            from duelist.store import Store

            self.store = Store.open(db)

    # ---- lifecycle -----------------------------------------------------------
    def begin(self, name: str, config: dict[str, Any], run_dir: Path) -> None:
        if self.store is None:
            return
        if self.run_id is None:  # run by hand: nobody chose a run folder, ours is it
            self.run_id = self.store.create_run(name, config, status="running",
                                                run_dir=str(run_dir)).id
        # A row made by a front end already names its run folder (engine/runs/layout.py,
        # where the stream and the log are); the worker's run_dir holds only checkpoints
        # and must not overwrite it.
        self.store.update_run(self.run_id, status="running", pid=os.getpid(),
                              started_at=utc_now(), config=config, error=None)

    def emit(self, event: str, **fields: Any) -> dict[str, Any]:
        if event in ("start", "done", "error") and self.run_id is not None:
            fields.setdefault("run_id", self.run_id)
        obj = self.writer.emit(event, **fields)
        if self._file is not None:
            self._file.write(json.dumps(obj, default=str) + "\n")
            self._file.flush()
        if self.store is not None and self.run_id is not None:
            self._record(event, fields)
        return obj

    def _record(self, event: str, f: dict[str, Any]) -> None:
        from duelist.store.records import RunMetric

        if event in ("step", "eval") and f.get("step") is not None:
            self.store.add_metrics([RunMetric(
                run_id=self.run_id, step=int(f["step"]),
                split="train" if event == "step" else "eval", epoch=f.get("epoch"),
                loss=f.get("loss"), accuracy=f.get("accuracy"), margin=f.get("margin"),
                lr=f.get("lr"), pairs_per_s=f.get("pairs_per_s"),
                elapsed_s=self.writer_elapsed())])
        elif event == "start":
            # n_pairs: every pair the run used (train + validation), the count the TUI
            # recorded at launch from its snapshot; it used to be overwritten here
            # with the training count alone (issue 14).
            n_pairs = None if f.get("n_train") is None else \
                int(f["n_train"]) + int(f.get("n_valid") or 0)
            self.store.update_run(self.run_id, n_pairs=n_pairs, data_hash=f.get("data_hash"))

    def writer_elapsed(self) -> float:
        import time

        return round(time.monotonic() - self.writer.t0, 3)

    def finish(self, model_dir: str, metrics: dict[str, Any], *, name: str,
               base_model: str | None) -> None:
        """Register the (already renamed-into-place) model, then mark the run done."""
        if self.store is None or self.run_id is None:
            return
        self.store.register_model(model_dir, name, run_id=self.run_id, base_model=base_model,
                                  metrics=metrics)
        self.store.update_run(self.run_id, status="done", model_dir=model_dir,
                              final_metrics=metrics, finished_at=utc_now())

    def fail(self, message: str, *, status: str = "failed") -> None:
        if self.store is None or self.run_id is None:
            return
        self.store.update_run(self.run_id, status=status, error=message, finished_at=utc_now())

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        if self.store is not None:
            self.store.close()
