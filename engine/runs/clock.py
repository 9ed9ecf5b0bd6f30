"""The one clock for a run's status writes (started_at, finished_at).

Why one function: the worker and the follower both stamp the same run row, and they
used to do it with different precision (microseconds in the worker, milliseconds in
the app), so two runs' times sorted and displayed inconsistently. This is the format
the store itself writes for `created_at` (SQLite's `strftime('%Y-%m-%dT%H:%M:%fZ')`):
ISO 8601, UTC, milliseconds, a trailing Z.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> str:
    """Now, as the store writes timestamps: `2026-11-30T21:40:00.123Z`."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
