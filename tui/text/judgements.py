"""`duelist stats` lines for the judgements section: strength, notes, review, repeats.

Names and notes are untrusted: squashed to one clean line each (tui/text/sanitize.py).
"""

from __future__ import annotations

from typing import Any

from duelist.engine.safe_text import one_line


def render_judgements(d: dict[str, Any]) -> list[str]:
    lines = []
    if d["strength"]:
        lines.append("strength     graded A/B judgements per annotator")
        for who, per in d["strength"].items():
            counts = ", ".join(f"{k} {n}" for k, n in per.items())
            lines.append(f"  {one_line(who, 40)}: {counts}")
    lines.append(f"review       {d['to_review']} to review (disagreements, missed gold), "
                 f"{d['adjudicated']} adjudicated")
    lines.append(f"notes        {d['notes']} rationale notes"
                 + (", newest first:" if d["recent_notes"] else ""))
    for n in d["recent_notes"]:
        lines.append(f"  #{n['comparison_id']} {one_line(n['annotator'], 30)} "
                     f"({n['choice']}): {one_line(n['note'], 100)}")
    if d["self_agreement"]:
        lines.append("self-agreement on repeats (95% Wilson interval)")
        for who, s in d["self_agreement"].items():
            lines.append(f"  {one_line(who, 40)}: {s['rate']:.0%} ({s['agree']}/{s['n']}, "
                         f"{s['low']:.0%}-{s['high']:.0%})")
    return lines
