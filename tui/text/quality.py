"""Display strings for the quality report, shared by `duelist stats` and the stats screen.

`render_quality` is the plain-text block of `duelist stats` (cmd_stats registers
it in its RENDERERS table); `annotator_rows` and `summary_lines` feed the TUI
screen too, so the two never show different numbers. Annotator names come from
files and other people's stores: they go through the shared sanitizer.
"""

from __future__ import annotations

from typing import Any

from duelist.engine.quality.annotator_stats import DEFAULT_THRESHOLDS
from duelist.engine.safe_text import clean


def _num(value: float | None, fmt: str = "{:.2f}") -> str:
    return "-" if value is None else fmt.format(value)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


FLAG_HELP = {
    "random": "agrees with gold answers and colleagues no better than a coin",
    "adversarial": "agrees with gold answers and colleagues LESS often than a coin",
    "left-biased": "picks the left side far more often than half (binomial p < 0.01)",
    "right-biased": "picks the right side far more often than half (binomial p < 0.01)",
    "too fast": "a quarter or more of the judgements came faster than the text can be read",
}


def _p(value: float | None) -> str:
    if value is None:
        return "-"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def verdict(a: dict[str, Any]) -> str:
    """The flags, or "ok" once there is enough evidence to say so."""
    if a["flags"]:
        return ", ".join(a["flags"])
    return "ok" if a["count"] >= DEFAULT_THRESHOLDS.min_items else "too few to tell"


COLUMNS = ("annotator", "n", "med s", "left", "p(left)", "w/maj", "w/model", "fast", "gold",
           "weight", "flags")


def annotator_rows(annotators: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    """One row of display strings per annotator (shared with the TUI stats screen)."""
    rows = []
    for a in annotators:
        gold = f"{a['gold_correct']}/{a['gold_n']}" if a["gold_n"] else "-"
        rows.append((clean(a["annotator"]), str(a["count"]), _num(a["median_s"], "{:.1f}"),
                     _pct(a["left_rate"]), _p(a["left_p"]), _pct(a["majority_rate"]),
                     _pct(a["model_rate"]), _pct(a["too_fast_rate"]), gold,
                     _num(a["weight"]), verdict(a)))
    return rows


def summary_lines(d: dict[str, Any], *, pairs: bool = True) -> list[str]:
    """Agreement headline, and pairwise kappas unless `pairs` is False (the screen
    has a table of its own for them)."""
    lines = [f"agreement    Fleiss kappa {_num(d['fleiss_kappa'])}, Krippendorff alpha "
             f"{_num(d['krippendorff_alpha'])} over {d['overlapping_items']} items with 2+ judges"]
    shown = [p for p in d["pairs"] if p["kappa"] is not None] if pairs else []
    if shown:
        lines.append("  Cohen kappa by pair: " + ", ".join(
            f"{clean(p['first'])}~{clean(p['second'])} {p['kappa']:.2f} ({p['shared']})"
            for p in shown))
    model = d.get("model_name")
    if model and not d.get("scored_items"):
        lines.append(f"  model agreement: {clean(model)} has not scored any items yet")
    elif model:
        lines.append(f"  model agreement uses {clean(model)} ({d['scored_items']} scored items)")
    return lines


def render_quality(d: dict[str, Any]) -> list[str]:
    if not d["annotators"]:
        return ["agreement    no judgements yet"]
    lines = summary_lines(d)
    rows = [COLUMNS, *annotator_rows(d["annotators"])]
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS) - 1)]
    for r in rows:
        cells = [r[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(r[1:-1], widths[1:], strict=True)]
        lines.append("  " + "  ".join(cells) + "  " + r[-1])
    flagged = d.get("flagged") or {}
    if flagged:
        lines.append("flagged      " + "; ".join(
            f"{clean(who)}: {', '.join(flags)}" for who, flags in flagged.items()))
    return lines
