"""How a ranking looks, in the CLI and on the rank screen alike: bars, previews, numbers.

Kept apart from both so `duelist rank` and the rank screen cannot drift apart, and free
of Textual (the CLI imports it) and of torch.
"""

from __future__ import annotations

from duelist.engine.safe_text import one_line


def preview(text: str, width: int = 72) -> str:
    """A response on one line, control characters stripped, cut to `width`."""
    return one_line(text, width)


def score_bar(score: float, lo: float, hi: float, width: int = 16) -> str:
    """A bar whose length places `score` between the lowest and highest in view."""
    frac = 1.0 if hi <= lo else (score - lo) / (hi - lo)
    eighths = round(max(0.0, min(1.0, frac)) * width * 8)
    full, part = divmod(eighths, 8)
    bar = "█" * full + ("" if part == 0 else " ▏▎▍▌▋▊▉"[part])
    return bar.ljust(width)


def fmt_prob(p: float | None) -> str:
    return "" if p is None else f"{p:.2f}"


def fmt_score(score: float, std: float | None = None) -> str:
    return f"{score:+.3f}" if std is None else f"{score:+.3f} ±{std:.3f}"
