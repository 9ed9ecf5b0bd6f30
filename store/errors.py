"""Store errors. Each carries one line a user can act on; the CLI prints it as is."""

from __future__ import annotations


class StoreError(Exception):
    """Base class: the message is a complete, single-line explanation."""


class NotADatabaseError(StoreError):
    pass


class NewerSchemaError(StoreError):
    pass


class ReadOnlyStoreError(StoreError):
    pass


class StoreLockedError(StoreError):
    pass
