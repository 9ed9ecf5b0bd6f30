"""Shared helpers for the annotate-screen tests: a small real project and app."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from duelist.store import NewComparison, Store
from duelist.tui.app import AnnotateOptions, DuelistApp

MULTI_TURN = ("\n\nHuman: I want to bake bread.\n\nAssistant: Great! What kind?"
              "\n\nHuman: Sourdough, please. How do I start? (item {i})\n\nAssistant:")


def make_project(db_path: Path, n: int = 12) -> list[int]:
    """n comparisons: item i has responses 'left-ish answer i' / 'other answer i'."""
    with Store.open(db_path) as store:
        store.insert_comparisons(
            NewComparison(MULTI_TURN.format(i=i) if i % 3 == 0 else f"Question {i}: what is {i}+{i}?",
                          f"Answer A{i}: it is **{2 * i}**.\n\n```python\nprint({i} + {i})\n```",
                          f"Answer B{i}: probably {2 * i + 1}.")
            for i in range(n))
        return store.comparison_ids()


def make_app(db_path: Path, **options: object) -> DuelistApp:
    opts = {"annotator": "tester", "seed": 7, "stamp_timing": True, **options}
    return DuelistApp(db_path, AnnotateOptions(**opts))  # type: ignore[arg-type]


async def wait_for(pilot, cond: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)


def live(db_path: Path, annotator: str = "tester", include_undone: bool = False):
    with Store.open(db_path) as store:
        return store.annotations_for(annotator=annotator, include_undone=include_undone)
