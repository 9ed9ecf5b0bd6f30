"""The learning-curve section of `duelist stats` and the S screen, as plain lines.

Textual-free, shared by the CLI and the TUI so both say the same thing. Run names are
untrusted (a user typed them) and pass through `clean` before they are shown.
"""

from __future__ import annotations

from typing import Any

from duelist.engine.safe_text import clean


def _accuracy(run: dict[str, Any]) -> str:
    if run["accuracy"] is None:
        return "-"
    return f"{run['accuracy']:.3f} [{run['low']:.2f}-{run['high']:.2f}]"


def render_learning_curve(d: dict[str, Any]) -> list[str]:
    """Heading, one line per finished run (labels, accuracy with its interval, n), warning."""
    runs = d.get("runs") or []
    if not runs:
        return []
    lines = [f"learning curve (accuracy on a fixed held-out slice: {d['slice_percent']}% of "
             f"prompts, {d['slice_pairs']} judged pairs; each run only on pairs it did not "
             "train on)"]
    for run in runs:
        labels = "?" if run["labels"] is None else str(run["labels"])
        line = (f"  run {run['run_id']} {clean(run['name'])}: {labels} labels, accuracy "
                f"{_accuracy(run)}, n={run['n']}")
        if run.get("note"):
            line += f" ({run['note']})"
        lines.append(line)
    if d.get("warning"):
        lines.append(f"  warning: {d['warning']}")
    return lines
