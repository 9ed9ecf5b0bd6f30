"""The model registry: which trained model dirs exist, and which one is current."""

from __future__ import annotations

from typing import Any

from duelist.store import _rows
from duelist.store.connection import write_transaction
from duelist.store.records import ModelRecord


class RegistryMixin:
    def register_model(self, path: str, name: str, *, run_id: int | None = None,
                       base_model: str | None = None, metrics: dict[str, Any] | None = None,
                       aspect: str | None = None, weight: float = 1.0,
                       make_current: bool = True) -> ModelRecord:
        """Add a finished model dir. By default the newest successful model becomes current."""
        with write_transaction(self.db, self.path):
            conn = self.db.conn
            conn.execute(
                "INSERT INTO models (path, name, run_id, base_model, metrics, aspect, weight) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(path) DO UPDATE SET name = excluded.name, "
                "run_id = excluded.run_id, base_model = excluded.base_model, "
                "metrics = excluded.metrics, aspect = excluded.aspect, weight = excluded.weight",
                (path, name, run_id, base_model, _rows.dumps(metrics or {}), aspect, weight))
            model_id = conn.execute("SELECT id FROM models WHERE path = ?", (path,)).fetchone()[0]
            if make_current:
                conn.execute("UPDATE models SET is_current = (id = ?)", (model_id,))
        return self.get_model(model_id)  # type: ignore[return-value]

    def set_current_model(self, model_id: int) -> None:
        with write_transaction(self.db, self.path):
            self.db.conn.execute("UPDATE models SET is_current = (id = ?)", (model_id,))

    def get_model(self, model_id: int) -> ModelRecord | None:
        rows = list(self.db.query("SELECT * FROM models WHERE id = ?", [model_id]))
        return _rows.model(rows[0]) if rows else None

    def current_model(self) -> ModelRecord | None:
        rows = list(self.db.query(
            "SELECT * FROM models ORDER BY is_current DESC, id DESC LIMIT 1"))
        return _rows.model(rows[0]) if rows else None

    def list_models(self) -> list[ModelRecord]:
        return [_rows.model(r) for r in self.db.query("SELECT * FROM models ORDER BY id DESC")]
