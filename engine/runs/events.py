"""The JSON-lines protocol between an engine worker and whoever watches it.

The worker writes one JSON object per line on stdout; logs go to stderr. Every
event has `event` (one of EVENT_TYPES) and `t` (seconds since the worker started).
A stream that ends without `done` is a failed run.

  start  {run_id, total_steps, epochs, n_train, n_valid, n_truncated, model, config}
  step   {step, epoch, loss, accuracy, margin, lr, pairs_per_s, eta_s}
  eval   {step, epoch, loss, accuracy, margin}
  log    {message}                       # human-readable progress lines
  done   {model_dir, metrics, duration_s}
  error  {message, traceback_tail}

This module is light on purpose (stdlib only): the TUI parses events without
importing torch.
"""

from __future__ import annotations

import json
import sys
import time
from typing import IO, Any

EVENT_TYPES = ("start", "step", "eval", "log", "done", "error")


def parse_event(line: str) -> dict[str, Any] | None:
    """One stdout line -> an event dict, or None for a line that is not an event."""
    line = line.strip()
    if not line.startswith("{"):
        return None
    try:
        obj = json.loads(line)
    except json.JSONDecodeError:
        return None
    if not isinstance(obj, dict) or obj.get("event") not in EVENT_TYPES:
        return None
    return obj


class EventWriter:
    """Writes events as JSON lines, flushed at once so a watcher sees them live."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stdout
        self.t0 = time.monotonic()

    def emit(self, event: str, **fields: Any) -> dict[str, Any]:
        if event not in EVENT_TYPES:
            raise ValueError(f"unknown event type {event!r}")
        obj = {"event": event, "t": round(time.monotonic() - self.t0, 3), **fields}
        self.stream.write(json.dumps(obj, default=_jsonable) + "\n")
        self.stream.flush()
        return obj


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, set | tuple):
        return list(value)
    return str(value)
