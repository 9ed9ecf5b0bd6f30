"""Shared helpers for the training-dashboard tests: a judged project, a replaying worker.

The replaying worker is a real child process (tests/fixtures/replay_worker.py) that
prints a recorded event stream and records the run in the store as the worker's
contract says, so the app's launch, tail, cancel and failure paths run for real.
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path
from typing import Any

from duelist.store import NewAnnotation, NewComparison, Store

FIXTURES = Path(__file__).parent / "fixtures"
EVENTS = FIXTURES / "train_events.jsonl"
REPLAY = FIXTURES / "replay_worker.py"


def make_project(db_path: Path, n_comparisons: int = 30, n_judged: int = 12) -> None:
    """Comparisons whose response A always says "good", judged A-better for `n_judged`."""
    with Store.open(db_path) as store:
        store.insert_comparisons(
            NewComparison(f"question {i}: tell me about the cat", f"good answer {i}",
                          f"bad answer {i}") for i in range(n_comparisons))
        for cid in store.comparison_ids()[:n_judged]:
            store.add_annotation(NewAnnotation(cid, "tester", "a"))


def add_synthetic_comparisons(db_path: Path, n: int = 40, seed: int = 0) -> dict[int, str]:
    """Comparisons from tiny_models.synthetic_pairs (the response saying "good" is better),
    sides shuffled; returns comparison id -> the better response's text."""
    from tiny_models import synthetic_pairs

    rng = random.Random(seed)
    better: dict[int, str] = {}
    with Store.open(db_path) as store:
        for row in synthetic_pairs(n, seed=seed):
            flip = rng.random() < 0.5
            a, b = (row["rejected"], row["chosen"]) if flip else (row["chosen"], row["rejected"])
            placed = store.add_comparison(NewComparison(row["prompt"], a, b, source="synthetic"))
            better[placed.id] = row["chosen"]
    return better


def replay_command(*extra: str, delay: float = 0.02) -> Any:
    """A `worker_command` for RunMonitor that replays EVENTS instead of training."""

    def command(db_path: str | Path, run_id: int, params_path: Path) -> list[str]:
        return [sys.executable, str(REPLAY), str(EVENTS), "--db", str(db_path),
                "--run-id", str(run_id), "--delay", str(delay), *extra]

    return command


def recorded_events() -> list[dict[str, Any]]:
    return [json.loads(line) for line in EVENTS.read_text().splitlines() if line.strip()]


async def wait_for(pilot: Any, condition: Any, timeout: float = 30.0, what: str = "") -> None:
    """Let the app run until `condition()` holds (or fail with `what`)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        await pilot.pause(0.05)
