"""Keypress latency through Pilot, and percentiles: shared by tui_bench and web_bench.

One definition, so the terminal figure in both benchmarks measures the same thing:
from the key press to the next paint of the annotate screen (`painted_at`).
"""

from __future__ import annotations

import time
from typing import Any


async def press_latencies_ms(pilot: Any, screen: Any, presses: int, key: str = "1") -> list[float]:
    """Press `key` `presses` times; each latency ends when the screen has painted again."""
    out: list[float] = []
    for _ in range(presses):
        before = screen.painted_at
        t = time.perf_counter()
        await pilot.press(key)
        while screen.painted_at == before:
            await pilot.pause(0.001)
        out.append((screen.painted_at - t) * 1000)
    return out


def pct(values: list[float], q: float) -> float:
    """The q-quantile by nearest rank (q=0.5 median, 0.99 p99)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]
