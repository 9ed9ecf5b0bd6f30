"""Build (once) and cache the 1,000,000-comparison store the TUI benchmark uses.

Real prompts/responses from ../shared/data/hh_train.json, cycled, each copy made
unique with a numbered suffix so the content hash does not deduplicate them.
Falls back to synthetic text when the shared data is absent.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

from duelist.store import NewComparison, Store

HH = Path(__file__).resolve().parents[2] / "shared" / "data" / "hh_train.json"
CACHE_DIR = Path("/tmp/duelist_tui_bench")


def _pairs() -> list[tuple[str, str, str]]:
    if HH.exists():
        rows = json.loads(HH.read_text(encoding="utf-8"))
        return [(r["prompt"], r["chosen"], r["rejected"]) for r in rows]
    return [(f"\n\nHuman: question {i}?\n\nAssistant:", f"answer **{i}**", f"reply {i}")
            for i in range(1500)]


def _items(n: int) -> Iterator[NewComparison]:
    pairs = _pairs()
    for i in range(n):
        prompt, a, b = pairs[i % len(pairs)]
        tag = f" (#{i})"
        yield NewComparison(prompt=prompt + tag, response_a=a, response_b=b, source="bench")


def cached_store(n: int = 1_000_000) -> Path:
    """Path to a pristine n-comparison store (built on first use, ~1-2 min)."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    pristine = CACHE_DIR / f"pristine_{n}.db"
    if not pristine.exists():
        tmp = pristine.with_suffix(".building")
        for p in tmp.parent.glob(tmp.name + "*"):
            p.unlink()
        t0 = time.perf_counter()
        with Store.open(tmp) as s:
            s.insert_comparisons(_items(n), batch=20_000)
            s.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        tmp.rename(pristine)
        print(f"built {n:,}-comparison store in {time.perf_counter() - t0:.1f}s: {pristine}")
    with Store.open(pristine) as s:  # apply any newer migrations once, not per copy
        s.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return pristine


def fresh_copy(n: int, name: str) -> Path:
    """A writable copy of the cached store (benchmarks write judgements)."""
    src = cached_store(n)
    dst = CACHE_DIR / f"{name}.db"
    for p in CACHE_DIR.glob(f"{name}.db*"):
        p.unlink()
    shutil.copyfile(src, dst)
    return dst
