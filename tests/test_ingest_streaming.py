"""The readers stream: Python memory stays flat however long the file is.

Guards the 1,000,000-row import's memory budget without timing anything: read a
~12 MB file in every text format and check the traced peak stays a small
fraction of it.
"""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest
from duelist.engine.ingest import ReadOptions, iter_items
from ingest_helpers import write_rows

ROWS = 25_000


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return [{"prompt": f"question {i} " + "lorem ipsum " * 20,
             "response_a": f"answer A {i} " + "dolor sit " * 10,
             "response_b": f"answer B {i} " + "amet " * 12} for i in range(ROWS)]


def count_with_peak_memory(path: Path) -> tuple[int, int]:
    """Items read from `path` and the peak traced allocation while reading them."""
    tracemalloc.start()
    try:
        count = sum(1 for _ in iter_items(path, ReadOptions()))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return count, peak


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv"])
def test_peak_memory_is_flat(tmp_path: Path, rows: list[dict], fmt: str) -> None:
    path = write_rows(tmp_path / "big", rows, fmt)
    size = path.stat().st_size
    assert size > 10e6
    count, peak = count_with_peak_memory(path)
    assert count == ROWS
    assert peak < 8e6, f"{fmt}: peak {peak / 1e6:.1f} MB while reading {size / 1e6:.0f} MB"


def test_json_array_pretty_printed_streams(tmp_path: Path, rows: list[dict]) -> None:
    path = tmp_path / "pretty.json"
    path.write_text(json.dumps(rows[:10_000], indent=4), encoding="utf-8")
    count, peak = count_with_peak_memory(path)
    assert count == 10_000 and peak < 8e6
