"""Engine errors that reach users as one line (file, row, column where known)."""

from __future__ import annotations


class DuelistError(Exception):
    """A user-facing failure. str(exc) is the complete one-line message."""


class InputError(DuelistError):
    """Bad input data: a file that cannot be read, a bad row, a missing column."""

    def __init__(self, message: str, *, path: str | None = None, row: int | None = None,
                 column: str | None = None) -> None:
        where = []
        if path is not None:
            where.append(str(path))
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column '{column}'")
        super().__init__((": ".join([", ".join(where), message])) if where else message)
        self.path, self.row, self.column = path, row, column


class ModelLoadError(DuelistError):
    """A model id or directory that cannot be loaded (offline hub, corrupt dir, ...)."""


class ParamsError(DuelistError):
    """Unknown or contradictory training parameters."""
