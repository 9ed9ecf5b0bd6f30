"""Project statistics as one plain dict: what `duelist stats` prints and `--json` emits.

A registry of sections lets other modules add theirs (the quality module adds
agreement metrics) without this file knowing about them:

    register_section("agreement", lambda store: {...})
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from duelist.engine.application.judgement_stats import judgements_section
from duelist.engine.application.learning_curve import learning_curve
from duelist.engine.preferences.resolve import resolve_pairs
from duelist.engine.quality.report import quality_section
from duelist.store import Store

Section = Callable[[Store], dict[str, Any]]
_SECTIONS: dict[str, Section] = {}


def register_section(name: str, build: Section) -> None:
    _SECTIONS[name] = build


def sections() -> list[str]:
    return list(_SECTIONS)


def _overview(store: Store) -> dict[str, Any]:
    counts = store.counts()
    return {"comparisons": counts.comparisons, "judged": counts.judged,
            "annotations": counts.annotations, "skips": counts.skips,
            "undone": store.count_undone(),
            "gold": store.count_gold()}


def _annotators(store: Store) -> dict[str, Any]:
    per = store.annotator_choice_counts()
    return {who: {"judgements": sum(c.values()), "choices": c} for who, c in per.items()}


def _resolution(store: Store) -> dict[str, Any]:
    return resolve_pairs(store, policy="majority").counts


def _runs(store: Store) -> dict[str, Any]:
    by_status = store.run_status_counts()
    current = store.current_model()
    return {"runs": sum(by_status.values()), "by_status": by_status,
            "models": store.count_models(), "current_model": current.name if current else None}


register_section("overview", _overview)
register_section("sources", lambda store: store.source_counts())
register_section("annotators", _annotators)
register_section("resolution", _resolution)
register_section("training", _runs)
register_section("quality", quality_section)  # agreement, annotator stats, flags
register_section("judgements", judgements_section)  # strength, notes, review, self-agreement
register_section("learning_curve", learning_curve)  # accuracy per finished run vs its labels


def build_stats(store: Store, only: list[str] | None = None) -> dict[str, Any]:
    """{section: data} for every registered section (or the ones in `only`)."""
    return {name: build(store) for name, build in _SECTIONS.items()
            if only is None or name in only}
