"""The whole quality picture of a store, as one plain object (and as JSON).

`duelist stats` and the TUI stats screen both render this, so they never
disagree. Everything here is stdlib and fast: one pass over live judgements.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from duelist.engine.quality.agreement import fleiss_kappa, krippendorff_alpha, pairwise_cohen
from duelist.engine.quality.annotator_stats import (
    DEFAULT_FLOOR,
    DEFAULT_THRESHOLDS,
    AnnotatorStats,
    ReadingFloor,
    Thresholds,
    annotator_stats,
    latest_labels,
)
from duelist.engine.quality.reliability import estimate_accuracy, weight_from_accuracy


@dataclass
class PairKappa:
    first: str
    second: str
    kappa: float | None
    shared: int


@dataclass
class QualityReport:
    comparisons: int = 0
    judged: int = 0
    annotations: int = 0
    gold_items: int = 0
    overlapping_items: int = 0  # items with two or more decisive judgements
    fleiss_kappa: float | None = None
    krippendorff_alpha: float | None = None
    pairs: list[PairKappa] = field(default_factory=list)
    annotators: list[AnnotatorStats] = field(default_factory=list)
    model_id: int | None = None
    model_name: str | None = None
    scored_items: int = 0

    @property
    def flagged(self) -> list[AnnotatorStats]:
        return [a for a in self.annotators if a.flags]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def build_report(facts: list, *, margins: dict | None = None, comparisons: int = 0,
                 gold_items: int = 0, floor: ReadingFloor = DEFAULT_FLOOR,
                 thresholds: Thresholds = DEFAULT_THRESHOLDS, min_shared: int = 1) -> QualityReport:
    """Assemble the report from JudgementFacts (and the current model's margins)."""
    items = latest_labels(facts)
    gold = {f.comparison_id: f.gold for f in facts if f.gold is not None}
    accuracy = estimate_accuracy(items, gold)
    weights = {a: weight_from_accuracy(p) for a, (p, _n) in accuracy.items()}
    stats = annotator_stats(facts, margins=margins, floor=floor, thresholds=thresholds,
                            weights=weights)
    fk, n_over = fleiss_kappa(items)
    alpha, _ = krippendorff_alpha(items)
    pairs = [PairKappa(a, b, k, n) for a, b, k, n in pairwise_cohen(items, min_items=min_shared)]
    return QualityReport(
        comparisons=comparisons, judged=len(items),
        annotations=sum(1 for f in facts if f.choice != "skip"), gold_items=gold_items,
        overlapping_items=n_over, fleiss_kappa=fk, krippendorff_alpha=alpha, pairs=pairs,
        annotators=stats, scored_items=len(margins or {}))


def store_report(store, *, floor: ReadingFloor = DEFAULT_FLOOR,
                 thresholds: Thresholds = DEFAULT_THRESHOLDS) -> QualityReport:
    """The report for an open Store, using the current model's stored scores if any."""
    model = store.current_model()
    margins = store.model_margins(model.id) if model is not None else None
    report = build_report(store.judgement_facts(), margins=margins,
                          comparisons=store.count_comparisons(), gold_items=store.count_gold(),
                          floor=floor, thresholds=thresholds)
    if model is not None:
        report.model_id, report.model_name = model.id, model.name
    return report


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def quality_section(store) -> dict[str, Any]:
    """The `quality` section of `duelist stats` (and its --json): plain, rounded data."""
    data = _rounded(store_report(store).to_dict())
    data["flagged"] = {a["annotator"]: a["flags"] for a in data["annotators"] if a["flags"]}
    return data
