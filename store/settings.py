"""Project settings: small JSON values keyed by name (last train form, aspects, ...)."""

from __future__ import annotations

from typing import Any

from duelist.store import _rows
from duelist.store.connection import write_transaction


class SettingsMixin:
    def get_setting(self, key: str, default: Any = None) -> Any:
        row = self.db.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
        return _rows.loads(row[0]) if row else default

    def set_setting(self, key: str, value: Any) -> None:
        with write_transaction(self.db, self.path):
            self.db.conn.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, _rows.dumps(value)))
