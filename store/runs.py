"""Training runs and their per-step metrics."""

from __future__ import annotations

from typing import Any

from duelist.store import _rows
from duelist.store.connection import write_transaction
from duelist.store.records import RUN_STATUSES, Run, RunMetric

_RUN_FIELDS = {"name", "status", "config", "run_dir", "model_dir", "n_pairs", "data_hash", "pid",
               "started_at", "finished_at", "final_metrics", "error"}
_JSON_FIELDS = {"config", "final_metrics"}


class RunsMixin:
    def create_run(self, name: str, config: dict[str, Any], *, status: str = "queued",
                   run_dir: str | None = None) -> Run:
        with write_transaction(self.db, self.path):
            cur = self.db.conn.execute(
                "INSERT INTO runs (name, status, config, run_dir) VALUES (?, ?, ?, ?)",
                (name, status, _rows.dumps(config), run_dir))
            run_id = cur.lastrowid
        return self.get_run(run_id)  # type: ignore[return-value]

    def update_run(self, run_id: int, **fields: Any) -> Run:
        """Set run columns by name; `config`/`final_metrics` take dicts."""
        unknown = set(fields) - _RUN_FIELDS
        if unknown:
            raise ValueError(f"unknown run fields: {', '.join(sorted(unknown))}")
        if "status" in fields and fields["status"] not in RUN_STATUSES:
            raise ValueError(f"bad run status {fields['status']!r}")
        cols = sorted(fields)
        values = [_rows.dumps(fields[c]) if c in _JSON_FIELDS else fields[c] for c in cols]
        with write_transaction(self.db, self.path):
            self.db.conn.execute(
                f"UPDATE runs SET {', '.join(c + ' = ?' for c in cols)} WHERE id = ?",
                [*values, run_id])
        return self.get_run(run_id)  # type: ignore[return-value]

    def get_run(self, run_id: int) -> Run | None:
        rows = list(self.db.query("SELECT * FROM runs WHERE id = ?", [run_id]))
        return _rows.run(rows[0]) if rows else None

    def list_runs(self, *, status: str | None = None) -> list[Run]:
        if status:
            rows = self.db.query("SELECT * FROM runs WHERE status = ? ORDER BY id DESC", [status])
        else:
            rows = self.db.query("SELECT * FROM runs ORDER BY id DESC")
        return [_rows.run(r) for r in rows]

    def add_metrics(self, metrics: list[RunMetric]) -> None:
        with write_transaction(self.db, self.path):
            self.db.conn.executemany(
                "INSERT INTO run_metrics (run_id, step, split, epoch, loss, accuracy, margin, lr, "
                "pairs_per_s, elapsed_s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(m.run_id, m.step, m.split, m.epoch, m.loss, m.accuracy, m.margin, m.lr,
                  m.pairs_per_s, m.elapsed_s) for m in metrics])

    def metrics_for_run(self, run_id: int, split: str | None = None) -> list[RunMetric]:
        sql, params = "SELECT * FROM run_metrics WHERE run_id = ?", [run_id]
        if split:
            sql += " AND split = ?"
            params.append(split)
        return [_rows.metric(r) for r in self.db.query(sql + " ORDER BY step, id", params)]
