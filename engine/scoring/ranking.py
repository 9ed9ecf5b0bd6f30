"""Rank one prompt's candidate responses: the shared core of `duelist rank` and the rank screen.

Each response gets its reward (plus ensemble spread and per-aspect rewards when the
model has them), responses are sorted best first, and each carries the Bradley-Terry
probability that it beats the NEXT one down: sigmoid((r_i - r_{i+1}) / T), with T the
model dir's fitted temperature when `calibrated`. Those adjacent probabilities are what
tells a user whether an ordering is decisive or a coin toss.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from duelist.engine.errors import InputError
from duelist.engine.scoring.model_set import Progress, bt_prob, detail_of, temperature_of


@dataclass(frozen=True, slots=True)
class Ranked:
    position: int  # 1 = best
    index: int  # where the response was in the input
    response: str
    score: float
    p_beats_next: float | None  # None for the last one
    std: float | None = None
    aspects: dict[str, float] | None = None


def rank_responses(model: Any, prompt: str, responses: Sequence[str], *,
                   calibrated: bool = False, progress: Progress | None = None) -> list[Ranked]:
    """Score and sort `responses` to `prompt`, best first (ties keep input order)."""
    if not responses:
        raise InputError("nothing to rank: give at least one response")
    temperature = temperature_of(model, calibrated)
    detail = detail_of(model, [prompt] * len(responses), list(responses), progress)
    order = sorted(range(len(responses)), key=lambda i: -detail.scores[i])
    out = []
    for pos, i in enumerate(order):
        nxt = order[pos + 1] if pos + 1 < len(order) else None
        out.append(Ranked(
            position=pos + 1, index=i, response=responses[i], score=detail.scores[i],
            p_beats_next=(bt_prob(detail.scores[i], detail.scores[nxt], temperature)
                          if nxt is not None else None),
            std=detail.std[i] if detail.std is not None else None,
            aspects=({a: v[i] for a, v in detail.aspects.items()} if detail.aspects else None)))
    return out


def feedback_pairs(ranked: Sequence[Ranked], mode: str) -> list[tuple[Ranked, Ranked]]:
    """Comparisons to send back to annotators: 'ends' (top vs bottom) or 'adjacent'."""
    if len(ranked) < 2:
        return []
    if mode == "ends":
        return [(ranked[0], ranked[-1])]
    if mode == "adjacent":
        return [(ranked[i], ranked[i + 1]) for i in range(len(ranked) - 1)]
    raise ValueError(f"mode must be 'ends' or 'adjacent', got {mode!r}")


def candidates_from_file(path: Path, prompt: str | None = None) -> list[tuple[str, list[str]]]:
    """(prompt, responses) groups from a JSON/JSONL/CSV/Parquet file, in first-seen order.

    Rows are {prompt, responses: [...]} or {prompt, response} (grouped by prompt); with
    `prompt` given, rows need only the response(s).
    """
    from duelist.engine.ingest import values
    from duelist.engine.ingest.readers import iter_rows

    groups: dict[str, list[str]] = {}
    where = str(path)
    for row, rec in iter_rows(path):
        if prompt is not None:
            text = prompt
        elif "prompt" in rec:
            text, _ = values.prompt(rec["prompt"], where, row, "prompt")
        else:
            raise InputError("missing column (or pass --prompt)", path=where, row=row,
                             column="prompt")
        if "responses" in rec:
            cell = values.Cell(where, row, "responses")
            groups.setdefault(text, []).extend(values.text_list(rec["responses"], cell))
        elif "response" in rec:
            groups.setdefault(text, []).append(
                values.text_at(rec["response"], where, row, "response"))
        else:
            raise InputError("missing column: expected 'responses' (a list) or 'response'",
                             path=where, row=row, column="responses")
    if not groups:
        raise InputError("file has no rows", path=where)
    return list(groups.items())
